package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.mpage.WritePagesReply;
import dev.writebackd.mpage.WritePagesRequest;
import dev.writebackd.mpage.WritebackReason;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The messages between the inode actors and their device's writeback coordinator (the flusher).
 *
 * <p>The coordinator's protocol is {@link CoordinatorCommand}; an inode actor receives
 * {@link WritePages} through a message adapter it registers with {@link InodeDirtied}, so neither
 * side depends on the other's protocol.
 */
public final class Flushing {
    private Flushing() {}

    /** Every message the writeback coordinator accepts. */
    public interface CoordinatorCommand {}

    /**
     * Coordinator → inode: write one chunk of the file's dirty pages (F3) and answer with
     * {@link ChunkWritten}.
     */
    public record WritePages(WritePagesRequest request, ActorRef<CoordinatorCommand> replyTo) {
        /** Validates the message. */
        public WritePages {
            requireNonNull(request, "request");
            requireNonNull(replyTo, "replyTo");
        }
    }

    /**
     * Inode → coordinator: the chunk asked for by {@link WritePages} has been handed to the device
     * (its bios submitted, not necessarily completed), with the chooser's result (F4 requeues on it).
     */
    public record ChunkWritten(long inode, WritePagesReply reply) implements CoordinatorCommand {
        /** Validates the message. */
        public ChunkWritten {
            requireNonNull(reply, "reply");
        }
    }

    /**
     * Inode → coordinator: the first dirtying of a clean inode (F2: its dirtiedWhen is now).
     * {@code writer} is where the coordinator sends {@link WritePages} for this inode.
     */
    public record InodeDirtied(long inode, ActorRef<WritePages> writer) implements CoordinatorCommand {
        /** Validates the message. */
        public InodeDirtied {
            requireNonNull(writer, "writer");
        }
    }

    /** Inode → coordinator: the inode has no dirty pages left (it leaves the flusher's lists). */
    public record InodeClean(long inode) implements CoordinatorCommand {}

    /**
     * Inode → coordinator: writeback of some of the inode's pages ended (F5: a pass waiting for an
     * inode on b_more_io to finish its writeback may go on).
     */
    public record WritebackEnded(long inode, long pages) implements CoordinatorCommand {}

    /** Anyone → coordinator: dirty data crossed the background threshold (T2), or new work is waiting. */
    public enum WakeUp implements CoordinatorCommand {
        /** The single instance. */
        INSTANCE
    }

    /**
     * Engine → coordinator: write back every dirty page of every inode in sync mode (a sync work,
     * F1: queued works run first, in FIFO order), then answer {@link SyncDone} once all those chunks
     * have been handed to the device. Waiting for their completion, the device flush and the
     * metadata commit are the caller's (E6).
     */
    public record SyncAll(WritebackReason reason, ActorRef<SyncDone> replyTo) implements CoordinatorCommand {
        /** Validates the message. */
        public SyncAll {
            requireNonNull(reason, "reason");
            requireNonNull(replyTo, "replyTo");
        }
    }

    /** Coordinator → engine: the sync work of a {@link SyncAll} is done; {@code pagesWritten} were handed on. */
    public record SyncDone(long pagesWritten) {}
}
