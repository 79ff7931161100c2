package dev.writebackd.actors.engine;

import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import dev.writebackd.layout.MetadataBuffers;
import dev.writebackd.mpage.Errseq;
import dev.writebackd.mpage.ErrseqCursor;
import dev.writebackd.mpage.FileReads;
import dev.writebackd.mpage.ReadaheadWindow;
import dev.writebackd.mpage.Throttle;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The state of one active file, owned by its {@link InodeActor} and shared with the helpers that
 * act on it for the actor: device I/O ({@link InodeIo}), page operations ({@link PageOpQueue}),
 * writeback passes and their completions ({@link InodeWriteback}), fsync and sync
 * ({@link SyncJobs}) and writer throttling ({@link ThrottledWriters}). None of them is an actor;
 * all run on the actor's thread only, so nothing here is synchronized.
 */
final class InodeFile {

    /** An open handle: its errseq cursors, readahead window and throttling state. */
    static final class OpenFile {
        final ErrseqCursor fileErrors;
        final ErrseqCursor deviceErrors;
        final ReadaheadWindow window;
        Throttle.WriterState writer;

        OpenFile(ErrseqCursor fileErrors, ErrseqCursor deviceErrors, ReadaheadWindow window, long baseRate) {
            this.fileErrors = fileErrors;
            this.deviceErrors = deviceErrors;
            this.window = window;
            this.writer = Throttle.WriterState.initial(baseRate);
        }
    }

    final long inode;
    final DeviceContext device;
    final ActorContext<InodeActor.Command> context;
    final TimerScheduler<InodeActor.Command> timers;
    final OrderedStash<InodeActor.Command> stash;
    final PageCache cache;
    final FileReads reads;
    final MetadataBuffers metadata;
    final Errseq errseq = new Errseq();
    final Map<Long, OpenFile> handles = new HashMap<>();
    final DurabilityTracker durability = new DurabilityTracker();
    final WritebackWaits<SyncJobs.SyncJob> waits = new WritebackWaits<>();
    final FailedPages failedPages;
    /** The pages in the order they were last touched, for eviction. */
    final PageAges ages;
    /** Where the coordinator sends this file's chunks. */
    final ActorRef<Flushing.WritePages> writePages;
    /** Where the bio actor answers this file's reads and flushes. */
    final ActorRef<BioDispatcher.Completed> ioReplies;
    /** Where the completion actor answers a requested flush. */
    final ActorRef<CompletionActor.Flushed> flushed;

    final InodeIo io;
    final PageOpQueue ops;
    final SyncJobs syncs;
    final ThrottledWriters throttle;
    final InodeWriteback writeback;
    /** Passes asked for by a {@link Flushing.WritePages}, a {@link SyncJobs.SyncJob}, or nobody (a synced write). */
    final PassRunner<Object> passes;

    long reportedSize;
    boolean dirtyReported;
    boolean unlinked;
    boolean stopping;
    private long nextTimerKey;

    InodeFile(long inode, DeviceContext device, ActorContext<InodeActor.Command> context,
            TimerScheduler<InodeActor.Command> timers, OrderedStash<InodeActor.Command> stash,
            ActorRef<Flushing.WritePages> writePages, ActorRef<BioDispatcher.Completed> ioReplies,
            ActorRef<CompletionActor.Flushed> flushed) {
        this.inode = inode;
        this.device = device;
        this.context = context;
        this.timers = timers;
        this.stash = stash;
        this.writePages = writePages;
        this.ioReplies = ioReplies;
        this.flushed = flushed;
        this.cache = new PageCache(inode, device.pool(), device.ledger(), device.layout().blockSize());
        this.cache.setSize(device.layout().size(inode)); // the restored size after a restart
        this.reportedSize = cache.size();
        this.reads = new FileReads(cache, device.layout());
        this.metadata = device.layout().metadataBuffers();
        this.failedPages = new FailedPages(cache, durability);
        this.ages = new PageAges(cache, reads, failedPages, device.cacheBudget());
        this.io = new InodeIo(this);
        this.ops = new PageOpQueue(this);
        this.syncs = new SyncJobs(this);
        this.throttle = new ThrottledWriters(this);
        this.writeback = new InodeWriteback(this);
        this.passes = new PassRunner<>(cache, device.layout(), metadata, device.maxBioSegments(), writeback.passIo());
    }

    /** A fresh key for a single timer. */
    long nextTimerKey() {
        return nextTimerKey++;
    }

    /** Tells the coordinator when the file turns dirty (F2) and, between passes, when it turns clean. */
    void reportDirty() {
        boolean dirty = cache.dirtyPages() > 0;
        if (dirty && !dirtyReported) {
            dirtyReported = true;
            device.coordinator().tell(new Flushing.InodeDirtied(inode, writePages));
        } else if (!dirty && dirtyReported && !passes.running()) {
            dirtyReported = false;
            device.coordinator().tell(new Flushing.InodeClean(inode));
        }
    }

    /** Tells the layout the file's size when a write or truncate changed it (ordered mode commits it). */
    void reportSize() {
        if (!unlinked && cache.size() != reportedSize) {
            reportedSize = cache.size();
            device.layout().sizeChanged(inode, reportedSize);
        }
    }

    /** Records a pass's write errors for the file and the device (E2, C7: the writer's own errors). */
    void recordErrors(List<Errno> errors) {
        for (Errno error : errors) {
            errseq.set(error);
            device.deviceErrseq().set(error);
            durability.lostUnlessPending(cache, error);
        }
    }

    /** The byte ranges dirty, under writeback or held. */
    List<InodeActor.Range> notClean() {
        List<InodeActor.Range> ranges = new ArrayList<>();
        int bits = PageFlags.DIRTY | PageFlags.WRITEBACK | PageFlags.HELD;
        long start = -1;
        long last = -2;
        for (long page = cache.next(0, Long.MAX_VALUE, 0); page >= 0; page = cache.next(page + 1, Long.MAX_VALUE, 0)) {
            if ((cache.flags(page) & bits) == 0) {
                continue;
            }
            if (page != last + 1) {
                addRange(ranges, start, last);
                start = page;
            }
            last = page;
        }
        addRange(ranges, start, last);
        return ranges;
    }

    private void addRange(List<InodeActor.Range> ranges, long first, long last) {
        if (first >= 0) {
            long offset = first * cache.pageSize();
            long end = Math.min((last + 1) * cache.pageSize(), Math.max(cache.size(), offset + 1));
            ranges.add(new InodeActor.Range(offset, end - offset));
        }
    }

    static ErrnoException badHandle(long handleId) {
        return new ErrnoException(Errno.EBADF, "handle " + handleId + " is not open");
    }
}
