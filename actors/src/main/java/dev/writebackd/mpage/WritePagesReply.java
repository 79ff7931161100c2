package dev.writebackd.mpage;

import dev.writebackd.error.Errno;

/**
 * What one {@link WritePagesRequest} did (the parts of the kernel's writeback_control and of the
 * inode's state that {@code requeue_inode} reads): the inode's answer to {@code WritePages}, fed
 * to {@code FlusherState.chunkFinished} to requeue the inode (F4) and judge progress (F5).
 *
 * @param pagesWritten pages put under writeback by this call (submitted in bios or to the
 *     per-block path); not those redirtied or skipped
 * @param nrToWriteLeft the request's nrToWrite minus the pages handed to the page writer (C5);
 *     0 or less means the chunk was used up
 * @param pagesSkipped pages the writer redirtied instead of writing (S4, B3: wbc.pages_skipped)
 * @param stillDirty the file still has dirty pages after this call
 * @param firstError the first page-writer error (C4), or {@code null}; already recorded in the
 *     file's errseq by the writer (C7)
 */
public record WritePagesReply(
        long pagesWritten,
        long nrToWriteLeft,
        long pagesSkipped,
        boolean stillDirty,
        Errno firstError) {

    /** Validates. */
    public WritePagesReply {
        if (pagesWritten < 0 || pagesSkipped < 0) {
            throw new IllegalArgumentException("negative count: written=" + pagesWritten + ", skipped="
                    + pagesSkipped);
        }
    }

    /**
     * The pages of {@code request} that were handed to the page writer:
     * {@code request.nrToWrite − nrToWriteLeft}, never below 0.
     */
    public long pagesConsumed(WritePagesRequest request) {
        if (nrToWriteLeft >= request.nrToWrite()) {
            return 0;
        }
        long consumed = request.nrToWrite() - nrToWriteLeft;
        return consumed < 0 ? Long.MAX_VALUE : consumed; // saturate on overflow
    }
}
