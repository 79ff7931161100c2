package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The last step of fsync before it answers (E1, ordered mode): make a file's metadata — its size,
 * its block map, the frees of blocks it no longer uses — durable, after its data is written and the
 * device flushed.
 *
 * <p>Called from an actor: an implementation never blocks the calling thread; it returns at once
 * and completes the stage when the commit is durable, or fails it (fsync then fails with EIO). Must
 * be thread-safe: every inode actor of a device calls the same committer.
 */
public interface MetadataCommitter {

    /** Makes the metadata of file {@code inode} durable. */
    CompletionStage<Void> commit(long inode);

    /**
     * The committer without persistence: metadata lives in memory only, so a commit just makes
     * the frees so far reusable (a freed block is reused only after its free is committed, U3).
     */
    static MetadataCommitter inMemory(SharedLayout layout) {
        requireNonNull(layout, "layout");
        return inode -> {
            layout.commitFrees();
            return CompletableFuture.completedFuture(null);
        };
    }
}
