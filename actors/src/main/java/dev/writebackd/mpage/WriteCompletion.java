package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.MetadataBuffers;
import dev.writebackd.page.BufferState;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.util.ArrayList;
import java.util.List;

/**
 * Write completion (W12, B4, B7): applies a finished {@link SubmittedBio} to the file's pages.
 *
 * <p>This is the {@code linux} error policy's part (E5): a failed page is marked in error and ends
 * writeback clean and uptodate. Other policies decide from {@link Completed#failedPages()} what more
 * to do with the failed pages (redirty, hold); the error itself is returned for the caller to record
 * in errseq (E2). Stateless.
 */
public final class WriteCompletion {

    private WriteCompletion() {}

    /**
     * What a completion did and what the caller does next.
     *
     * @param mappingError the error to record for the file (E2), or {@code null}
     * @param failedPages pages whose write failed, ascending, each once: the error policy's input
     * @param boundaryWrite the map-block write to submit now that the data is on the device (B7),
     *     or {@code null}
     */
    public record Completed(Errno mappingError, List<Long> failedPages, SubmittedBio boundaryWrite) {
        /** Freezes the page list. */
        public Completed {
            failedPages = List.copyOf(failedPages);
        }
    }

    /**
     * The error that the completion of {@code done} records for its file (E2): none on success;
     * the device's error for a multi-page bio; EIO for a buffer write (B4) and for a map-block write,
     * whatever the device said. The completion side records it without touching the pages.
     *
     * @param error the bio's error, or {@code null} if it succeeded
     */
    public static Errno mappingError(SubmittedBio done, Errno error) {
        requireNonNull(done, "done");
        if (error == null) {
            return null;
        }
        return done.kind() == SubmittedBio.Kind.PAGES ? error : Errno.EIO;
    }

    /**
     * Applies the completion of {@code done} to {@code cache}, the file it was written for.
     *
     * @param error the bio's error, or {@code null} if it succeeded
     */
    public static Completed complete(PageCache cache, MetadataBuffers metadata, SubmittedBio done, Errno error) {
        requireNonNull(cache, "cache");
        requireNonNull(metadata, "metadata");
        requireNonNull(done, "done");
        Bio bio = done.bio();
        List<Long> failed = new ArrayList<>();
        switch (done.kind()) {
            case METADATA -> {
                for (Segment s : bio.segments()) {
                    metadata.writeCompleted(s.metaBlock(), error == null);
                }
                // The map block belongs to this file (b_assoc_map): its loss is the file's error.
                return new Completed(mappingError(done, error), failed, null);
            }
            case BUFFER -> {
                Segment s = bio.segments().get(0);
                long[] buffers = cache.buffers(s.pageIndex());
                buffers[done.buffer()] &= ~BufferState.IN_FLIGHT;
                if (error != null) {
                    buffers[done.buffer()] |= BufferState.WRITE_ERROR;
                    markFailed(cache, s.pageIndex(), failed);
                }
                if (!anyInFlight(buffers)) {
                    cache.endWriteback(s.pageIndex(), s.slot());
                }
                // B4: a failed buffer write is reported as EIO, whatever the device said.
                return new Completed(mappingError(done, error), failed, null);
            }
            default -> {
                for (Segment s : bio.segments()) {
                    if (error != null) {
                        markFailed(cache, s.pageIndex(), failed);
                    }
                    cache.endWriteback(s.pageIndex(), s.slot());
                }
                if (error != null) {
                    return new Completed(mappingError(done, error), failed, null);
                }
                // W9 (ours): the map block after the boundary goes out only behind its data.
                Bio mapBlock = done.boundaryBlock() == 0 ? null : metadata.writeIfDirty(done.boundaryBlock() + 1);
                return new Completed(null, failed, mapBlock == null ? null : SubmittedBio.metadata(mapBlock));
            }
        }
    }

    private static void markFailed(PageCache cache, long index, List<Long> failed) {
        cache.setFlag(index, PageFlags.ERROR, true);
        failed.add(index);
    }

    private static boolean anyInFlight(long[] buffers) {
        for (long state : buffers) {
            if (BufferState.has(state, BufferState.IN_FLIGHT)) {
                return true;
            }
        }
        return false;
    }
}
