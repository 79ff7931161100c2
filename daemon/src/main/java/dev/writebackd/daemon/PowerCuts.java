package dev.writebackd.daemon;

import static java.util.Objects.requireNonNull;

import dev.writebackd.actors.Engine;
import dev.writebackd.block.fault.PowerCutMode;
import dev.writebackd.block.fault.PowerCutResult;
import dev.writebackd.block.fault.Seeds;
import dev.writebackd.block.fault.VolatileCacheDevice;
import dev.writebackd.block.fault.WriteLogDevice;
import dev.writebackd.daemon.http.PowerCutControl;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's power cuts: halt the running engine ({@link Engine#halt()}: nothing written back,
 * flushed or committed, every handle closed), cut the {@link VolatileCacheDevice}'s power, record the
 * cut in the write log if there is one, and start a new engine on the same device stack and journal,
 * which then replaces the old one in the reference the HTTP API reads.
 *
 * <p>A cut without a seed takes {@code Seeds.derive(runSeed, "power-cut", n)} for the n-th cut of
 * the run (n = 1, 2, …, counting every cut), so a run with the same run seed and the same requests
 * cuts the same way. Bios that a stall rule holds are released first (they reach the cache before
 * the cut, like writes in flight when the power goes). Cuts run one at a time on a thread of their own; each is logged with its seed.
 * Run-time policy changes do not survive a cut: the new engine starts from the configuration, as
 * after a reboot. Fault rules below the engine stay as they are.
 *
 * <p>Thread-safe.
 */
final class PowerCuts implements PowerCutControl {
    private static final Logger log = LoggerFactory.getLogger(PowerCuts.class);

    private final AtomicReference<Engine> engine;
    private final VolatileCacheDevice cache;
    private final WriteLogDevice writeLog;
    private final long runSeed;
    private final Runnable releaseStalled;
    private final Supplier<Engine> restart;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "writebackd-power-cut");
        thread.setDaemon(true);
        return thread;
    });
    private long cuts; // touched only on the worker

    /**
     * @param engine the running engine, replaced by each cut
     * @param cache the volatile cache, or {@code null} when the daemon has none
     * @param writeLog the write log above the cache, or {@code null}
     * @param runSeed the run seed, from which cuts without a seed derive theirs
     * @param releaseStalled lets bios that fault rules stall go, so that the halt need not wait for them
     * @param restart starts a new engine on the same device stack and journal
     */
    PowerCuts(AtomicReference<Engine> engine, VolatileCacheDevice cache, WriteLogDevice writeLog, long runSeed,
            Runnable releaseStalled, Supplier<Engine> restart) {
        this.engine = requireNonNull(engine, "engine");
        this.cache = cache;
        this.writeLog = writeLog;
        this.runSeed = runSeed;
        this.releaseStalled = requireNonNull(releaseStalled, "releaseStalled");
        this.restart = requireNonNull(restart, "restart");
    }

    @Override
    public boolean available() {
        return cache != null;
    }

    @Override
    public CompletionStage<PowerCutResult> powerCut(PowerCutMode mode, OptionalLong seed) {
        requireNonNull(mode, "mode");
        requireNonNull(seed, "seed");
        if (cache == null) {
            return CompletableFuture.failedFuture(new ErrnoException(Errno.ENOTSUP, "no volatile cache to cut"));
        }
        return CompletableFuture.supplyAsync(() -> cut(mode, seed), worker);
    }

    private PowerCutResult cut(PowerCutMode mode, OptionalLong given) {
        long n = ++cuts;
        long seed = given.isPresent() ? given.getAsLong() : Seeds.derive(runSeed, "power-cut", n);
        Engine halted = engine.get();
        releaseStalled.run(); // bios held by a stall rule reach the cache now, and may be lost with it
        if (halted != null) {
            halted.halt();
        }
        PowerCutResult result = cache.powerCut(mode, seed);
        if (writeLog != null) {
            writeLog.recordPowerCut(mode, result);
        }
        log.info("power cut {} ({}, seed {}): {} unflushed sectors dropped; restarting the engine", n,
                mode.wireName(), seed, result.droppedSectors());
        try {
            engine.set(restart.get());
        } catch (RuntimeException e) {
            engine.set(null);
            log.error("the engine did not restart after power cut {}: {}", n, Daemon.rootMessage(e));
            throw new ErrnoException(Errno.EIO, "the engine did not restart after the power cut: "
                    + Daemon.rootMessage(e));
        }
        log.info("engine restarted after power cut {}", n);
        return result;
    }

    /** Stops the worker thread (a cut in progress finishes). */
    void close() {
        worker.shutdown();
    }
}
