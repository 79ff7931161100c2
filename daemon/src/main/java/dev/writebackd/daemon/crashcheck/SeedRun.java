package dev.writebackd.daemon.crashcheck;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.Engine;
import dev.writebackd.actors.persist.PersistenceConfig;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.fault.PowerCutMode;
import dev.writebackd.block.fault.PowerCutResult;
import dev.writebackd.block.fault.Seeds;
import dev.writebackd.block.fault.VolatileCacheDevice;
import dev.writebackd.config.Settings;
import dev.writebackd.daemon.crashcheck.Verdict.Kind;
import dev.writebackd.daemon.crashcheck.Verdict.Problem;
import dev.writebackd.layout.ConsistencyProblem;
import dev.writebackd.layout.MetadataNeededException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * One seed of the crash check, in the deterministic mode: an engine with its journal in a
 * directory of its own, on an in-memory device behind a volatile write cache and the
 * {@link CutSwitch}; queue depth 1, no periodic writeback, a commit interval longer than any run,
 * one workload thread — so only the workload's fsyncs and syncs write, flush and commit, and the
 * same seed issues the same bios.
 *
 * <p>The seed derives everything ({@link Seeds}): the workload, the bio size limit, and per cut the
 * operation at which the switch is armed, after how many writes or flushes it cuts (mid-fsync or
 * mid-sync, mostly), the mode ({@code random} or {@code drop-unflushed}) and the cut's own seed
 * ({@code Seeds.derive(seed, "power-cut", n)}). The operations are split into as many stretches as
 * there are cuts; each cut falls in its stretch, at the latest after its last operation. After a
 * cut the engine is halted, a new one started on the same device and journal (its start-up check
 * must pass), every file read back and checked ({@link Verifier}), the engine's consistency check
 * run, and the workload goes on from what was found.
 */
final class SeedRun {
    /** The device: small, in memory. */
    static final long DEVICE_BYTES = 64L * 1024 * 1024;
    private static final int BLOCK_SIZE = 4096;
    private static final int[] BIO_SEGMENTS = {4, 16, 256};
    private static final int MAX_BIOS_INTO_AN_OP = 8;

    /** The trace that ignores everything (and is not told each bio). */
    static final Consumer<String> NO_TRACE = line -> { };

    private final long seed;
    private final CrashCheckOptions options;
    private final Path dataDir;
    private final SplittableRandom plan;
    private final Settings settings;
    private final VolatileCacheDevice cache;
    private final CutSwitch power;
    private final CrashModel model = new CrashModel();
    private final Workload workload;
    private final List<Problem> problems = new ArrayList<>();
    private final Consumer<String> trace;
    private Config journal;
    private Engine engine;
    private EngineDriver driver;
    private CompletableFuture<PowerCutResult> cut;
    private int opsDone;
    private int cuts;
    private long fsyncedBytes;
    private long lostBytes;
    private long droppedSectors;

    /**
     * A run of seed {@code seed}; {@code trace} is told each operation, cut and restart (or
     * ignores them).
     */
    SeedRun(long seed, CrashCheckOptions options, Consumer<String> trace) {
        this(seed, options, trace, UnaryOperator.identity());
    }

    /**
     * A run whose device stack has {@code between} wrapped around the volatile cache, under the
     * switch: tests put a misbehaving layer there to see the checker catch it.
     */
    SeedRun(long seed, CrashCheckOptions options, Consumer<String> trace, UnaryOperator<BlockDevice> between) {
        this.seed = seed;
        this.trace = requireNonNull(trace, "trace");
        this.options = requireNonNull(options, "options");
        this.dataDir = options.dir().resolve("seed-" + seed);
        this.plan = new SplittableRandom(Seeds.derive(seed, "cut-plan", 0));
        this.settings = settings(options, BIO_SEGMENTS[plan.nextInt(BIO_SEGMENTS.length)]);
        this.cache = new VolatileCacheDevice(new MemoryDevice(BLOCK_SIZE, DEVICE_BYTES, false));
        this.power = new CutSwitch(requireNonNull(between.apply(cache), "between"),
                trace == NO_TRACE ? null : bio -> trace.accept("  bio " + bio.op() + " sector " + bio.startSector()
                        + " +" + bio.sectorCount() + " inode " + bio.inode() + " flags " + bio.flags()));
        this.workload = new Workload(Seeds.derive(seed, "workload", 0), 1);
    }

    /** The deterministic mode's settings. */
    static Settings settings(CrashCheckOptions options, int maxBioSegments) {
        return Settings.load(ConfigFactory.parseString(String.join("\n",
                "writebackd.page-cache.cache-budget = 32 MiB",
                "writebackd.page-cache.inode-idle-timeout = 1 h",
                "writebackd.device.queue-depth = 1",
                "writebackd.layout = " + options.layout().configName(),
                "writebackd.writeback.writeback-interval = 0",
                "writebackd.writeback.dirty-expire-interval = 1 h",
                "writebackd.writeback.commit-interval = 1 h",
                "writebackd.writeback.dirty-background-ratio = 50",
                "writebackd.writeback.dirty-ratio = 90",
                "writebackd.writeback.max-bio-segments = " + maxBioSegments,
                "writebackd.writeback.error-policy = " + options.policy().configName())));
    }

