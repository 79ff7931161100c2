package dev.writebackd.actors.persist;

import dev.writebackd.error.Errno;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;

/** How a metadata committer reports a file's commit: the same for the extent and the ext2 layouts. */
final class CommitOutcome {
    private CommitOutcome() {}

    /** Completes {@code result} for file {@code inode}: normally, or with EIO naming the cause of {@code failure}. */
    static void settle(CompletableFuture<Void> result, long inode, Throwable failure, Logger log) {
        if (failure == null) {
            result.complete(null);
            return;
        }
        Throwable cause = unwrap(failure);
        log.warn("metadata of inode {} not committed: {}", inode, cause.toString());
        FileError error = new FileError(Errno.EIO, "metadata of inode " + inode + " not committed: " + cause);
        error.initCause(cause);
        result.completeExceptionally(error);
    }

    /** The failure inside the wrappers a completion stage puts around it. */
    static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
