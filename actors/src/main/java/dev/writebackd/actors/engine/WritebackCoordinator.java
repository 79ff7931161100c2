package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.actors.engine.Flushing.ChunkWritten;
import dev.writebackd.actors.engine.Flushing.CoordinatorCommand;
import dev.writebackd.actors.engine.Flushing.InodeClean;
import dev.writebackd.actors.engine.Flushing.InodeDirtied;
import dev.writebackd.actors.engine.Flushing.SyncAll;
import dev.writebackd.actors.engine.Flushing.SyncDone;
import dev.writebackd.actors.engine.Flushing.WakeUp;
import dev.writebackd.actors.engine.Flushing.WritePages;
import dev.writebackd.actors.engine.Flushing.WritebackEnded;
import dev.writebackd.config.PageCacheSettings;
import dev.writebackd.config.WritebackPolicy;
import dev.writebackd.mpage.BandwidthEstimator;
import dev.writebackd.mpage.DirtyLimits;
import dev.writebackd.mpage.FlusherDecision;
import dev.writebackd.mpage.FlusherState;
import dev.writebackd.mpage.WritePagesReply;
import dev.writebackd.mpage.WritePagesRequest;
import dev.writebackd.mpage.WritebackWork;
import dev.writebackd.page.DirtyLedger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The flusher of one device (step 3 of the path of a write; F1–F6, T1–T2): a thin actor around
 * {@link FlusherState}, which decides what to write, and a {@link BandwidthMeter}, whose estimate
 * sizes chunks and feeds the throttle.
 *
 * <p>It learns of dirty inodes from {@link InodeDirtied} (keeping each inode's {@link WritePages}
 * address) and {@link InodeClean}, and runs the step machine whenever something may have changed:
 * its periodic timer, {@link WakeUp}, {@link ChunkWritten}, {@link WritebackEnded}, a newly dirtied
 * inode, {@link SyncAll} and {@link SetPolicy}. One chunk is out at a time; a pass that made no
 * progress waits for a {@link WritebackEnded} (or {@link #WRITEBACK_WAIT_FALLBACK}) before trying
 * again (F5). The dirty thresholds (T1) and the bandwidth estimate are published into the shared
 * {@link DirtyLedger}, where the inode actors' throttles read them.
 *
 * <p>An inode whose address has terminated (a passivated or failed inode actor) counts as clean:
 * its chunk in flight, if any, is finished as writing nothing, so the flusher never waits on it.
 *
 * <p>Time comes only from the injected nanosecond clock and Pekko timers; nothing blocks.
 */
public final class WritebackCoordinator extends AbstractBehavior<CoordinatorCommand> {

    /** How long a pass that made no progress waits for writeback to end before it tries again. */
    public static final Duration WRITEBACK_WAIT_FALLBACK = FlusherState.Settings.DEFAULT_SLICE;
    /** How often the bandwidth estimate is updated while writeback is in progress. */
    public static final Duration BANDWIDTH_TICK = Duration.ofNanos(BandwidthEstimator.WINDOW_NANOS);

    /**
     * Replaces the writeback policy: the thresholds (T1) are recomputed and published at once; a
     * changed writeback interval, expire interval or minimum chunk applies from the next pass.
     */
    public record SetPolicy(WritebackPolicy policy) implements CoordinatorCommand {
        /** Validates the message. */
        public SetPolicy {
            requireNonNull(policy, "policy");
        }
    }

    /** Asks for the coordinator's {@link Stats}. */
    public record GetStats(ActorRef<Stats> replyTo) implements CoordinatorCommand {
        /** Validates the message. */
        public GetStats {
            requireNonNull(replyTo, "replyTo");
        }
    }

    /**
     * A snapshot of the flusher.
     *
     * @param dirtyInodes inodes the flusher tracks as dirty
     * @param queuedWorks sync works queued and not yet started
     * @param currentWork the work of the pass under way, or {@code null}
     * @param passesRun passes ended since the coordinator started (including ones that found nothing)
     * @param chunksWritten chunks answered by inodes
     * @param pagesWritten pages those chunks put under writeback
     * @param bandwidthPagesPerSec the write bandwidth estimate, as published
     * @param dirtyThreshPages the hard threshold (T1), as published
     * @param backgroundThreshPages the background threshold (T1), as published
     * @param periodicPasses periodic (kupdate) passes among {@code passesRun}
     * @param backgroundPasses background passes among {@code passesRun}
     */
    public record Stats(int dirtyInodes, int queuedWorks, WritebackWork currentWork, long passesRun,
            long chunksWritten, long pagesWritten, long bandwidthPagesPerSec, long dirtyThreshPages,
            long backgroundThreshPages, long periodicPasses, long backgroundPasses) {}

    /** The periodic pass (or another timed step) falls due. */
    private enum PeriodicWake implements CoordinatorCommand { INSTANCE }

    /** A pass waiting for writeback to end has waited long enough. */
    private enum WaitTimedOut implements CoordinatorCommand { INSTANCE }

    /** Time to update the bandwidth estimate. */
    private enum BandwidthTick implements CoordinatorCommand { INSTANCE }

    /** An inode actor's {@link WritePages} address terminated. */
    private record WriterTerminated(ActorRef<WritePages> writer) implements CoordinatorCommand {}

    /** A chunk sent and not yet answered. */
    private record Outstanding(long inode, ActorRef<WritePages> writer, WritePagesRequest request) {}

    /** A queued sync work and who waits for it. */
    private record PendingSync(WritebackWork work, ActorRef<SyncDone> replyTo) {}

    private static final String WAKE_TIMER = "wake";
    private static final String WAIT_TIMER = "wait";
    private static final String TICK_TIMER = "bandwidth";

    private final TimerScheduler<CoordinatorCommand> timers;
    private final DirtyLedger ledger;
    private final PageCacheSettings cache;
    private final LongSupplier nanoClock;
    private final BandwidthMeter bandwidth;
    private final Map<Long, ActorRef<WritePages>> writers = new HashMap<>();
    private final Map<Long, PendingSync> pendingSyncs = new LinkedHashMap<>();
    private FlusherState flusher;
    private FlusherState.Settings flusherSettings;
    private FlusherState.Settings pendingSettings;
    private DirtyLimits limits;
    private Outstanding outstanding;
    private boolean waitingForWriteback;
    private long nextWorkId;
    private long passesRun;
    private long periodicPasses;
    private long backgroundPasses;
    private long chunksWritten;
    private long pagesWritten;

    /**
     * The coordinator of one device.
     *
     * @param ledger the device's shared page counters, read for dirty pages and completions, and
     *     where thresholds and bandwidth are published
     * @param policy the writeback policy at start
     * @param cache the page size and cache budget the thresholds are computed from
     * @param nanoClock monotonic nanoseconds: {@code System::nanoTime} in production, a manual clock
     *     (advanced together with Pekko's ManualTime) in tests and deterministic mode
     */
    public static Behavior<CoordinatorCommand> create(DirtyLedger ledger, WritebackPolicy policy,
            PageCacheSettings cache, LongSupplier nanoClock) {
        requireNonNull(ledger, "ledger");
        requireNonNull(policy, "policy");
        requireNonNull(cache, "cache");
        requireNonNull(nanoClock, "nanoClock");
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new WritebackCoordinator(context, timers, ledger, policy, cache, nanoClock)));
    }

    private WritebackCoordinator(ActorContext<CoordinatorCommand> context, TimerScheduler<CoordinatorCommand> timers,
            DirtyLedger ledger, WritebackPolicy policy, PageCacheSettings cache, LongSupplier nanoClock) {
        super(context);
        this.timers = timers;
        this.ledger = ledger;
        this.cache = cache;
        this.nanoClock = nanoClock;
        this.bandwidth = new BandwidthMeter(cache.pageSize(), nanoClock, ledger);
        this.flusherSettings = FlusherPolicy.settings(policy, cache.pageSize());
        this.flusher = new FlusherState(flusherSettings, nanoClock);
        applyLimits(policy);
    }

    @Override
    public Receive<CoordinatorCommand> createReceive() {
        return newReceiveBuilder()
                .onMessage(InodeDirtied.class, this::onInodeDirtied)
                .onMessage(InodeClean.class, this::onInodeClean)
                .onMessage(ChunkWritten.class, this::onChunkWritten)
                .onMessage(WritebackEnded.class, this::onWritebackEnded)
                .onMessage(WakeUp.class, this::onWakeUp)
                .onMessage(SyncAll.class, this::onSyncAll)
                .onMessage(SetPolicy.class, this::onSetPolicy)
                .onMessage(GetStats.class, this::onGetStats)
                .onMessage(PeriodicWake.class, this::onPeriodicWake)
                .onMessage(WaitTimedOut.class, this::onWaitTimedOut)
                .onMessage(BandwidthTick.class, this::onBandwidthTick)
                .onMessage(WriterTerminated.class, this::onWriterTerminated)
                .build();
    }

    private Behavior<CoordinatorCommand> onInodeDirtied(InodeDirtied m) {
        writers.put(m.inode(), m.writer());
        // Watching the same address again is a no-op: the message is equal.
        getContext().watchWith(m.writer(), new WriterTerminated(m.writer()));
        flusher.markDirty(m.inode());
        advance();
        return this;
    }

    private Behavior<CoordinatorCommand> onInodeClean(InodeClean m) {
        writers.remove(m.inode());
        flusher.markClean(m.inode());
        return this;
    }

    private Behavior<CoordinatorCommand> onChunkWritten(ChunkWritten m) {
        if (outstanding == null || outstanding.inode() != m.inode()) {
            getContext().getLog().warn("Ignoring a chunk reply from inode {}: no chunk of it is out", m.inode());
            return this;
        }
        outstanding = null;
        chunksWritten++;
        pagesWritten += m.reply().pagesWritten();
        flusher.chunkFinished(m.inode(), m.reply());
        advance();
        return this;
    }

    private Behavior<CoordinatorCommand> onWritebackEnded(WritebackEnded m) {
        if (ledger.dirtyPages() > limits.bgThreshPages()) {
            flusher.wakeup();
        }
        resume();
        return this;
    }

    private Behavior<CoordinatorCommand> onWakeUp(WakeUp m) {
        flusher.wakeup();
        advance();
        return this;
    }

    private Behavior<CoordinatorCommand> onSyncAll(SyncAll m) {
        WritebackWork work = WritebackWork.sync(++nextWorkId, m.reason(), nanoClock.getAsLong());
        pendingSyncs.put(work.id(), new PendingSync(work, m.replyTo()));
        flusher.queueWork(work);
        resume();
        return this;
    }

    private Behavior<CoordinatorCommand> onSetPolicy(SetPolicy m) {
        applyLimits(m.policy());
        FlusherState.Settings settings = FlusherPolicy.settings(m.policy(), cache.pageSize());
        pendingSettings = settings.equals(flusherSettings) ? null : settings;
        applyPendingSettings();
        resume();
        return this;
    }

    private Behavior<CoordinatorCommand> onGetStats(GetStats m) {
        m.replyTo().tell(new Stats(flusher.dirtyInodes(), flusher.queuedWorks(), flusher.currentWork(), passesRun,
                chunksWritten, pagesWritten, ledger.bandwidthPagesPerSec(), ledger.dirtyThreshPages(),
                ledger.backgroundThreshPages(), periodicPasses, backgroundPasses));
        return this;
    }

    private Behavior<CoordinatorCommand> onPeriodicWake(PeriodicWake m) {
        advance();
        return this;
    }

    private Behavior<CoordinatorCommand> onWaitTimedOut(WaitTimedOut m) {
        resume();
        return this;
    }

    private Behavior<CoordinatorCommand> onBandwidthTick(BandwidthTick m) {
        if (!bandwidth.tick(writebackInProgress())) {
            timers.cancel(TICK_TIMER);
        }
        return this;
    }

    private Behavior<CoordinatorCommand> onWriterTerminated(WriterTerminated m) {
        List<Long> gone = new ArrayList<>();
        writers.entrySet().removeIf(e -> e.getValue().equals(m.writer()) && gone.add(e.getKey()));
        for (long inode : gone) {
            getContext().getLog().debug("Inode {} terminated while dirty; the flusher drops it", inode);
            flusher.markClean(inode);
        }
        if (outstanding != null && outstanding.writer().equals(m.writer())) {
            getContext().getLog().debug("Inode {} terminated with a chunk out; counting it as clean",
                    outstanding.inode());
            Outstanding lost = outstanding;
            outstanding = null;
            if (!writers.containsKey(lost.inode())) { // else a new actor of the inode has dirtied it again
                flusher.markClean(lost.inode());
            }
            flusher.chunkFinished(lost.inode(), nothingWritten(lost.request()));
            advance();
        }
        return this;
    }

    // ---- the step loop ---------------------------------------------------------------------------

    /** Leaves a wait for writeback (F5), then steps. */
    private void resume() {
        if (waitingForWriteback) {
            waitingForWriteback = false;
            timers.cancel(WAIT_TIMER);
        }
        advance();
    }

    /**
     * Updates the bandwidth estimate, then steps the flusher until it sends a chunk, waits or idles;
     * never while a chunk is out or a pass waits for writeback.
     */
    private void advance() {
        refreshBandwidth();
        while (outstanding == null && !waitingForWriteback) {
            FlusherDecision decision = flusher.step(counters());
            if (decision instanceof FlusherDecision.WriteInode write) {
                writeInode(write);
            } else if (decision instanceof FlusherDecision.WorkDone done) {
                workDone(done);
            } else if (decision instanceof FlusherDecision.WaitForWriteback) {
                waitingForWriteback = true;
                timers.startSingleTimer(WAIT_TIMER, WaitTimedOut.INSTANCE, WRITEBACK_WAIT_FALLBACK);
            } else if (decision instanceof FlusherDecision.Idle idle) {
                scheduleWake(idle.wakeAtNanos());
                return;
            } else {
                return; // ChunkInFlight: cannot happen while outstanding is null
            }
        }
    }

    private void writeInode(FlusherDecision.WriteInode write) {
        ActorRef<WritePages> writer = writers.get(write.inode());
        if (writer == null) {
            // Its actor is gone or it was cleaned meanwhile: nothing of it is left to write.
            flusher.chunkFinished(write.inode(), nothingWritten(write.request()));
            return;
        }
        outstanding = new Outstanding(write.inode(), writer, write.request());
        writer.tell(new WritePages(write.request(), getContext().getSelf()));
        refreshBandwidth();
    }

    private void workDone(FlusherDecision.WorkDone done) {
        passesRun++;
        if (done.work().kind() == WritebackWork.Kind.PERIODIC) {
            periodicPasses++;
        } else if (done.work().kind() == WritebackWork.Kind.BACKGROUND) {
            backgroundPasses++;
        }
        PendingSync sync = pendingSyncs.remove(done.work().id());
        if (sync != null) {
            sync.replyTo().tell(new SyncDone(done.pagesWritten()));
        }
        getContext().getLog().debug("{} pass ({}) wrote {} pages", done.work().kind(), done.work().reason(),
                done.pagesWritten());
        applyPendingSettings();
    }

    private void scheduleWake(long wakeAtNanos) {
        if (wakeAtNanos == Long.MAX_VALUE) {
            timers.cancel(WAKE_TIMER);
            return;
        }
        long delayNanos = Math.max(0, wakeAtNanos - nanoClock.getAsLong());
        // Whole milliseconds, rounded up: a timer never fires before the flusher's wake time.
        Duration delay = Duration.ofMillis((delayNanos + 999_999) / 1_000_000);
        timers.startSingleTimer(WAKE_TIMER, PeriodicWake.INSTANCE, delay);
    }

    /** Dirty means PG_dirty pages only, not those under writeback, as in the kernel's wb_over_bg_thresh. */
    private FlusherState.Counters counters() {
        return FlusherState.Counters.of(Math.max(0, ledger.dirtyPages()), limits, bandwidth.pagesPerSec());
    }

    private static WritePagesReply nothingWritten(WritePagesRequest request) {
        return new WritePagesReply(0, request.nrToWrite(), 0, false, null);
    }

    // ---- bandwidth (F3, T4), measured while writeback is in progress -------------------------------

    private void refreshBandwidth() {
        if (bandwidth.refresh(writebackInProgress())) {
            timers.startTimerWithFixedDelay(TICK_TIMER, BandwidthTick.INSTANCE, BANDWIDTH_TICK);
        }
    }

    private boolean writebackInProgress() {
        return outstanding != null || ledger.writebackPages() > 0;
    }

    // ---- policy (T1, F1–F3 tunables) -------------------------------------------------------------

    private void applyLimits(WritebackPolicy policy) {
        limits = FlusherPolicy.limits(policy, cache);
        ledger.publishThresholds(limits.threshPages(), limits.bgThreshPages());
        getContext().getLog().debug("Dirty thresholds: hard {} pages, background {} pages", limits.threshPages(),
                limits.bgThreshPages());
    }

    /** Takes new flusher settings once no pass is under way and no chunk is out (see {@link FlusherPolicy#refile}). */
    private void applyPendingSettings() {
        if (pendingSettings == null || outstanding != null || flusher.currentWork() != null) {
            return;
        }
        List<WritebackWork> queued = pendingSyncs.values().stream().map(PendingSync::work).toList();
        flusher = FlusherPolicy.refile(flusher, pendingSettings, nanoClock, queued);
        flusherSettings = pendingSettings;
        pendingSettings = null;
        getContext().getLog().debug("Flusher settings now {}", flusherSettings);
    }
}
