package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.config.Durability;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import dev.writebackd.mpage.ErrseqCursor;
import dev.writebackd.mpage.ReadaheadWindow;
import dev.writebackd.mpage.Throttle;
import dev.writebackd.mpage.WritePagesReply;
import dev.writebackd.mpage.WritePagesRequest;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.TypedActorContext;
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
 * run one at a time through {@code WritebackPass}: each step's bios go to the completion actor as
 * one submit, its needs are met asynchronously. <b>Completions</b> come back from the completion
 * actor as one {@link CompletionActor.WritesEnded} per batch: this actor ends the pages' writeback
 * ({@code WriteCompletion}), applies the error policy's verdicts, and wakes what waited.
 * <b>fsync</b> follows E1 in order: a sync-mode pass in the caller's request, a wait for every write
 * of the file in flight (the flusher's too), the handle's unseen error reported once (E3, E4),
 * else a device flush and the metadata commit.
 *
 * <p>Writes, reads and truncates that must wait for the device run one at a time
 * ({@link PageOps}); a truncate also waits for the pass in progress, and from its arrival until it
 * is done the file's other commands are stashed. Commands behind a stashed one are stashed too, so a caller's
 * commands keep their order. Nothing here blocks: device I/O goes through the bio actor and its
 * results come back as messages.
 *
 * <p>The actor routes messages and keeps their order; the work is done by helpers that share the
 * file's state ({@link InodeFile}) and run on the actor's thread: {@link PageOpQueue} (writes,
 * reads, truncates, deletion), {@link InodeWriteback} (passes and completions), {@link SyncJobs}
 * (fsync, sync, durability flushes), {@link ThrottledWriters} and {@link InodeIo} (device I/O).
 */
public final class InodeActor extends AbstractBehavior<InodeActor.Command> {

    /** Commands stashed at most while a truncate or a waiting write is in progress. */
    public static final int STASH_CAPACITY = 100_000;

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

    /**
     * Writes wait in {@code queue} ({@link WriteQueue}): the actor takes every one queued, in order,
     * each as if it had come as a {@link Write}, and answers each through its future.
     */
    public record DrainWrites(WriteQueue queue) implements Command {
        /** Validates the message. */
        public DrainWrites {
            requireNonNull(queue, "queue");
        }
    }

    /** A write taken from a {@link WriteQueue}, handled (or stashed) like a {@link Write}. */
    private record QueuedWrite(WriteQueue.Entry entry) implements Command {}

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

    /**
     * To the parent: file {@code inode} has been idle for the idle timeout and would stop; it has
     * received {@code opens} {@link OpenHandle}s since it started. Answered with {@link PassivationAnswer}.
     */
    public record Idle(long inode, ActorRef<Command> file, long opens) {}

    /** The parent's answer to {@link Idle}: stop once idle ({@code approved}), or stay. */
    public record PassivationAnswer(boolean approved) implements Command {}

    private record WritePagesReceived(Flushing.WritePages command) implements Command {}

    private record WritesEndedReceived(CompletionActor.WritesEnded ended) implements Command {}

    private record IoCompleted(BioDispatcher.Completed completed) implements Command {}

    private record FlushedReceived(CompletionActor.Flushed flushed) implements Command {}

    /** The cache budget asks for clean pages back ({@link CacheBudget}). */
    private record EvictClean(long maxEpoch, long pages) implements Command {}

    // Internal messages the actor's helpers schedule (timers, pipeToSelf); not part of the protocol.

    /** A throttled writer's timer fired ({@link ThrottledWriters}). */
    record ThrottleWake(long key) implements Command {}

    /** The {@code redirty} backoff of these pages is over ({@link InodeWriteback}). */
    record RetryDue(List<Long> pages) implements Command {}

    /** Look again at a map block another file reads or writes ({@link InodeIo}). */
    enum MetadataPoll implements Command { INSTANCE }

    /** The file has been idle for the idle timeout ({@link Passivation}). */
    enum IdleTimeout implements Command { INSTANCE }

    /** fsync's metadata commit ended ({@link SyncJobs}). */
    record CommitDone(SyncJobs.SyncJob job, Throwable failure) implements Command {}

    private final InodeFile file;
    private final boolean[] crashed;
    /** The write queues this actor has taken writes from: what is left in them is refused when it stops. */
    private final Set<WriteQueue> queues = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Passivation passivation;

    /**
     * The actor of file {@code inode} on {@code device}, which never stops while its file exists;
     * it registers with the completion actor at once.
     */
    public static Behavior<Command> create(long inode, DeviceContext device) {
        return create(inode, device, Duration.ZERO, null);
    }

    /**
     * The actor of file {@code inode} on {@code device}, which asks {@code parent} to let it stop
     * once it has been idle for {@code idleTimeout} (see {@link Idle}); zero: never.
     */
    public static Behavior<Command> create(long inode, DeviceContext device, Duration idleTimeout,
            ActorRef<Idle> parent) {
        requireNonNull(device, "device");
        requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("negative idle timeout " + idleTimeout);
        }
        boolean[] crashed = new boolean[1]; // touched only on the actor's thread
        return Behaviors.intercept(() -> new CrashMarker(crashed), Behaviors.setup(context -> Behaviors.withTimers(
                timers -> Behaviors.withStash(STASH_CAPACITY,
                        stash -> new InodeActor(context, timers, stash, inode, device, idleTimeout, parent, crashed)))));
    }

    /**
     * Marks the actor as crashed when a message's handling throws, so its PostStop tells a failure
     * from a stop of the engine (the actor system terminating stops every file actor too).
     */
    private static final class CrashMarker extends BehaviorInterceptor<Command, Command> {
        private final boolean[] crashed;

        CrashMarker(boolean[] crashed) {
            super(Command.class);
            this.crashed = crashed;
        }

        @Override
        public Behavior<Command> aroundReceive(TypedActorContext<Command> context, Command message,
                ReceiveTarget<Command> target) {
            try {
                return target.apply(context, message);
            } catch (RuntimeException | Error e) {
                crashed[0] = true;
                throw e;
            }
        }
    }

    private InodeActor(ActorContext<Command> context, TimerScheduler<Command> timers, StashBuffer<Command> stash,
            long inode, DeviceContext device, Duration idleTimeout, ActorRef<Idle> parent, boolean[] crashed) {
        super(context);
        this.crashed = crashed;
        this.file = new InodeFile(inode, device, context, timers, new OrderedStash<>(stash, "inode " + inode),
                context.messageAdapter(Flushing.WritePages.class, WritePagesReceived::new),
                context.messageAdapter(BioDispatcher.Completed.class, IoCompleted::new),
                context.messageAdapter(CompletionActor.Flushed.class, FlushedReceived::new));
        ActorRef<CompletionActor.WritesEnded> ended =
                context.messageAdapter(CompletionActor.WritesEnded.class, WritesEndedReceived::new);
        device.completions().tell(new CompletionActor.Register(inode, file.errseq, ended));
        this.passivation = new Passivation(file, idleTimeout, parent);
        ActorRef<Command> self = context.getSelf();
        device.cacheBudget().register(inode, (maxEpoch, pages) -> self.tell(new EvictClean(maxEpoch, pages)));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(OpenHandle.class, this::onOpenHandle)
                .onMessage(CloseHandle.class, this::onCloseHandle)
                .onMessage(Write.class, this::onWrite)
                .onMessage(DrainWrites.class, this::onDrainWrites)
                .onMessage(QueuedWrite.class, this::onQueuedWrite)
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
                .onMessage(EvictClean.class, this::onEvictClean)
                .onMessage(IdleTimeout.class, this::onIdleTimeout)
                .onMessage(PassivationAnswer.class, this::onPassivationAnswer)
                .onSignal(PostStop.class, signal -> onPostStop())
                .build();
    }

    // ---- handles -------------------------------------------------------------------------------

    private Behavior<Command> onOpenHandle(OpenHandle command) {
        if (deferred(command)) {
            return this;
        }
        DeviceContext device = file.device;
        passivation.opened();
        file.handles.put(command.handleId(), new InodeFile.OpenFile(ErrseqCursor.open(file.errseq),
                ErrseqCursor.open(device.deviceErrseq()), new ReadaheadWindow(device.readaheadPages()),
                WriterThrottle.bandwidth(device.ledger(), device.pageSize())));
        command.replyTo().tell(StatusReply.success(Done.getInstance()));
        return next();
    }

    private Behavior<Command> onCloseHandle(CloseHandle command) {
        if (deferred(command)) {
            return this;
        }
        if (file.handles.remove(command.handleId()) == null) {
            command.replyTo().tell(StatusReply.error(InodeFile.badHandle(command.handleId())));
        } else {
            command.replyTo().tell(StatusReply.success(Done.getInstance()));
            file.ops.deleteIfUnused();
        }
        return next();
    }

    private Behavior<Command> onCheckDeviceError(CheckDeviceError command) {
        if (deferred(command)) {
            return this;
        }
        InodeFile.OpenFile handle = file.handles.get(command.handleId());
        if (handle == null) {
            command.replyTo().tell(StatusReply.error(InodeFile.badHandle(command.handleId())));
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
        file.unlinked = true;
        file.ops.deleteIfUnused();
        return next();
    }

    private Behavior<Command> onGetState(GetState command) {
        command.replyTo().tell(new FileState(file.inode, file.cache.size(), file.cache.cachedPages(),
                file.cache.dirtyPages(), file.cache.writebackPages(), file.failedPages.held(),
                file.failedPages.retrying(), file.throttle.waiting(),
                command.withRanges() ? file.notClean() : List.of()));
        return this;
    }

    // ---- page operations, writeback, fsync -----------------------------------------------------

    private Behavior<Command> onWrite(Write command) {
        if (deferred(command)) {
            return this;
        }
        file.ops.write(command);
        return next();
    }

    /** Takes every write queued, applying each in order unless it must wait (then it is stashed, in order). */
    private Behavior<Command> onDrainWrites(DrainWrites message) {
        WriteQueue queue = message.queue();
        queues.add(queue);
        queue.taking();
        for (WriteQueue.Entry entry = queue.poll(); entry != null; entry = queue.poll()) {
            if (file.stash.mustDefer(file.ops.truncating() || file.ops.busy())) {
                deferred(new QueuedWrite(entry)); // a message of its own only when it must wait
            } else {
                applyQueued(entry);
            }
        }
        return next();
    }

    private Behavior<Command> onQueuedWrite(QueuedWrite write) {
        if (deferred(write)) {
            return this;
        }
        applyQueued(write.entry());
        return next();
    }

    private void applyQueued(WriteQueue.Entry entry) {
        try {
            file.ops.write(entry);
        } catch (RuntimeException | Error e) {
            if (!entry.isAnswered()) { // the failure below answers the operation in progress
                refuse(new QueuedWrite(entry),
                        new ErrnoException(Errno.EIO, "the actor of file " + file.inode + " failed"));
            }
            throw e;
        }
    }

    private Behavior<Command> onRead(Read command) {
        if (deferred(command)) {
            return this;
        }
        file.ops.read(command);
        return next();
    }

    private Behavior<Command> onTruncate(Truncate command) {
        if (deferred(command)) {
            return this;
        }
        file.ops.truncate(command);
        return next();
    }

    private Behavior<Command> onWritePages(WritePagesReceived message) {
        if (deferred(message)) {
            return this;
        }
        file.writeback.writePages(message.command());
        return next();
    }

    private Behavior<Command> onFsync(Fsync command) {
        if (deferred(command)) {
            return this;
        }
        file.syncs.fsync(command);
        return next();
    }

    private Behavior<Command> onSyncFile(SyncFile command) {
        if (deferred(command)) {
            return this;
        }
        file.syncs.syncFile(command);
        return next();
    }

    /** Evicts between page operations, never during one (its pages may be half read). */
    private Behavior<Command> onEvictClean(EvictClean command) {
        if (deferred(command)) {
            return this;
        }
        file.ages.evict(command.maxEpoch(), command.pages());
        return next();
    }

    private Behavior<Command> onIdleTimeout(IdleTimeout timeout) {
        passivation.timedOut();
        return next();
    }

    private Behavior<Command> onPassivationAnswer(PassivationAnswer answer) {
        passivation.answered(answer.approved());
        return next();
    }

    // ---- answers and timers --------------------------------------------------------------------

    private Behavior<Command> onWritesEnded(WritesEndedReceived message) {
        file.writeback.writesEnded(message.ended());
        return next();
    }

    private Behavior<Command> onIoCompleted(IoCompleted message) {
        file.io.completed(message.completed());
        return next();
    }

    private Behavior<Command> onFlushed(FlushedReceived message) {
        file.syncs.autoFlushed(message.flushed().error());
        return next();
    }

    private Behavior<Command> onCommitDone(CommitDone done) {
        file.syncs.committed(done.job(), done.failure());
        return next();
    }

    private Behavior<Command> onThrottleWake(ThrottleWake wake) {
        file.throttle.wake(wake.key());
        return next();
    }

    private Behavior<Command> onRetryDue(RetryDue due) {
        file.writeback.retryDue(due.pages());
        return next();
    }

    private Behavior<Command> onMetadataPoll(MetadataPoll poll) {
        file.io.resumeWaiting();
        return next();
    }

    // ---- ordering and stopping -----------------------------------------------------------------

    /**
     * Stashes {@code command} if it must wait: while a truncate is pending, while another page
     * operation waits (for writes, reads, truncates), or behind commands already stashed.
     */
    private boolean deferred(Command command) {
        boolean pageOp = command instanceof Write || command instanceof QueuedWrite || command instanceof Read
                || command instanceof Truncate
                || command instanceof EvictClean;
        return file.stash.defer(command, file.ops.truncating() || (pageOp && file.ops.busy()));
    }

    private Behavior<Command> next() {
        file.reportSize();
        if (!file.stopping) {
            file.ages.publish();
            file.device.cacheBudget().check();
        }
        if (file.stopping) {
            file.stash.forEach(this::refuse);
            return Behaviors.stopped();
        }
        if (passivation.readyToStop()) {
            passivation.release();
            return Behaviors.stopped();
        }
        passivation.afterMessage();
        return file.stash.replay(this);
    }

    /**
     * After a stop: if a message's handling threw (and it was not deleted or passivated), it failed. It is
     * not restarted, since a fresh actor would silently drop the dirty pages; instead every pending
     * request fails with EIO, writes' durable futures fail, the error is recorded in the device's
     * errseq (syncfs reports it), the pages not under writeback go back to the pool, and the next
     * open starts a new actor from the file's metadata.
     */
    private Behavior<Command> onPostStop() {
        boolean failed = crashed[0] && !file.stopping;
        if (failed) {
            InodeFailure.failed(file, getContext().getLog(), this::refuse);
        }
        ErrnoException gone = failed ? new ErrnoException(Errno.EIO, "the actor of file " + file.inode + " failed")
                : new ErrnoException(Errno.ENOENT, "file " + file.inode + " is no longer active");
        for (WriteQueue queue : queues) {
            for (WriteQueue.Entry entry = queue.poll(); entry != null; entry = queue.poll()) {
                refuse(new QueuedWrite(entry), gone);
            }
        }
        return this;
    }

    /** Answers a command that reached a deleted file. */
    private void refuse(Command command) {
        refuse(command, new ErrnoException(Errno.ENOENT, "file " + file.inode + " was deleted"));
    }

    /** Answers a command that can no longer be served with {@code gone}. */
    private void refuse(Command command, ErrnoException gone) {
        if (command instanceof WritePagesReceived chunk) {
            WritePagesRequest request = chunk.command().request();
            chunk.command().replyTo().tell(new Flushing.ChunkWritten(file.inode,
                    new WritePagesReply(0, request.nrToWrite(), 0, false, null)));
        } else if (command instanceof Write write) {
            write.data().releaseAll();
            write.durable().completeExceptionally(gone);
            write.replyTo().tell(StatusReply.error(gone));
        } else if (command instanceof QueuedWrite queued) {
            queued.entry().data().releaseAll();
            queued.entry().durable().completeExceptionally(gone);
            queued.entry().refused(gone);
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
}
