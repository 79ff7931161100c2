package dev.writebackd.actors.engine;

import dev.writebackd.config.Durability;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import dev.writebackd.mpage.ReadStep;
import dev.writebackd.mpage.SyncMode;
import dev.writebackd.mpage.WritePagesRequest;
import dev.writebackd.mpage.WritebackReason;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.StatusReply;

/**
 * One file's writes, reads and truncates, for its {@link InodeActor}: each runs as a
 * {@link PageOps.Op}, one at a time, stepped until it waits for the device and again after the
 * file's next completion. A truncate also waits for the writeback pass in progress; from its
 * arrival until it is done the actor stashes the file's other commands ({@link #truncating()}).
 * Single-threaded (the actor's).
 */
final class PageOpQueue {

    /** A truncate waiting for the pass or page operation in progress. */
    private record PendingTruncate(long size, Consumer<ReadStep> finish) {}

    private final InodeFile file;
    private PageOps.Op op;
    private Consumer<ReadStep> opFinish;
    /** Answers the current operation's caller when the actor fails. */
    private Consumer<ErrnoException> opAbort;
    private boolean truncating;
    private PendingTruncate pendingTruncate;
    /** Answers the caller of the truncate pending or running when the actor fails. */
    private Consumer<ErrnoException> truncateAbort;

    PageOpQueue(InodeFile file) {
        this.file = file;
    }

    /** Whether a page operation is in progress (later writes, reads and truncates wait). */
    boolean busy() {
        return op != null;
    }

    /** Whether a truncate is pending or running (every later command waits). */
    boolean truncating() {
        return truncating;
    }

    void write(InodeActor.Write command) {
        write(new Replying(command));
    }

    /**
     * A write: taken from the engine's {@link WriteQueue} (answered through the entry) or sent as a
     * {@link InodeActor.Write} (answered to its {@code replyTo}).
     */
    void write(WriteQueue.Entry entry) {
        InodeFile.OpenFile handle = file.handles.get(entry.handleId());
        if (handle == null || entry.durability() == Durability.JOURNALED) {
            entry.data().releaseAll();
            ErrnoException error = handle == null ? InodeFile.badHandle(entry.handleId())
                    : new ErrnoException(Errno.ENOTSUP, "journaled durability is not available yet");
            entry.durable().completeExceptionally(error);
            entry.refused(error);
            return;
        }
        DurabilityTracker.Ticket ticket = file.durability.open(entry.durable(), entry.durability() == Durability.SYNCED);
        startOp(new PageOps.WriteOp(file.cache, file.reads, file.device.layout(), entry, handle, file.durability,
                ticket), null);
    }

    private void writeApplied(PageOps.WriteOp write, ReadStep step) {
        WriteQueue.Entry entry = write.entry();
        WriteData data = entry.data();
        file.reportSize(); // before the answer: a caller that then lists the files sees the new size
        data.releaseAll();
        file.ages.touch(data.firstPage(), data.firstPage() + data.chunks() - 1);
        int bytes = write.bytesApplied();
        if (step instanceof ReadStep.Failed failed && bytes == 0) {
            ErrnoException error = new ErrnoException(failed.errno(), "write at " + data.offset() + " failed");
            file.durability.fail(write.ticket(), failed.errno());
            entry.refused(error);
            return;
        }
        file.durability.close(write.ticket());
        file.syncs.requestFlushForDurability();
        file.reportDirty();
        if (entry.durability() == Durability.SYNCED) {
            // O_DSYNC: write these pages back now; answer once the durable future settles.
            long first = data.firstPage();
            file.passes.enqueue(new WritePagesRequest(SyncMode.ALL, WritePagesRequest.UNLIMITED, first,
                    first + data.chunks() - 1, false, WritebackReason.FSYNC, true), null);
            entry.durable().whenComplete((ok, failure) -> {
                if (failure == null) {
                    entry.answered(bytes);
                } else {
                    entry.refused(failure);
                }
            });
            return;
        }
        file.throttle.throttle(write.handle(), write.pagesDirtied(), entry, bytes);
    }

    /** The actor failed while write {@code write} was in progress. */
    private static void abortWrite(PageOps.WriteOp write, ErrnoException error) {
        WriteQueue.Entry entry = write.entry();
        entry.data().releaseAll();
        entry.durable().completeExceptionally(error);
        entry.refused(error);
    }

    /** A write sent as a message, answered to its {@code replyTo}. */
    private static final class Replying extends WriteQueue.Entry {
        private final org.apache.pekko.actor.typed.ActorRef<StatusReply<InodeActor.Written>> replyTo;
        private boolean answered;

        Replying(InodeActor.Write command) {
            super(command.handleId(), command.data(), command.durability(), command.durable());
            this.replyTo = command.replyTo();
        }

        @Override
        protected void answered(int bytes) {
            answered = true;
            replyTo.tell(StatusReply.success(new InodeActor.Written(bytes)));
        }

        @Override
        protected void refused(Throwable error) {
            answered = true;
            replyTo.tell(StatusReply.error(error));
        }

        @Override
        protected boolean isAnswered() {
            return answered;
        }
    }

