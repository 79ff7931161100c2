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
        write(command.handleId(), command.data(), command.durability(), command.durable(), command.replyTo()::tell);
    }

    /** A write taken from the engine's {@link WriteQueue}: answered through its future. */
    void write(WriteQueue.Entry entry) {
        CompletableFuture<InodeActor.Written> answer = entry.answer();
        write(entry.handleId(), entry.data(), entry.durability(), entry.durable(), reply -> {
            if (reply.isSuccess()) {
                answer.complete(reply.getValue());
            } else {
                answer.completeExceptionally(reply.getError());
            }
        });
    }

    private void write(long handleId, WriteData data, Durability durability, CompletableFuture<Void> durable,
            Consumer<StatusReply<InodeActor.Written>> reply) {
        InodeFile.OpenFile handle = file.handles.get(handleId);
        if (handle == null || durability == Durability.JOURNALED) {
            data.releaseAll();
            ErrnoException error = handle == null ? InodeFile.badHandle(handleId)
                    : new ErrnoException(Errno.ENOTSUP, "journaled durability is not available yet");
            durable.completeExceptionally(error);
            reply.accept(StatusReply.error(error));
            return;
        }
        DurabilityTracker.Ticket ticket = file.durability.open(durable, durability == Durability.SYNCED);
        PageOps.WriteOp write = new PageOps.WriteOp(file.cache, file.reads, file.device.layout(), data,
                file.durability, ticket);
        opAbort = error -> {
            data.releaseAll();
            durable.completeExceptionally(error);
            reply.accept(StatusReply.error(error));
        };
        startOp(write, step -> writeApplied(data, durability, durable, reply, handle, write, ticket, step));
    }

    private void writeApplied(WriteData data, Durability durability, CompletableFuture<Void> durable,
            Consumer<StatusReply<InodeActor.Written>> replyTo, InodeFile.OpenFile handle, PageOps.WriteOp write,
            DurabilityTracker.Ticket ticket, ReadStep step) {
        file.reportSize(); // before the answer: a caller that then lists the files sees the new size
        data.releaseAll();
        file.ages.touch(data.firstPage(), data.firstPage() + data.chunks() - 1);
        int bytes = write.bytesApplied();
        if (step instanceof ReadStep.Failed failed && bytes == 0) {
            ErrnoException error = new ErrnoException(failed.errno(), "write at " + data.offset() + " failed");
            file.durability.fail(ticket, failed.errno());
            replyTo.accept(StatusReply.error(error));
            return;
        }
        file.durability.close(ticket);
        file.syncs.requestFlushForDurability();
        file.reportDirty();
        StatusReply<InodeActor.Written> reply = StatusReply.success(new InodeActor.Written(bytes));
        if (durability == Durability.SYNCED) {
            // O_DSYNC: write these pages back now; answer once the durable future settles.
            long first = data.firstPage();
            file.passes.enqueue(new WritePagesRequest(SyncMode.ALL, WritePagesRequest.UNLIMITED, first,
                    first + data.chunks() - 1, false, WritebackReason.FSYNC, true), null);
            durable.whenComplete((ok, failure) -> replyTo.accept(failure == null ? reply
                    : StatusReply.error(failure)));
            return;
        }
        file.throttle.throttle(handle, write.pagesDirtied(), () -> replyTo.accept(reply));
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
                op = null;
                opFinish = null;
                opAbort = null;
                file.stash.wantReplay();
                finish.accept(step);
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
