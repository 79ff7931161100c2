package dev.writebackd.mpage;

import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import dev.writebackd.page.BufferState;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.util.List;

/**
 * The per-block write path ({@code block_write_full_page}, B1–B5): writes one page buffer by
 * buffer, one single-block bio per dirty buffer. The page writer sends it every page it cannot put
 * into a multi-page bio (W10).
 *
 * <p>Single-threaded: part of one {@link PageWriter}.
 */
final class BufferWriter {
    private final WriteContext io;

    BufferWriter(WriteContext io) {
        this.io = io;
    }

    /** Writes page {@code index}, which is cached, cleared for I/O and not under writeback. */
    PageWriter.Result write(long index) {
        PageCache cache = io.cache;
        if (io.whollyPastEof(index)) {
            return PageWriter.Result.RELEASED; // B1: nothing to write, the truncate drops the page
        }
        io.zeroPastEof(index);
        long[] buffers = cache.buffers(index);
        if (buffers == null) {
            // create_empty_buffers: every block takes the page's state, dirty as it was when chosen.
            long state = BufferState.DIRTY | (cache.has(index, PageFlags.UPTODATE) ? BufferState.UPTODATE : 0);
            buffers = cache.createBuffers(index, state);
        }
        long firstLogical = index * io.blocksPerPage;
        long insideEof = io.blocksInsideEof() - firstLogical;
        Errno error = null;
        for (int j = 0; j < buffers.length; j++) {
            if (j >= insideEof) {
                // B2: a block past EOF is never written.
                buffers[j] = (buffers[j] & ~BufferState.DIRTY) | BufferState.UPTODATE;
            } else if (error == null && BufferState.has(buffers[j], BufferState.DIRTY)
                    && !BufferState.has(buffers[j], BufferState.MAPPED)) {
                WriteContext.Mapping m = io.mapForWrite(firstLogical + j);
                if (m.physical() != 0) {
                    long state = buffers[j] | BufferState.MAPPED | (m.boundary() ? BufferState.BOUNDARY : 0);
                    buffers[j] = BufferState.withBlock(state, m.physical());
                }
                if (m.need() != null) {
                    // Mapped buffers keep their blocks, so the retry goes on from here.
                    return PageWriter.Result.blocked(m.need());
                }
                error = m.error();
            }
        }
        return submitBuffers(index, buffers, error);
    }

    /**
     * B4, B5: starts writeback and submits one bio per mapped dirty buffer. After a mapping error
     * the buffers that could not be mapped are cleaned (their data is lost), the page is marked in
     * error and the error recorded for the mapping.
     */
    private PageWriter.Result submitBuffers(long index, long[] buffers, Errno error) {
        PageCache cache = io.cache;
        int slot = cache.startWriteback(index);
        int underway = 0;
        for (int j = 0; j < buffers.length; j++) {
            long state = buffers[j];
            if (BufferState.has(state, BufferState.MAPPED | BufferState.DIRTY)) {
                buffers[j] = (state & ~BufferState.DIRTY) | BufferState.IN_FLIGHT;
                Segment segment = io.segment(index, slot, j * io.blockSize, io.blockSize);
                io.submit(SubmittedBio.buffer(io.writeBio(BufferState.block(state), List.of(segment)), j));
                underway++;
            } else {
                buffers[j] = state & ~BufferState.DIRTY;
            }
        }
        if (error != null) {
            cache.setFlag(index, PageFlags.ERROR, true);
            io.recordError(error);
        }
        if (underway == 0) {
            // Dirty page, clean buffers: nothing to wait for.
            cache.endWriteback(index, slot);
        }
        return error == null ? PageWriter.Result.WRITTEN : PageWriter.Result.failed(error);
    }
}
