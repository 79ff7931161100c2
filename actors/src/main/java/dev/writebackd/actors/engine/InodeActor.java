package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.actors.io.BioResult;
import dev.writebackd.block.Bio;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.Segment;
import dev.writebackd.config.Durability;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import dev.writebackd.layout.MetadataBuffers;
import dev.writebackd.mpage.Errseq;
import dev.writebackd.mpage.ErrseqCursor;
import dev.writebackd.mpage.FileReads;
import dev.writebackd.mpage.ReadStep;
import dev.writebackd.mpage.ReadaheadWindow;
import dev.writebackd.mpage.SubmittedBio;
import dev.writebackd.mpage.SyncMode;
import dev.writebackd.mpage.Throttle;
import dev.writebackd.mpage.WriteCompletion;
import dev.writebackd.mpage.WritePagesReply;
import dev.writebackd.mpage.WritePagesRequest;
import dev.writebackd.mpage.WritebackReason;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;

/**
 * One active file (steps 1, 4 and 7 of the path of a write): the single owner of its page cache,
 * its reads and readahead, its errseq and its open handles.
 *
 * <p><b>Writes</b> arrive with their bytes already copied into pool pages ({@link WriteData}) and
 * are applied page by page through {@code WriteBegin}; the first dirtying of a clean file tells the
 * coordinator ({@link Flushing.InodeDirtied}), crossing the background threshold wakes it (T2), and
 * the writer is answered at once or later with a timer as {@link Throttle} decides (T3–T6).
 * <b>Writeback passes</b> — the coordinator's {@link Flushing.WritePages}, fsync's and sync's own —
 * run one at a time through {@link WritebackPass}: each step's bios go to the completion actor as
 * one submit, its needs are met asynchronously. <b>Completions</b> come back from the completion
 * actor as one {@link CompletionActor.WritesEnded} per batch: this actor ends the pages' writeback
 * ({@link WriteCompletion}), applies the error policy's verdicts, and wakes what waited.
 * <b>fsync</b> follows E1 in order: a sync-mode pass in the caller's request, a wait for every write
 * of the file in flight (the flusher's too), the handle's unseen error reported once (E3, E4),
 * else a device flush and the metadata commit.
 *
 * <p>Writes, reads and truncates that must wait for the device run one at a time
 * ({@link PageOps}); a truncate also waits for the pass in progress, and from its arrival until it
 * is done the file's other commands are stashed. Commands behind a stashed one are stashed too, so a caller's
 * commands keep their order. Nothing here blocks: device I/O goes through the bio actor and its
 * results come back as messages.
 */
public final class InodeActor extends AbstractBehavior<InodeActor.Command> {

    /** Commands stashed at most while a truncate or a waiting write is in progress. */
    public static final int STASH_CAPACITY = 100_000;
    private static final Duration METADATA_POLL = Duration.ofMillis(2);

    /** What an inode actor accepts. */
    public interface Command {}

