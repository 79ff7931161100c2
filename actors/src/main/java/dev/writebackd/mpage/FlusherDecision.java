package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

/**
 * What {@link FlusherState#step} asks its owner to do next.
 */
public sealed interface FlusherDecision {

    /**
     * Send {@code request} to the inode's owner ({@code WritePages}) and feed its reply to
     * {@link FlusherState#chunkFinished}; no other inode is written meanwhile.
     *
     * @param inode the inode to write
     * @param request its chunk
     */
    record WriteInode(long inode, WritePagesRequest request) implements FlusherDecision {
        /** Validates. */
        public WriteInode {
            requireNonNull(request, "request");
        }
    }

    /**
     * A round of the current pass made no progress while inodes wait on b_more_io (F5): call
     * {@link FlusherState#step} again once this inode's writeback in flight has finished (the kernel's
     * {@code inode_sleep_on_writeback}), or when anything else happens; never block for it.
     *
     * @param inode the first inode on b_more_io
     */
    record WaitForWriteback(long inode) implements FlusherDecision {
    }

    /**
     * A pass ended: its work is finished, or it stopped or yielded (F5). Answer the work's caller if
     * it has one, then call {@link FlusherState#step} again.
     *
     * @param work the work, as queued (its {@code id} identifies it)
     * @param pagesWritten pages put under writeback by the pass
     */
    record WorkDone(WritebackWork work, long pagesWritten) implements FlusherDecision {
        /** Validates. */
        public WorkDone {
            requireNonNull(work, "work");
        }
    }

    /**
     * Nothing to do: call {@link FlusherState#step} after the next input (a dirtied inode, queued
     * work, a wake-up) or at {@code wakeAtNanos}, when the periodic pass falls due
     * ({@code Long.MAX_VALUE}: no timer needed).
     *
     * @param wakeAtNanos clock time of the next periodic pass
     */
    record Idle(long wakeAtNanos) implements FlusherDecision {
    }

    /**
     * A chunk is still out: wait for its reply ({@link FlusherState#chunkFinished}).
     *
     * @param inode the inode being written
     */
    record ChunkInFlight(long inode) implements FlusherDecision {
    }
}