    /** Runs the seed; never throws for what the engine does, only reports it. */
    SeedResult run() {
        try {
            Files.createDirectories(dataDir);
            journal = PersistenceConfig.prepare(dataDir);
            start();
            runOps();
            if (problems.isEmpty()) {
                finalCheck();
            }
        } catch (IOException | SQLException | RuntimeException e) {
            problems.add(new Problem(Kind.ERROR, "the seed could not run: " + e));
        } catch (EngineDriver.OpFailed e) {
            problems.add(new Problem(Kind.ERROR, e.getMessage()));
        } finally {
            stop();
        }
        return new SeedResult(seed, opsDone, cuts, fsyncedBytes, lostBytes, droppedSectors, problems);
    }

    /** Where the seed's journal is; kept when the seed failed. */
    Path dataDir() {
        return dataDir;
    }

    /** Runs the operations and the cuts; stops at the first cut that finds a problem. */
    private void runOps() throws EngineDriver.OpFailed {
        int stretch = options.ops() / options.cuts();
        int armAt = plan.nextInt(stretch);
        for (int i = 0; i < options.ops(); i++) {
            boolean lastStretch = cuts == options.cuts() - 1;
            int stretchEnd = lastStretch ? options.ops() - 1 : (cuts + 1) * stretch - 1;
            if (cuts < options.cuts() && i == cuts * stretch + armAt) {
                arm(cuts);
            }
            Op op = workload.next();
            trace.accept("op " + i + ": " + op);
            driver.perform(op);
            opsDone = i + 1;
            if (power.isArmed() && i == stretchEnd) {
                power.cutIfArmed();
            }
            if (power.isOff()) {
                crashAndRestart();
                if (!problems.isEmpty()) {
                    return;
                }
                armAt = plan.nextInt(stretch);
            }
        }
    }

    /** Arms the switch for cut {@code n}: after a seeded number of writes or flushes, a seeded mode. */
    private void arm(int n) {
        long afterBios = 1 + plan.nextInt(MAX_BIOS_INTO_AN_OP);
        PowerCutMode mode = plan.nextBoolean() ? PowerCutMode.RANDOM : PowerCutMode.DROP_UNFLUSHED;
        long cutSeed = Seeds.derive(seed, "power-cut", n);
        CompletableFuture<PowerCutResult> done = cut;
        trace.accept("cut " + (n + 1) + " armed: at write or flush " + afterBios + " from here, mode "
                + mode.wireName() + ", seed " + cutSeed);
        power.arm(afterBios, () -> done.complete(cache.powerCut(mode, cutSeed)));
    }

    private void crashAndRestart() throws EngineDriver.OpFailed {
        engine.halt();
        cuts++;
        long dropped = cut.join().droppedSectors();
        droppedSectors += dropped;
        trace.accept("cut " + cuts + ": power off after " + power.writesAndFlushes() + " writes and flushes; "
                + dropped + " unflushed sectors dropped; halted, restarting");
        power.reset();
        try {
            start();
        } catch (IllegalStateException e) {
            problems.add(new Problem(Kind.CONSISTENCY, "cut " + cuts + ": the engine refused to start: "
                    + e.getMessage() + (e.getCause() != null ? ": " + e.getCause().getMessage() : "")));
            return;
        }
        checkConsistency("cut " + cuts + ", after the restart");
        Recovered recovered = driver.readAll();
        recovered.files().forEach((name, file) -> trace.accept("  found " + name + ": inode " + file.inode()
                + ", " + file.size() + " bytes"));
        Verdict verdict = Verifier.verify(model, recovered, options.scope());
        fsyncedBytes += verdict.fsyncedBytes();
        lostBytes += verdict.lostBytes();
        verdict.problems().forEach(p -> problems.add(new Problem(p.kind(), "cut " + cuts + ": " + p.detail())));
        model.restarted(recovered);
        Map<String, Long> sizes = new TreeMap<>();
        recovered.files().forEach((name, file) -> sizes.put(name, file.size()));
        workload.resync(sizes);
    }

    /** After the last operation: a sync, then the block maps and the allocator must agree. */
    private void finalCheck() throws EngineDriver.OpFailed {
        driver.perform(new Op.Sync());
        checkConsistency("after the last operation and a sync");
    }

    /**
     * The engine's consistency check, where it can run: an {@code ext2} file whose map blocks are
     * not cached cannot be checked live (its start-up check read them from the device and passed).
     */
    private void checkConsistency(String when) {
        List<ConsistencyProblem> found;
        try {
            found = engine.checkConsistency();
        } catch (MetadataNeededException e) {
            trace.accept("consistency check " + when + " skipped: " + e.getMessage());
            return;
        }
        if (!found.isEmpty()) {
            problems.add(new Problem(Kind.CONSISTENCY, when + ": " + found.size() + " problems, first "
                    + found.subList(0, Math.min(5, found.size()))));
        }
    }

    private void start() {
        cut = new CompletableFuture<>();
        engine = Engine.start(settings, power, journal);
        driver = new EngineDriver(engine, model, cut);
    }

    private void stop() {
        if (engine != null) {
            engine.halt();
            engine = null;
        }
        power.close();
        if (problems.isEmpty()) {
            deleteRecursively(dataDir);
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind is not worth failing the seed for
        }
    }
}