    /** Opens handle {@code handleId}: it samples the file's and the device's errseq now (E4). */
    public record OpenHandle(long handleId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

    /** Closes handle {@code handleId}; EBADF if it is not open. */
    public record CloseHandle(long handleId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

    /**
     * Writes {@code data} through handle {@code handleId}. Answered with {@link Written} when the
     * throttle allows ({@code cached}) or once durable ({@code synced}); {@code durable} completes
     * once the bytes are on stable storage, or fails with the error that lost them.
     */
    public record Write(long handleId, WriteData data, Durability durability, CompletableFuture<Void> durable,
            ActorRef<StatusReply<Written>> replyTo) implements Command {
        /** Validates the message. */
        public Write {
            requireNonNull(data, "data");
            requireNonNull(durability, "durability");
            requireNonNull(durable, "durable");
            requireNonNull(replyTo, "replyTo");
        }
    }

    /** Answer to {@link Write}: the bytes written (fewer than asked only if the cache ran out). */
    public record Written(int bytes) {}

    /** Reads up to {@code length} bytes at {@code offset} through handle {@code handleId}; short at EOF. */
    public record Read(long handleId, long offset, int length, ActorRef<StatusReply<ByteBuffer>> replyTo)
            implements Command {}

    /** Changes the file's size to {@code size} (U1–U4). */
    public record Truncate(long size, ActorRef<StatusReply<Done>> replyTo) implements Command {}

    /** fsync through handle {@code handleId} (E1). */
    public record Fsync(long handleId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

    /** Writes back every dirty page of the file and waits for it; never reports errors (E6). */
    public record SyncFile(ActorRef<Done> replyTo) implements Command {}

    /** syncfs's report for handle {@code handleId}: the device's unseen error, once (E6). */
    public record CheckDeviceError(long handleId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

    /** The file's name is gone: once no handle is open, its pages are dropped, its blocks freed, and the actor stops. */
    public enum Unlink implements Command {
        /** The only instance. */
        INSTANCE
    }

    /** Asks for the file's state; with {@code withRanges}, also the byte ranges not yet clean. */
    public record GetState(boolean withRanges, ActorRef<FileState> replyTo) implements Command {}

    /**
     * A file's state.
     *
     * @param inode the file
     * @param size its size in bytes
     * @param cachedPages pages cached
     * @param dirtyPages pages dirty
     * @param writebackPages pages under writeback
     * @param heldPages pages held after a failed write under {@code sticky}
     * @param retryPages pages waiting out their backoff before a retry under {@code redirty}
     * @param throttledWriters writes answered late, not answered yet
     * @param notClean byte ranges dirty, under writeback or held (when asked for)
     */
    public record FileState(long inode, long size, long cachedPages, long dirtyPages, long writebackPages,
            long heldPages, long retryPages, int throttledWriters, List<Range> notClean) {}

    /** A byte range {@code [offset, offset + length)}. */
    public record Range(long offset, long length) {}

    private record WritePagesReceived(Flushing.WritePages command) implements Command {}

    private record WritesEndedReceived(CompletionActor.WritesEnded ended) implements Command {}

    private record IoCompleted(BioDispatcher.Completed completed) implements Command {}

    private record FlushedReceived(CompletionActor.Flushed flushed) implements Command {}

    private record ThrottleWake(long key) implements Command {}

    private record RetryDue(List<Long> pages) implements Command {}

    private enum MetadataPoll implements Command { INSTANCE }

    private record CommitDone(SyncJob job, Throwable failure) implements Command {}

    /** An open handle: its errseq cursors, readahead window and throttling state. */
    private static final class OpenFile {
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

    /** An fsync (with its handle) or a sync (handle -1, never reports errors), after its pass. */
    private static final class SyncJob {
        final long handleId;
        final ActorRef<StatusReply<Done>> fsyncReplyTo;
        final ActorRef<Done> syncReplyTo;
        boolean mapBlocksWritten;

        SyncJob(long handleId, ActorRef<StatusReply<Done>> fsyncReplyTo, ActorRef<Done> syncReplyTo) {
            this.handleId = handleId;
            this.fsyncReplyTo = fsyncReplyTo;
            this.syncReplyTo = syncReplyTo;
        }

        boolean isFsync() {
            return fsyncReplyTo != null;
        }
    }

    /** A writer whose answer the throttle delays. */
    private record Throttled(OpenFile handle, Runnable answer, boolean decideAgain) {}

    private final long inode;
    private final DeviceContext device;
    private final TimerScheduler<Command> timers;
    private final OrderedStash<Command> stash;
    private final PageCache cache;
    private final FileReads reads;
    private final MetadataBuffers metadata;
    private final Errseq errseq = new Errseq();
    private final ActorRef<Flushing.WritePages> writePages;
    private final ActorRef<BioDispatcher.Completed> io;
    private final ActorRef<CompletionActor.Flushed> flushed;
    private final Map<Long, OpenFile> handles = new HashMap<>();
    private final DurabilityTracker durability = new DurabilityTracker();
    private final WritebackWaits<SyncJob> waits = new WritebackWaits<>();
    /** Passes asked for by a {@link Flushing.WritePages}, a {@link SyncJob}, or nobody (a synced write). */
    private final PassRunner<Object> passes;
    private final Map<Bio, SyncJob> fsyncFlushes = new IdentityHashMap<>();
    private final Map<SyncJob, List<DurabilityTracker.Ticket>> flushTickets = new IdentityHashMap<>();
    private final FailedPages failedPages;
    private final Map<Long, Throttled> throttled = new HashMap<>();
    private final Set<Long> metadataReads = new HashSet<>();

    private PageOps.Op op;
    private Consumer<ReadStep> opFinish;
    private boolean truncating;
    private PendingTruncate pendingTruncate;
    private List<DurabilityTracker.Ticket> autoFlush;
    /** The blocks the automatic flush makes durable (ordered mode), taken when it was asked for. */
    private long autoFlushWritten;
    private final Map<SyncJob, Long> flushWritten = new IdentityHashMap<>();
    private long reportedSize = -1;
    private boolean dirtyReported;
    private boolean aboveBackground;
    private boolean unlinked;
    private boolean stopping;
    private long nextTimerKey;

    /** The actor of file {@code inode} on {@code device}; it registers with the completion actor at once. */
    public static Behavior<Command> create(long inode, DeviceContext device) {
        requireNonNull(device, "device");
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> Behaviors.withStash(STASH_CAPACITY,
                stash -> new InodeActor(context, timers, stash, inode, device))));
    }

    private InodeActor(ActorContext<Command> context, TimerScheduler<Command> timers, StashBuffer<Command> stash,
            long inode, DeviceContext device) {
        super(context);
        this.inode = inode;
        this.device = device;
        this.timers = timers;
        this.stash = new OrderedStash<>(stash, "inode " + inode);
        this.cache = new PageCache(inode, device.pool(), device.ledger(), device.layout().blockSize());
        this.cache.setSize(device.layout().size(inode)); // the restored size after a restart
        this.reportedSize = cache.size();
        this.reads = new FileReads(cache, device.layout());
        this.metadata = device.layout().metadataBuffers();
        this.failedPages = new FailedPages(cache, durability);
        this.passes = new PassRunner<>(cache, device.layout(), metadata, device.maxBioSegments(), new PassIo());
        this.writePages = context.messageAdapter(Flushing.WritePages.class, WritePagesReceived::new);
        this.io = context.messageAdapter(BioDispatcher.Completed.class, IoCompleted::new);
        this.flushed = context.messageAdapter(CompletionActor.Flushed.class, FlushedReceived::new);
        ActorRef<CompletionActor.WritesEnded> ended =
                context.messageAdapter(CompletionActor.WritesEnded.class, WritesEndedReceived::new);
        device.completions().tell(new CompletionActor.Register(inode, errseq, ended));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(OpenHandle.class, this::onOpenHandle)
                .onMessage(CloseHandle.class, this::onCloseHandle)
                .onMessage(Write.class, this::onWrite)
                .onMessage(Read.class, this::onRead)
                .onMessage(Truncate.class, this::onTruncate)
                .onMessage(Fsync.class, this::onFsync)
                .onMessage(SyncFile.class, this::onSyncFile)
                .onMessage(CheckDeviceError.class, this::onCheckDeviceError)
                .onMessage(Unlink.class, this::onUnlink)
                .onMessage(GetState.class, this::onGetState)
                .onMessage(WritePagesReceived.class, this::onWritePages)
                .onMessage(WritesEndedReceived.class, this::onWritesEnded)
                .onMessage(IoCompleted.class, this::onIoCompleted)
                .onMessage(FlushedReceived.class, this::onFlushed)
                .onMessage(ThrottleWake.class, this::onThrottleWake)
                .onMessage(RetryDue.class, this::onRetryDue)
                .onMessage(MetadataPoll.class, this::onMetadataPoll)
                .onMessage(CommitDone.class, this::onCommitDone)
                .build();
    }

    // ---- handles -------------------------------------------------------------------------------

    private Behavior<Command> onOpenHandle(OpenHandle command) {
        if (deferred(command)) {
            return this;
        }
        handles.put(command.handleId(), new OpenFile(ErrseqCursor.open(errseq),
                ErrseqCursor.open(device.deviceErrseq()), new ReadaheadWindow(device.readaheadPages()),
                WriterThrottle.bandwidth(device.ledger(), device.pageSize())));
        command.replyTo().tell(StatusReply.success(Done.getInstance()));
        return next();
    }

    private Behavior<Command> onCloseHandle(CloseHandle command) {
        if (deferred(command)) {
            return this;
        }
        if (handles.remove(command.handleId()) == null) {
            command.replyTo().tell(StatusReply.error(badHandle(command.handleId())));
        } else {
            command.replyTo().tell(StatusReply.success(Done.getInstance()));
            deleteIfUnused();
        }
        return next();
    }

    private Behavior<Command> onCheckDeviceError(CheckDeviceError command) {
        if (deferred(command)) {
            return this;
        }
        OpenFile handle = handles.get(command.handleId());
        if (handle == null) {
            command.replyTo().tell(StatusReply.error(badHandle(command.handleId())));
            return next();
        }
        Errno error = handle.deviceErrors.checkAndAdvance();
        command.replyTo().tell(error == null ? StatusReply.success(Done.getInstance())
                : StatusReply.error(new ErrnoException(error, "a write to the device failed since this handle last checked")));
        return next();
    }

    private Behavior<Command> onUnlink(Unlink command) {
        if (deferred(command)) {
            return this;
        }
        unlinked = true;
        deleteIfUnused();
        return next();
    }

    private Behavior<Command> onGetState(GetState command) {
        command.replyTo().tell(new FileState(inode, cache.size(), cache.cachedPages(), cache.dirtyPages(),
                cache.writebackPages(), failedPages.held(), failedPages.retrying(), throttled.size(),
                command.withRanges() ? notClean() : List.of()));
        return this;
    }

    // ---- writes and reads ----------------------------------------------------------------------

    private Behavior<Command> onWrite(Write command) {
        if (deferred(command)) {
            return this;
        }
        OpenFile handle = handles.get(command.handleId());
        if (handle == null || command.durability() == Durability.JOURNALED) {
            command.data().releaseAll();
            ErrnoException error = handle == null ? badHandle(command.handleId())
                    : new ErrnoException(Errno.ENOTSUP, "journaled durability is not available yet");
            command.durable().completeExceptionally(error);
            command.replyTo().tell(StatusReply.error(error));
            return next();
        }
        DurabilityTracker.Ticket ticket = durability.open(command.durable());
        PageOps.WriteOp write = new PageOps.WriteOp(cache, device.layout(), command.data(), durability, ticket);
        startOp(write, step -> writeApplied(command, handle, write, ticket, step));
        return next();
    }

    private void writeApplied(Write command, OpenFile handle, PageOps.WriteOp write, DurabilityTracker.Ticket ticket,
            ReadStep step) {
        command.data().releaseAll();
        int bytes = write.bytesApplied();
        if (step instanceof ReadStep.Failed failed && bytes == 0) {
            ErrnoException error = new ErrnoException(failed.errno(), "write at " + command.data().offset() + " failed");
            durability.fail(ticket, failed.errno());
            command.replyTo().tell(StatusReply.error(error));
            return;
        }
        durability.close(ticket);
        requestFlushForDurability();
        reportDirty();
        StatusReply<Written> reply = StatusReply.success(new Written(bytes));
        if (command.durability() == Durability.SYNCED) {
            // O_DSYNC: write these pages back now; answer once the durable future settles.
            long first = command.data().firstPage();
            passes.enqueue(new WritePagesRequest(SyncMode.ALL, WritePagesRequest.UNLIMITED, first,
                    first + command.data().chunks() - 1, false, WritebackReason.FSYNC, true), null);
            command.durable().whenComplete((ok, failure) -> command.replyTo().tell(failure == null ? reply
                    : StatusReply.error(failure)));
            return;
        }
        throttle(handle, write.pagesDirtied(), () -> command.replyTo().tell(reply));
    }

    private Behavior<Command> onRead(Read command) {
        if (deferred(command)) {
            return this;
        }
        OpenFile handle = handles.get(command.handleId());
        if (handle == null) {
            command.replyTo().tell(StatusReply.error(badHandle(command.handleId())));
            return next();
        }
        PageOps.ReadOp read = new PageOps.ReadOp(reads, handle.window, command.offset(), command.length());
        startOp(read, step -> command.replyTo().tell(step instanceof ReadStep.Failed failed
                ? StatusReply.error(new ErrnoException(failed.errno(), "read at " + command.offset() + " failed"))
                : StatusReply.success(read.result())));
        return next();
    }

    private Behavior<Command> onTruncate(Truncate command) {
        if (deferred(command)) {
            return this;
        }
        requestTruncate(command.size(), step -> command.replyTo().tell(step instanceof ReadStep.Failed failed
                ? StatusReply.error(new ErrnoException(failed.errno(), "truncate to " + command.size() + " failed"))
                : StatusReply.success(Done.getInstance())));
        return next();
    }

    // ---- throttling (T2–T6) --------------------------------------------------------------------

    /** Answers a writer that dirtied {@code pages} now or later, as the throttle decides. */
    private void throttle(OpenFile handle, long pages, Runnable answer) {
        if (!WriterThrottle.active(device.ledger())) {
            answer.run(); // no thresholds published yet: nothing to throttle against
            return;
        }
        handle.writer = handle.writer.dirtied(pages).withBaseRate(WriterThrottle.bandwidth(device.ledger(),
                device.pageSize()));
        decide(handle, answer);
    }

    private void decide(OpenFile handle, Runnable answer) {
        Throttle.Decision decision = WriterThrottle.decide(device.ledger(), device.pageSize(), handle.writer);
        handle.writer = decision.next();
        boolean waiting = decision.action() == Throttle.Action.WAIT_FOR_LIMIT;
        if (decision.wakeFlusher() && (!aboveBackground || waiting)) {
            device.coordinator().tell(Flushing.WakeUp.INSTANCE); // T2
        }
        aboveBackground = decision.wakeFlusher();
        if (decision.action() == Throttle.Action.NO_PAUSE) {
            answer.run();
            return;
        }
        long key = nextTimerKey++;
        throttled.put(key, new Throttled(handle, answer, waiting));
        timers.startSingleTimer(new ThrottleWake(key), decision.delay()); // T6: late, never blocked
    }

    private Behavior<Command> onThrottleWake(ThrottleWake wake) {
        Throttled writer = throttled.remove(wake.key());
        if (writer != null) {
            if (writer.decideAgain()) {
                decide(writer.handle(), writer.answer()); // T5: ask again once the wait step is over
            } else {
                writer.answer().run();
            }
        }
        return this;
    }

    // ---- page operations that wait for the device ----------------------------------------------

    private void startOp(PageOps.Op operation, Consumer<ReadStep> finish) {
        op = operation;
        opFinish = finish;
        runOp();
    }

    /** Steps the current operation until it waits or ends. */
    private void runOp() {
        while (op != null) {
            ReadStep step;
            try {
                step = op.step();
            } catch (ErrnoException e) {
                step = new ReadStep.Failed(e.errno());
            }
            submitReads(step.bios());
            if (step instanceof ReadStep.ReadMetadata need) {
                if (!readMetadata(need.block())) {
                    return;
                }
            } else if (step instanceof ReadStep.AwaitReads) {
                return; // stepped again after the file's next completion
            } else {
                Consumer<ReadStep> finish = opFinish;
                op = null;
                opFinish = null;
                stash.wantReplay();
                finish.accept(step);
                startTruncateIfIdle();
            }
        }
    }

    /** Truncates once no pass and no other page operation is in progress; everything else waits (stash). */
    private void requestTruncate(long size, Consumer<ReadStep> finish) {
        truncating = true;
        passes.hold();
        pendingTruncate = new PendingTruncate(size, finish);
        startTruncateIfIdle();
    }

    private void startTruncateIfIdle() {
        if (pendingTruncate == null || passes.running() || op != null) {
            return;
        }
        PendingTruncate truncate = pendingTruncate;
        pendingTruncate = null;
        startOp(new PageOps.TruncateOp(cache, device.layout(), reads, truncate.size()),
                step -> truncated(step, truncate.finish()));
    }

    /** A truncate waiting for the pass or page operation in progress. */
    private record PendingTruncate(long size, Consumer<ReadStep> finish) {}

    private void truncated(ReadStep step, Consumer<ReadStep> finish) {
        truncating = false;
        durability.discardMissing(cache);
        failedPages.forgetMissing();
        finish.accept(step);
        requestFlushForDurability();
        reportDirty();
        deleteIfUnused();
        if (!truncating) {
            passes.release();
        }
    }

    // ---- writeback passes ----------------------------------------------------------------------

    private Behavior<Command> onWritePages(WritePagesReceived message) {
        if (deferred(message)) {
            return this;
        }
        passes.enqueue(message.command().request(), message.command());
        return next();
    }

    private Behavior<Command> onFsync(Fsync command) {
        if (deferred(command)) {
            return this;
        }
        if (!handles.containsKey(command.handleId())) {
            command.replyTo().tell(StatusReply.error(badHandle(command.handleId())));
            return next();
        }
        retryNow();
        passes.enqueue(WritePagesRequest.syncAll(WritebackReason.FSYNC),
                new SyncJob(command.handleId(), command.replyTo(), null));
        return next();
    }

    private Behavior<Command> onSyncFile(SyncFile command) {
        if (deferred(command)) {
            return this;
        }
        retryNow();
        passes.enqueue(WritePagesRequest.syncAll(WritebackReason.SYNC), new SyncJob(-1, null, command.replyTo()));
        return next();
    }

    /** The pass runner's view of this actor. */
    private final class PassIo implements PassRunner.Io<Object> {
        @Override
        public void submit(List<SubmittedBio> bios) {
            submitWrites(bios);
        }

        @Override
        public void errors(List<Errno> errors) {
            recordErrors(errors);
        }

        @Override
        public boolean metadataReady(long block) {
            return readMetadata(block);
        }

        @Override
        public boolean metadataWriteDone(long block) {
            if (device.metadataCache() == null || !device.metadataCache().isWriteInFlight(block)) {
                return true;
            }
            timers.startSingleTimer(MetadataPoll.INSTANCE, METADATA_POLL);
            return false;
        }

        @Override
        public void done(Object origin, WritePagesReply reply) {
            passDone(origin, reply);
        }
    }

    private void passDone(Object origin, WritePagesReply reply) {
        if (origin instanceof Flushing.WritePages chunk) {
            chunk.replyTo().tell(new Flushing.ChunkWritten(inode, reply));
        } else if (origin instanceof SyncJob sync && waits.await(sync)) {
            writebackWaited(sync);
        }
        reportDirty();
        stash.wantReplay();
        startTruncateIfIdle();
    }

    private void recordErrors(List<Errno> errors) {
        for (Errno error : errors) {
            errseq.set(error); // E2, C7: the writer's own errors
            device.deviceErrseq().set(error);
            durability.lostUnlessPending(cache, error);
        }
    }

    // ---- fsync and sync after the pass (E1, E6) ------------------------------------------------

    /** Every write of the file in flight when the pass (or the map-block writes) ended has completed. */
    private void writebackWaited(SyncJob job) {
        if (!job.mapBlocksWritten && writeMapBlocks(job)) {
            return; // comes back here once they are written
        }
        if (!job.isFsync()) {
            job.syncReplyTo.tell(Done.getInstance());
            return;
        }
        OpenFile handle = handles.get(job.handleId);
        if (handle == null) {
            job.fsyncReplyTo.tell(StatusReply.error(badHandle(job.handleId)));
            return;
        }
        Errno unseen = handle.fileErrors.checkAndAdvance(); // E3, E4: once per handle
        if (unseen != null) {
            job.fsyncReplyTo.tell(StatusReply.error(new ErrnoException(unseen, "writeback of the file failed")));
            return;
        }
        Optional<Map.Entry<Long, Errno>> held = failedPages.firstHeld();
        if (held.isPresent()) {
            job.fsyncReplyTo.tell(StatusReply.error(new ErrnoException(held.get().getValue(), failedPages.held()
                    + " pages failed to write and are held, the first at byte " + held.get().getKey() * cache.pageSize())));
            return;
        }
        Bio flush = Bio.flush(Set.of(BioFlag.SYNC));
        fsyncFlushes.put(flush, job);
        flushTickets.put(job, durability.takeWritten());
        flushWritten.put(job, device.layout().takeWritten());
        device.bios().tell(new BioDispatcher.Submit(List.of(flush), io));
    }

    /**
     * ext2's fsync writes the dirty map blocks after the data and waits for them, before the flush
     * (DESIGN "Persistence"); their errors are the file's. The metadata cache is the device's, so
     * every dirty map block goes, not only this file's.
     *
     * @return {@code true} if writes are in flight and the job waits for them
     */
    private boolean writeMapBlocks(SyncJob job) {
        job.mapBlocksWritten = true;
        if (device.metadataCache() == null) {
            return false;
        }
        List<SubmittedBio> writes = new ArrayList<>();
        for (long block : device.metadataCache().dirtyBlocks()) {
            Bio bio = device.metadataCache().writeIfDirty(block);
            if (bio != null) {
                writes.add(SubmittedBio.metadata(bio));
            }
        }
        submitWrites(writes);
        return !waits.await(job); // also the boundary map blocks written behind the data meanwhile (W9)
    }

    private void fsyncFlushed(SyncJob job, Errno error) {
        device.layout().flushed(flushWritten.remove(job), error == null); // ordered mode: now committable,
        DurabilityTracker.flushed(flushTickets.remove(job), error); // before the durable futures complete
        if (error != null) {
            fsyncFailed(job, "the device flush failed: " + error);
            return;
        }
        reportSize();
        getContext().pipeToSelf(device.committer().commit(inode), (ok, failure) -> new CommitDone(job, failure));
    }

    private Behavior<Command> onCommitDone(CommitDone done) {
        if (done.failure() != null) {
            getContext().getLog().warn("Metadata commit of inode {} failed", inode, done.failure());
            fsyncFailed(done.job(), "committing the file's metadata failed");
        } else {
            done.job().fsyncReplyTo.tell(StatusReply.success(Done.getInstance()));
        }
        return this;
    }

    /** E1 (ours): a failed flush or commit fails this fsync and is recorded so every handle learns of it. */
    private void fsyncFailed(SyncJob job, String why) {
        errseq.set(Errno.EIO);
        device.deviceErrseq().set(Errno.EIO);
        OpenFile handle = handles.get(job.handleId);
        if (handle != null) {
            handle.fileErrors.checkAndAdvance(); // reported to this caller now, so not again
        }
        job.fsyncReplyTo.tell(StatusReply.error(new ErrnoException(Errno.EIO, why)));
    }

    /** Pages waiting for a {@code redirty} retry are written now: fsync, sync and shutdown don't wait for backoffs. */
    private void retryNow() {
        failedPages.retryNow();
        reportDirty();
    }

    // ---- completions ---------------------------------------------------------------------------

    private Behavior<Command> onWritesEnded(WritesEndedReceived message) {
        long ended = 0;
        List<SyncJob> waited = new ArrayList<>();
        List<Long> retries = new ArrayList<>();
        Duration retryAfter = Duration.ZERO;
        for (CompletionActor.EndedWrite write : message.ended().writes()) {
            failedPages.failed(write.verdicts());
            WriteCompletion.Completed completed = WriteCompletion.complete(cache, metadata, write.bio(), write.error());
            Bio data = write.bio().bio();
            if (write.error() == null && !data.flags().contains(BioFlag.META)) {
                long blockSize = device.layout().blockSize();
                device.layout().written(inode, data.startSector() * BlockDevice.SECTOR_SIZE / blockSize,
                        data.lengthBytes() / blockSize);
            }
            if (completed.boundaryWrite() != null) {
                submitWrites(List.of(completed.boundaryWrite())); // W9, B7: behind its data
            }
            for (Segment segment : write.bio().bio().segments()) {
                long page = segment.pageIndex();
                if (page != Segment.NO_PAGE && cache.contains(page) && !cache.has(page, PageFlags.WRITEBACK)) {
                    ended++;
                    Optional<Duration> backoff = failedPages.ended(page);
                    if (backoff.isPresent()) {
                        retries.add(page);
                        retryAfter = backoff.get().compareTo(retryAfter) > 0 ? backoff.get() : retryAfter;
                    }
                }
            }
            waited.addAll(waits.ended(write.bio().bio()));
        }
        if (!retries.isEmpty()) {
            timers.startSingleTimer(nextTimerKey++, new RetryDue(retries), retryAfter);
        }
        if (ended > 0) {
            device.coordinator().tell(new Flushing.WritebackEnded(inode, ended)); // F5
        }
        waited.forEach(this::writebackWaited);
        requestFlushForDurability();
        passes.resume();
        runOp();
        reportDirty();
        return next();
    }

    private Behavior<Command> onRetryDue(RetryDue due) {
        failedPages.retryDue(due.pages());
        reportDirty();
        return this;
    }

    /** Settles durable futures whose pages are all written with the next device flush. */
    private void requestFlushForDurability() {
        if (autoFlush == null && durability.hasWritten()) {
            autoFlush = durability.takeWritten();
            autoFlushWritten = device.layout().takeWritten();
            device.completions().tell(new CompletionActor.RequestFlush(flushed));
        }
    }

    private Behavior<Command> onFlushed(FlushedReceived message) {
        Errno error = message.flushed().error();
        if (error != null) {
            errseq.set(Errno.EIO);
        }
        device.layout().flushed(autoFlushWritten, error == null); // committable before the futures complete
        DurabilityTracker.flushed(autoFlush, error);
        autoFlush = null;
        requestFlushForDurability();
        return this;
    }

    private Behavior<Command> onIoCompleted(IoCompleted message) {
        for (BioResult result : message.completed().results()) {
            Bio bio = result.bio();
            if (bio.op() == BioOp.FLUSH) {
                fsyncFlushed(fsyncFlushes.remove(bio), result.error());
            } else if (bio.flags().contains(BioFlag.META)) {
                long block = bio.segments().get(0).metaBlock();
                metadataReads.remove(block);
                device.metadataCache().readCompleted(block, result.succeeded());
            } else {
                reads.complete(bio, result.error());
            }
        }
        passes.resume();
        runOp();
        return next();
    }

    // ---- device I/O ----------------------------------------------------------------------------

    private void submitWrites(List<SubmittedBio> bios) {
        if (bios.isEmpty()) {
            return;
        }
        for (SubmittedBio bio : bios) {
            waits.submitted(bio.bio());
            for (Segment segment : bio.bio().segments()) {
                if (segment.pageIndex() != Segment.NO_PAGE) {
                    durability.submitted(segment.pageIndex(), segment.slot());
                }
            }
        }
        device.completions().tell(new CompletionActor.SubmitWrites(inode, bios));
    }

    private void submitReads(List<Bio> bios) {
        if (!bios.isEmpty()) {
            device.bios().tell(new BioDispatcher.Submit(bios, io));
        }
    }

    /**
     * Starts reading map block {@code block} into the metadata cache.
     *
     * @return {@code true} if it is cached already: go on at once
     */
    private boolean readMetadata(long block) {
        if (device.metadataCache().lookup(block) != null) {
            return true;
        }
        Bio bio = device.metadataCache().readBio(block);
        if (bio != null) {
            metadataReads.add(block);
            device.bios().tell(new BioDispatcher.Submit(List.of(bio), io));
        } else if (!metadataReads.contains(block)) {
            timers.startSingleTimer(MetadataPoll.INSTANCE, METADATA_POLL); // another file is reading it
        }
        return false;
    }

    private Behavior<Command> onMetadataPoll(MetadataPoll poll) {
        passes.resume();
        runOp();
        return next();
    }

    // ---- state reports, deletion, ordering -----------------------------------------------------

    /** Tells the coordinator when the file turns dirty (F2) and, between passes, when it turns clean. */
    private void reportDirty() {
        boolean dirty = cache.dirtyPages() > 0;
        if (dirty && !dirtyReported) {
            dirtyReported = true;
            device.coordinator().tell(new Flushing.InodeDirtied(inode, writePages));
        } else if (!dirty && dirtyReported && !passes.running()) {
            dirtyReported = false;
            device.coordinator().tell(new Flushing.InodeClean(inode));
        }
    }

    private List<Range> notClean() {
        List<Range> ranges = new ArrayList<>();
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

    private void addRange(List<Range> ranges, long first, long last) {
        if (first >= 0) {
            long offset = first * cache.pageSize();
            long end = Math.min((last + 1) * cache.pageSize(), Math.max(cache.size(), offset + 1));
            ranges.add(new Range(offset, end - offset));
        }
    }

    /** An unlinked file whose last handle closed drops its pages, frees its blocks and stops. */
    private void deleteIfUnused() {
        if (!unlinked || !handles.isEmpty() || truncating || stopping) {
            return;
        }
        requestTruncate(0, step -> {
            device.layout().deleteFile(inode);
            if (device.layout().journal().isPresent()) {
                device.committer().commit(inode); // the record's delete; a failure is logged by the committer
            }
            durability.failAll(Errno.ENOENT, "the file was deleted");
            if (autoFlush != null) {
                DurabilityTracker.abandon(autoFlush, Errno.ENOENT, "the file was deleted");
            }
            device.completions().tell(new CompletionActor.Unregister(inode));
            if (dirtyReported) {
                device.coordinator().tell(new Flushing.InodeClean(inode));
            }
            stopping = true;
        });
    }

    /** Tells the layout the file's size when a write or truncate changed it (ordered mode commits it). */
    private void reportSize() {
        if (!unlinked && cache.size() != reportedSize) {
            reportedSize = cache.size();
            device.layout().sizeChanged(inode, reportedSize);
        }
    }

    /**
     * Stashes {@code command} if it must wait: while a truncate is pending, while another page
     * operation waits (for writes, reads, truncates), or behind commands already stashed.
     */
    private boolean deferred(Command command) {
        boolean pageOp = command instanceof Write || command instanceof Read || command instanceof Truncate;
        return stash.defer(command, truncating || (pageOp && op != null));
    }

    private Behavior<Command> next() {
        reportSize();
        if (stopping) {
            stash.forEach(this::refuse);
            return Behaviors.stopped();
        }
        return stash.replay(this);
    }

    /** Answers a command that reached a deleted file. */
    private void refuse(Command command) {
        ErrnoException gone = new ErrnoException(Errno.ENOENT, "file " + inode + " was deleted");
        if (command instanceof WritePagesReceived chunk) {
            WritePagesRequest request = chunk.command().request();
            chunk.command().replyTo().tell(new Flushing.ChunkWritten(inode,
                    new WritePagesReply(0, request.nrToWrite(), 0, false, null)));
        } else if (command instanceof Write write) {
            write.data().releaseAll();
            write.durable().completeExceptionally(gone);
            write.replyTo().tell(StatusReply.error(gone));
        } else if (command instanceof Read read) {
            read.replyTo().tell(StatusReply.error(gone));
        } else if (command instanceof Truncate truncate) {
            truncate.replyTo().tell(StatusReply.error(gone));
        } else if (command instanceof Fsync fsync) {
            fsync.replyTo().tell(StatusReply.error(gone));
        } else if (command instanceof SyncFile sync) {
            sync.replyTo().tell(Done.getInstance());
        } else if (command instanceof OpenHandle open) {
            open.replyTo().tell(StatusReply.error(gone));
        } else if (command instanceof CloseHandle close) {
            close.replyTo().tell(StatusReply.error(gone));
        } else if (command instanceof CheckDeviceError check) {
            check.replyTo().tell(StatusReply.error(gone));
        }
    }

    private static ErrnoException badHandle(long handleId) {
        return new ErrnoException(Errno.EBADF, "handle " + handleId + " is not open");
    }
}