    void read(InodeActor.Read command) {
        InodeFile.OpenFile handle = file.handles.get(command.handleId());
        if (handle == null) {
            command.replyTo().tell(StatusReply.error(InodeFile.badHandle(command.handleId())));
            return;
        }
        PageOps.ReadOp read = new PageOps.ReadOp(file.reads, handle.window, command.offset(), command.length());
        opAbort = error -> command.replyTo().tell(StatusReply.error(error));
        startOp(read, step -> readDone(command, read, step));
    }

    private void readDone(InodeActor.Read command, PageOps.ReadOp read, ReadStep step) {
        if (step instanceof ReadStep.Failed failed) {
            command.replyTo().tell(StatusReply.error(
                    new ErrnoException(failed.errno(), "read at " + command.offset() + " failed")));
            return;
        }
        ByteBuffer result = read.result();
        if (result.remaining() > 0) {
            int pageSize = file.cache.pageSize();
            file.ages.touch(command.offset() / pageSize, (command.offset() + result.remaining() - 1) / pageSize);
        }
        command.replyTo().tell(StatusReply.success(result));
    }

    void truncate(InodeActor.Truncate command) {
        truncateAbort = error -> command.replyTo().tell(StatusReply.error(error));
        requestTruncate(command.size(), step -> command.replyTo().tell(step instanceof ReadStep.Failed failed
                ? StatusReply.error(new ErrnoException(failed.errno(), "truncate to " + command.size() + " failed"))
                : StatusReply.success(Done.getInstance())));
    }

    /** Starts {@code operation}; {@code finish} ends it, or {@link #writeApplied} for a write ({@code null}). */
    private void startOp(PageOps.Op operation, Consumer<ReadStep> finish) {
        op = operation;
        opFinish = finish;
        runOp();
    }

    /** Steps the current operation until it waits or ends. */
    void runOp() {
        while (op != null) {
            ReadStep step;
            try {
                step = op.step();
            } catch (ErrnoException e) {
                step = new ReadStep.Failed(e.errno());
            }
            file.io.submitReads(step.bios());
            if (step instanceof ReadStep.ReadMetadata need) {
                if (!file.io.readMetadata(need.block())) {
                    return;
                }
            } else if (step instanceof ReadStep.AwaitReads) {
                return; // stepped again after the file's next completion
            } else {
                Consumer<ReadStep> finish = opFinish;
                PageOps.Op ended = op;
                op = null;
                opFinish = null;
                opAbort = null;
                file.stash.wantReplay();
                if (finish != null) {
                    finish.accept(step);
                } else {
                    writeApplied((PageOps.WriteOp) ended, step); // writes carry their own context: no callback
                }
                startTruncateIfIdle();
            }
        }
    }

    /** Truncates once no pass and no other page operation is in progress; everything else waits (stash). */
    void requestTruncate(long size, Consumer<ReadStep> finish) {
        truncating = true;
        file.passes.hold();
        pendingTruncate = new PendingTruncate(size, finish);
        startTruncateIfIdle();
    }

    void startTruncateIfIdle() {
        if (pendingTruncate == null || file.passes.running() || op != null) {
            return;
        }
        PendingTruncate truncate = pendingTruncate;
        pendingTruncate = null;
        opAbort = truncateAbort;
        startOp(new PageOps.TruncateOp(file.cache, file.device.layout(), file.reads, truncate.size()),
                step -> truncated(step, truncate.finish()));
    }

    private void truncated(ReadStep step, Consumer<ReadStep> finish) {
        file.reportSize(); // before the answer, as for writes
        truncating = false;
        truncateAbort = null;
        file.durability.discardMissing(file.cache);
        file.failedPages.forgetMissing();
        finish.accept(step);
        file.syncs.requestFlushForDurability();
        file.reportDirty();
        deleteIfUnused();
        if (!truncating) {
            file.passes.release();
        }
    }

    /** The actor failed: the callers of the operation in progress and of a pending truncate get {@code error}. */
    void failAll(ErrnoException error) {
        if (opAbort != null) {
            opAbort.accept(error);
        } else if (op instanceof PageOps.WriteOp write) {
            abortWrite(write, error);
        }
        if (truncateAbort != null && truncateAbort != opAbort) {
            truncateAbort.accept(error);
        }
        op = null;
        opFinish = null;
        opAbort = null;
        truncateAbort = null;
        pendingTruncate = null;
    }

    /** An unlinked file whose last handle closed drops its pages, frees its blocks and stops. */
    void deleteIfUnused() {
        if (!file.unlinked || !file.handles.isEmpty() || truncating || file.stopping) {
            return;
        }
        requestTruncate(0, step -> {
            file.device.layout().deleteFile(file.inode);
            if (file.device.layout().journal().isPresent()) {
                file.device.committer().commit(file.inode); // the record's delete; a failure is logged by the committer
            }
            file.durability.failAll(Errno.ENOENT, "the file was deleted");
            file.syncs.abandonAutoFlush(Errno.ENOENT, "the file was deleted");
            file.device.completions().tell(new CompletionActor.Unregister(file.inode));
            file.ages.clear();
            file.device.cacheBudget().unregister(file.inode);
            if (file.dirtyReported) {
                file.device.coordinator().tell(new Flushing.InodeClean(file.inode));
            }
            file.stopping = true;
        });
    }
}
