package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * The flusher of one device (F1–F6, the kernel's {@code fs/fs-writeback.c}: {@code wb_do_writeback},
 * {@code wb_writeback}, {@code queue_io}, {@code writeback_sb_inodes}, {@code requeue_inode},
 * {@code writeback_chunk_size}) as a resumable step machine. It keeps the inode lists b_dirty,
 * b_io and b_more_io, the FIFO of queued works and the pending "start all" request, and decides
 * which inode to write next and how much; it never writes, waits or sleeps itself.
 *
 * <p><b>Driving it.</b> The owner reports inputs — {@link #markDirty}, {@link #markClean},
 * {@link #queueWork}, {@link #requestStartAll}, {@link #wakeup} — and calls {@link #step} after each
 * input, after each {@link FlusherDecision.WorkDone}, and when an {@link FlusherDecision.Idle}'s wake
 * time comes. A {@link FlusherDecision.WriteInode} is answered by sending the request to the inode
 * and passing its reply to {@link #chunkFinished}; one chunk is out at a time, as the kernel's
 * flusher writes one inode at a time.
 *
 * <p><b>Time</b> comes from the injected clock: a {@code LongSupplier} of monotonic nanoseconds
 * ({@code System::nanoTime} in production, a manual counter in tests and deterministic mode), read
 * once per call; dirtiedWhen and every cutoff are clock values.
 *
 * <p><b>The rules as implemented.</b>
 * <ul>
 *   <li>F1: queued works first, FIFO; then a pending start-all (nrPages = dirty pages now); then
 *       the periodic pass (nrPages = dirty pages now) if {@code writebackInterval} has passed since
 *       the last one (0 disables it); then background while dirty > bgThresh. A background pass that
 *       stops because a round wrote nothing is not restarted until {@link #wakeup}, a newly dirtied
 *       inode or the next periodic check, as the kernel's flusher sleeps until woken; so a step never
 *       spins on passes that cannot write.
 *   <li>F2: b_dirty is ordered by dirtiedWhen, the time of the first dirtying; dirtying an inode
 *       that is already on a list does not move it. When b_io is empty at the start of a round,
 *       b_more_io is spliced onto b_io, then every b_dirty inode with dirtiedWhen ≤ cutoff is moved,
 *       oldest first. Cutoff: periodic now − dirtyExpireInterval; background now; queued and
 *       start-all works their {@code startNanos}.
 *   <li>F3: {@link #chunkPages}.
 *   <li>F4: after a chunk ({@code requeue_inode}): in WB_SYNC_ALL or tagged passes a still-dirty
 *       inode gets dirtiedWhen = now (and is not queued again by the same pass); then pages skipped
 *       → b_dirty; still dirty with the chunk used up (nrToWriteLeft ≤ 0) → the tail of b_more_io;
 *       still dirty otherwise (blocked) → b_dirty; clean → off the lists. "→ b_dirty" is
 *       {@code redirty_tail}: the inode goes to the newest end, and if its dirtiedWhen is older than
 *       the newest inode's there it becomes now, so b_dirty stays ordered.
 *   <li>F5: before every chunk (the kernel checks at least every 100 ms): a pass stops when its
 *       pages are used up; a background or periodic pass yields when any work is queued; background
 *       stops once dirty ≤ bgThresh. A round that wrote nothing ends the pass if b_more_io is empty,
 *       else asks to wait for the writeback of the first inode on it.
 *   <li>F6: chunks are bounded per inode (F3); an inode whose chunk was used up goes behind the
 *       others on b_more_io, so busy inodes are written round robin, each cyclic chunk resuming at the
 *       inode's writebackIndex (C1). A round also ends once its time slice ({@code sliceNanos},
 *       100 ms) has passed with progress made, even while inodes wait on b_io: progress is judged
 *       per round (F5), so one productive chunk cannot keep a pass spinning over unproductive inodes
 *       for longer than a slice.
 * </ul>
 * Progress (F5) is pages written, plus one for each inode left clean, as in
 * {@code writeback_sb_inodes}.
 *
 * <p>Mutable and <b>not thread-safe</b>: owned by the device's coordinator actor.
 */
public final class FlusherState {

    /**
     * The flusher's tunables.
     *
     * @param writebackIntervalNanos period of the periodic pass (dirty_writeback_interval), 0 disables it
     * @param dirtyExpireIntervalNanos age at which the periodic pass writes an inode (dirty_expire_interval)
     * @param minChunkPages smallest chunk outside sync mode (MIN_WRITEBACK_PAGES), above 0
     * @param sliceNanos a round's time slice, above 0
     */
    public record Settings(long writebackIntervalNanos, long dirtyExpireIntervalNanos, long minChunkPages,
            long sliceNanos) {

        /** The kernel's writeback interval, 5 s. */
        public static final Duration DEFAULT_WRITEBACK_INTERVAL = Duration.ofSeconds(5);
        /** The kernel's dirty expire interval, 30 s. */
        public static final Duration DEFAULT_DIRTY_EXPIRE_INTERVAL = Duration.ofSeconds(30);
        /** The smallest chunk, 4 MiB. */
        public static final long DEFAULT_MIN_CHUNK_BYTES = 4L << 20;
        /** A round's slice, 100 ms (HZ / 10). */
        public static final Duration DEFAULT_SLICE = Duration.ofMillis(100);

        /** Validates. */
        public Settings {
            if (writebackIntervalNanos < 0 || dirtyExpireIntervalNanos < 0) {
                throw new IllegalArgumentException("negative interval: writeback=" + writebackIntervalNanos
                        + ", expire=" + dirtyExpireIntervalNanos);
            }
            if (minChunkPages <= 0 || sliceNanos <= 0) {
                throw new IllegalArgumentException("minChunkPages and sliceNanos must be positive: "
                        + minChunkPages + ", " + sliceNanos);
            }
        }

        /** The kernel's defaults for pages of {@code pageSize} bytes. */
        public static Settings defaults(int pageSize) {
            if (pageSize <= 0) {
                throw new IllegalArgumentException("page size must be positive: " + pageSize);
            }
            return new Settings(DEFAULT_WRITEBACK_INTERVAL.toNanos(), DEFAULT_DIRTY_EXPIRE_INTERVAL.toNanos(),
                    Math.max(1, DEFAULT_MIN_CHUNK_BYTES / pageSize), DEFAULT_SLICE.toNanos());
        }
    }

    /**
     * The device figures a step reads, from the shared dirty ledger and the bandwidth estimate.
     *
     * @param dirtyPages dirty pages of the device: compared with {@code bgThreshPages} (F1, F5) and
     *     the size of periodic and start-all passes
     * @param bgThreshPages the background threshold (T1)
     * @param dirtyLimitPages the hard threshold (T1), for chunk sizing (F3)
     * @param bandwidthPagesPerSec the measured write bandwidth (F3)
     */
    public record Counters(long dirtyPages, long bgThreshPages, long dirtyLimitPages, long bandwidthPagesPerSec) {
        /** Validates. */
        public Counters {
            if (dirtyPages < 0 || bgThreshPages < 0 || dirtyLimitPages < 0 || bandwidthPagesPerSec < 0) {
                throw new IllegalArgumentException("negative counter: dirty=" + dirtyPages + ", bg=" + bgThreshPages
                        + ", limit=" + dirtyLimitPages + ", bandwidth=" + bandwidthPagesPerSec);
            }
        }

        /** Counters from the device's limits. */
        public static Counters of(long dirtyPages, DirtyLimits limits, long bandwidthPagesPerSec) {
            return new Counters(dirtyPages, limits.bgThreshPages(), limits.threshPages(), bandwidthPagesPerSec);
        }
    }

    private final Settings settings;
    private final LongSupplier nanoClock;
    private final Map<Long, Entry> entries = new HashMap<>();
    private final InodeList bDirty = new InodeList();
    private final InodeList bIo = new InodeList();
    private final InodeList bMoreIo = new InodeList();
    private final ArrayDeque<WritebackWork> works = new ArrayDeque<>();
    private WritebackReason startAllReason;
    private long lastPeriodicNanos;
    private boolean backgroundStalled;
    private long passCount;
    private Pass pass;
    private Entry inFlight;
    private WritePagesRequest inFlightRequest;

    /**
     * @param settings tunables
     * @param nanoClock monotonic nanoseconds; the periodic interval counts from construction
     */
    public FlusherState(Settings settings, LongSupplier nanoClock) {
        this.settings = requireNonNull(settings, "settings");
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        this.lastPeriodicNanos = nanoClock.getAsLong();
    }

    // ---- inputs --------------------------------------------------------------------------------

    /**
     * The inode went from clean to dirty (F2): it joins the newest end of b_dirty with
     * dirtiedWhen = now. An inode already on a list keeps its place and dirtiedWhen; one being written
     * is remembered as dirtied and requeued when its chunk finishes.
     */
    public void markDirty(long inode) {
        long now = nanoClock.getAsLong();
        Entry e = entries.get(inode);
        if (e == null) {
            e = new Entry(inode, now);
            entries.put(inode, e);
            bDirty.addLast(e);
            backgroundStalled = false;
        } else if (e == inFlight && !e.redirtiedInFlight) {
            e.redirtiedInFlight = true;
            e.redirtiedAt = now;
        }
    }

    /**
     * The inode has no dirty pages left (written by an fsync, truncated, unlinked): it leaves the
     * lists. While its chunk is out, the chunk's reply decides instead.
     */
    public void markClean(long inode) {
        Entry e = entries.get(inode);
        if (e == null) {
            return;
        }
        if (e == inFlight) {
            e.redirtiedInFlight = false;
            return;
        }
        e.list.remove(e);
        entries.remove(inode);
    }

    /** Queues a caller's work behind the others (F1); it runs before any flusher-made pass. */
    public void queueWork(WritebackWork work) {
        requireNonNull(work, "work");
        if (work.kind() != WritebackWork.Kind.QUEUED) {
            throw new IllegalArgumentException("only QUEUED works can be queued: " + work);
        }
        works.addLast(work);
    }

    /**
     * Asks for one WB_SYNC_NONE pass over every dirty page (the kernel's WB_start_all). Requests
     * made while one is pending merge into it, keeping the first reason.
     */
    public void requestStartAll(WritebackReason reason) {
        requireNonNull(reason, "reason");
        if (startAllReason == null) {
            startAllReason = reason;
        }
    }

    /**
     * Wakes the flusher (T2): a background pass that found nothing to write may be tried again. Call
     * when a writer's throttle decision says {@code wakeFlusher}, and when writeback completes while
     * dirty is above the background threshold.
     */
    public void wakeup() {
        backgroundStalled = false;
    }

    // ---- the step machine -----------------------------------------------------------------------

    /** The next thing to do; see the class comment. */
    public FlusherDecision step(Counters counters) {
        requireNonNull(counters, "counters");
        if (inFlight != null) {
            return new FlusherDecision.ChunkInFlight(inFlight.inode);
        }
        long now = nanoClock.getAsLong();
        if (pass == null) {
            WritebackWork work = nextWork(now, counters.dirtyPages(), counters.bgThreshPages());
            if (work == null) {
                return new FlusherDecision.Idle(nextWakeNanos());
            }
            pass = new Pass(work, ++passCount);
        }
        WritebackWork work = pass.work;
        if (pass.pagesLeft <= 0
                || (work.kind().yieldsToQueuedWork() && !works.isEmpty())
                || (work.kind() == WritebackWork.Kind.BACKGROUND && counters.dirtyPages() <= counters.bgThreshPages())) {
            return endPass(false);
        }
        if (pass.roundOpen) {
            boolean drained = bIo.isEmpty();
            boolean sliceUsed = pass.roundProgress > 0 && now - pass.roundStartNanos >= settings.sliceNanos();
            if (drained || sliceUsed) {
                pass.roundOpen = false;
                if (pass.roundProgress == 0) {
                    if (bMoreIo.isEmpty()) {
                        return endPass(true);
                    }
                    return new FlusherDecision.WaitForWriteback(bMoreIo.first().inode);
                }
            }
        }
        if (!pass.roundOpen) {
            pass.roundOpen = true;
            pass.roundStartNanos = now;
            pass.roundProgress = 0;
            if (bIo.isEmpty()) {
                queueIo(work, now);
            }
            if (bIo.isEmpty()) {
                return endPass(true);
            }
        }
        Entry e = bIo.pollFirst();
        long chunk = chunkPages(work.isIntegrity(), counters.bandwidthPagesPerSec(), counters.dirtyLimitPages(),
                pass.pagesLeft, settings.minChunkPages());
        inFlight = e;
        inFlightRequest = work.request(chunk);
        return new FlusherDecision.WriteInode(e.inode, inFlightRequest);
    }

    /**
     * The reply to the {@link FlusherDecision.WriteInode} for {@code inode}: charges the pass and
     * requeues the inode (F4).
     *
     * @throws IllegalStateException if no chunk of that inode is out
     */
    public void chunkFinished(long inode, WritePagesReply reply) {
        requireNonNull(reply, "reply");
        if (inFlight == null || inFlight.inode != inode) {
            throw new IllegalStateException("no chunk of inode " + inode + " is out"
                    + (inFlight == null ? "" : " (inode " + inFlight.inode + " is)"));
        }
        long now = nanoClock.getAsLong();
        Entry e = inFlight;
        WritePagesRequest request = inFlightRequest;
        inFlight = null;
        inFlightRequest = null;

        long consumed = reply.pagesConsumed(request);
        pass.pagesLeft = consumed >= pass.pagesLeft ? 0 : pass.pagesLeft - consumed;
        pass.pagesWritten += reply.pagesWritten();
        boolean dirty = reply.stillDirty() || e.redirtiedInFlight;
        pass.roundProgress += reply.pagesWritten() + (dirty ? 0 : 1);
        requeue(e, request, reply, dirty, now);
    }

    private void requeue(Entry e, WritePagesRequest request, WritePagesReply reply, boolean dirty, long now) {
        boolean freshlyDirtied = e.redirtiedInFlight && !reply.stillDirty();
        e.redirtiedInFlight = false;
        if (!dirty) {
            entries.remove(e.inode);
            return;
        }
        if (freshlyDirtied) {
            e.dirtiedWhen = e.redirtiedAt; // cleaned by the chunk, then dirtied anew
        }
        if (request.tagsToWrite()) {
            e.dirtiedWhen = now;
            e.syncPass = pass.seq;
        }
        if (reply.pagesSkipped() == 0 && reply.stillDirty() && reply.nrToWriteLeft() <= 0) {
            bMoreIo.addLast(e);
        } else {
            redirtyTail(e, now);
        }
    }

    /** redirty_tail: to the newest end of b_dirty, keeping it ordered by dirtiedWhen. */
    private void redirtyTail(Entry e, long now) {
        Entry newest = bDirty.last();
        if (newest != null && e.dirtiedWhen < newest.dirtiedWhen) {
            e.dirtiedWhen = now;
        }
        bDirty.addLast(e);
    }

    private FlusherDecision endPass(boolean nothingWritten) {
        WritebackWork work = pass.work;
        long written = pass.pagesWritten;
        if (work.kind() == WritebackWork.Kind.BACKGROUND && nothingWritten) {
            backgroundStalled = true;
        }
        pass = null;
        return new FlusherDecision.WorkDone(work, written);
    }

    private long nextWakeNanos() {
        if (settings.writebackIntervalNanos() == 0 || entries.isEmpty()) {
            return Long.MAX_VALUE;
        }
        return lastPeriodicNanos + settings.writebackIntervalNanos();
    }

    /**
     * F1: the work to run next, or {@code null}. Takes it: a queued work leaves the queue, a
     * start-all request is cleared, and the periodic timer restarts when its pass falls due.
     */
    WritebackWork nextWork(long now, long dirtyPages, long bgThreshPages) {
        if (!works.isEmpty()) {
            return works.pollFirst();
        }
        if (startAllReason != null) {
            WritebackReason reason = startAllReason;
            startAllReason = null;
            if (dirtyPages > 0) {
                return WritebackWork.startAll(dirtyPages, reason, now);
            }
        }
        long interval = settings.writebackIntervalNanos();
        if (interval > 0 && now - lastPeriodicNanos >= interval) {
            lastPeriodicNanos = now;
            backgroundStalled = false;
            if (dirtyPages > 0) {
                return WritebackWork.periodic(dirtyPages, now);
            }
        }
        if (!backgroundStalled && dirtyPages > bgThreshPages) {
            return WritebackWork.background(now);
        }
        return null;
    }

    /**
     * F2: appends b_more_io to b_io, then every b_dirty inode whose dirtiedWhen ≤ the work's cutoff,
     * oldest first. An integrity pass skips inodes it has already written.
     */
    void queueIo(WritebackWork work, long now) {
        long passSeq = pass == null ? -1 : pass.seq;
        while (!bMoreIo.isEmpty()) {
            bIo.addLast(bMoreIo.pollFirst());
        }
        long cutoff = cutoff(work, now);
        List<Entry> expired = new ArrayList<>();
        for (Entry e : bDirty.entries()) {
            if (e.dirtiedWhen > cutoff) {
                break;
            }
            if (!(work.isIntegrity() && e.syncPass == passSeq)) {
                expired.add(e);
            }
        }
        for (Entry e : expired) {
            bDirty.remove(e);
            bIo.addLast(e);
        }
    }

    private long cutoff(WritebackWork work, long now) {
        switch (work.kind()) {
            case BACKGROUND:
                return now;
            case PERIODIC:
                return now - settings.dirtyExpireIntervalNanos();
            default:
                return work.startNanos();
        }
    }

    /**
     * F3, {@code writeback_chunk_size}: the pages one inode may write in one turn. Unlimited for
     * WB_SYNC_ALL and tagged works; otherwise
     * {@code min(bandwidth × 0.5 s, dirtyLimit / 8, pagesLeftInWork)}, rounded down to a multiple of
     * {@code minChunkPages}, plus {@code minChunkPages} — so never less than it (4 MiB by default).
     */
    public static long chunkPages(boolean integrity, long bandwidthPagesPerSec, long dirtyLimitPages,
            long pagesLeftInWork, long minChunkPages) {
        if (minChunkPages <= 0) {
            throw new IllegalArgumentException("minChunkPages must be positive: " + minChunkPages);
        }
        if (integrity) {
            return WritePagesRequest.UNLIMITED;
        }
        long pages = Math.min(bandwidthPagesPerSec / 2, dirtyLimitPages / 8);
        pages = Math.max(0, Math.min(pages, pagesLeftInWork));
        return pages / minChunkPages * minChunkPages + minChunkPages;
    }

    // ---- inspection ------------------------------------------------------------------------------

    /** The inodes on b_dirty, oldest first. */
    public List<Long> bDirty() {
        return bDirty.inodes();
    }

    /** The inodes on b_io, next to be written first. */
    public List<Long> bIo() {
        return bIo.inodes();
    }

    /** The inodes on b_more_io, first requeued first. */
    public List<Long> bMoreIo() {
        return bMoreIo.inodes();
    }

    /** The inode's dirtiedWhen, if the flusher tracks it as dirty. */
    public OptionalLong dirtiedWhen(long inode) {
        Entry e = entries.get(inode);
        return e == null ? OptionalLong.empty() : OptionalLong.of(e.dirtiedWhen);
    }

    /** Dirty inodes tracked: on a list or being written. */
    public int dirtyInodes() {
        return entries.size();
    }

    /** Works queued and not yet started. */
    public int queuedWorks() {
        return works.size();
    }

    /** The work of the pass under way, or {@code null}. */
    public WritebackWork currentWork() {
        return pass == null ? null : pass.work;
    }

    /** Whether a start-all request is waiting. */
    public boolean startAllPending() {
        return startAllReason != null;
    }

    @Override
    public String toString() {
        return "FlusherState[b_dirty=" + bDirty() + ", b_io=" + bIo() + ", b_more_io=" + bMoreIo() + ", works="
                + works.size() + ", pass=" + (pass == null ? "none" : pass.work.kind()) + ", inFlight="
                + (inFlight == null ? "none" : inFlight.inode) + "]";
    }

    // ---- internals -------------------------------------------------------------------------------

    /** One dirty inode as the flusher sees it. */
    private static final class Entry {
        final long inode;
        long dirtiedWhen;
        InodeList list;
        long key;
        boolean redirtiedInFlight;
        long redirtiedAt;
        long syncPass = -1;

        Entry(long inode, long dirtiedWhen) {
            this.inode = inode;
            this.dirtiedWhen = dirtiedWhen;
        }
    }

    /** An ordered inode list with O(log n) append, removal anywhere, and both ends. */
    private static final class InodeList {
        private final TreeMap<Long, Entry> order = new TreeMap<>();
        private long nextKey;

        void addLast(Entry e) {
            e.list = this;
            e.key = nextKey++;
            order.put(e.key, e);
        }

        void remove(Entry e) {
            order.remove(e.key);
            e.list = null;
        }

        Entry pollFirst() {
            Map.Entry<Long, Entry> first = order.pollFirstEntry();
            if (first == null) {
                return null;
            }
            first.getValue().list = null;
            return first.getValue();
        }

        Entry first() {
            Map.Entry<Long, Entry> first = order.firstEntry();
            return first == null ? null : first.getValue();
        }

        Entry last() {
            Map.Entry<Long, Entry> last = order.lastEntry();
            return last == null ? null : last.getValue();
        }

        boolean isEmpty() {
            return order.isEmpty();
        }

        Iterable<Entry> entries() {
            return order.values();
        }

        List<Long> inodes() {
            List<Long> out = new ArrayList<>(order.size());
            for (Entry e : order.values()) {
                out.add(e.inode);
            }
            return List.copyOf(out);
        }
    }

    /** The pass of one work: a series of rounds over b_io. */
    private static final class Pass {
        final WritebackWork work;
        final long seq;
        long pagesLeft;
        long pagesWritten;
        boolean roundOpen;
        long roundStartNanos;
        long roundProgress;

        Pass(WritebackWork work, long seq) {
            this.work = work;
            this.seq = seq;
            this.pagesLeft = work.nrPages();
        }
    }
}
