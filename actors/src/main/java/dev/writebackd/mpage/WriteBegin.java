package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockMapper;
import dev.writebackd.page.BufferState;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.List;

/**
 * Writes bytes {@code [from, to)} of one page into the cache: {@code __block_write_begin}, the
 * copy, and {@code block_write_end} (S6), resumable around the reads it may need.
 *
 * <p>A write covering the whole page, or landing on an uptodate page without buffers, is copied
 * straight in and dirties the page, which gets no buffers. A partial write over a page that is not
 * uptodate (or that already has buffers) works per block: blocks the write does not wholly cover
 * and that are not uptodate are mapped with {@code map(create = false)} and read, or zeroed without
 * I/O where they are holes or past EOF; once they are all uptodate the bytes are copied, the blocks
 * the write touches become dirty and uptodate, and the page is dirtied. If that leaves every block
 * uptodate and dirty, the buffers are dropped again. The copy goes through
 * {@link PageCache#prepareWrite}, so bytes under writeback are never changed (S5), and i_size grows
 * to the end of the write.
 *
 * <p>Keeps a mutable cursor: single-threaded, owned by the actor that owns the page cache.
 */
public final class WriteBegin {
    private final PageCache cache;
    private final BlockMapper mapper;
    private final long index;
    private final int from;
    private final int to;
    private final ByteBuffer src;

    private BufferReader reads;
    private boolean done;
    private ReadStep.Failed failure;

    /**
     * Prepares the write of {@code src}'s remaining bytes at {@code [from, to)} of page {@code index}.
     *
     * @param src the bytes; its remaining length is {@code to - from}; it is not consumed
     */
    public WriteBegin(PageCache cache, BlockMapper mapper, long index, int from, int to, ByteBuffer src) {
        this.cache = requireNonNull(cache, "cache");
        this.mapper = requireNonNull(mapper, "mapper");
        this.src = requireNonNull(src, "src").duplicate();
        if (index < 0 || from < 0 || from >= to || to > cache.pageSize() || src.remaining() != to - from) {
            throw new IllegalArgumentException("bad write of " + src.remaining() + " bytes at [" + from + ", "
                    + to + ") of page " + index);
        }
        this.index = index;
        this.from = from;
        this.to = to;
    }

    /**
     * Advances the write.
     *
     * @return {@link ReadStep.Done} once the bytes are in the page and it is dirty;
     *     {@link ReadStep.ReadMetadata} or {@link ReadStep.AwaitReads} to be met before stepping again;
     *     {@link ReadStep.Failed} if a block could not be mapped or read (the page is not dirtied);
     *     once finished, every further call answers the same
     * @throws dev.writebackd.error.ErrnoException with ENOSPC if the page must be cached and the pool
     *     is exhausted
     */
    public ReadStep step() {
        if (done) {
            return failure != null ? failure : new ReadStep.Done(List.of());
        }
        if (reads == null) {
            if (!cache.contains(index)) {
                cache.insert(index);
            }
            boolean whole = from == 0 && to == cache.pageSize();
            if (cache.buffers(index) == null && (whole || cache.has(index, PageFlags.UPTODATE))) {
                return commit();
            }
            // Reads must land in the copy that the write will modify, not in bytes under writeback.
            cache.prepareWrite(index);
            if (cache.buffers(index) == null) {
                cache.createBuffers(index, 0);
            }
            reads = BufferReader.blocks(cache, mapper, index, uncoveredBlocks());
        }
        if (!reads.issued()) {
            ReadStep step = reads.step();
            if (step instanceof ReadStep.ReadMetadata) {
                return step;
            }
            if (!step.bios().isEmpty()) {
                return new ReadStep.AwaitReads(step.bios());
            }
        }
        if (reads.inFlight()) {
            return new ReadStep.AwaitReads(List.of());
        }
        if (reads.error() != null || !reads.allUptodate()) {
            done = true;
            failure = new ReadStep.Failed(reads.error() != null ? reads.error() : Errno.EIO);
            return failure;
        }
        return commit();
    }

    private BitSet uncoveredBlocks() {
        int blockSize = cache.blockSize();
        BitSet uncovered = new BitSet(cache.blocksPerPage());
        for (int i = 0; i < cache.blocksPerPage(); i++) {
            int start = i * blockSize;
            if (start < from || start + blockSize > to) {
                uncovered.set(i);
            }
        }
        return uncovered;
    }

    private ReadStep commit() {
        done = true;
        ByteBuffer target = cache.prepareWrite(index);
        target.put(from, src, src.position(), to - from);
        long[] buffers = cache.buffers(index);
        if (buffers == null) {
            if (from == 0 && to == cache.pageSize()) {
                cache.setFlag(index, PageFlags.UPTODATE, true);
            }
        } else {
            commitBuffers(buffers);
        }
        cache.markDirty(index);
        long end = index * cache.pageSize() + to;
        if (end > cache.size()) {
            cache.setSize(end);
        }
        return new ReadStep.Done(List.of());
    }

    private void commitBuffers(long[] buffers) {
        int blockSize = cache.blockSize();
        for (int i = from / blockSize; i * blockSize < to; i++) {
            buffers[i] |= BufferState.DIRTY | BufferState.UPTODATE;
        }
        boolean allUptodate = true;
        boolean wholeDirty = true;
        for (long state : buffers) {
            allUptodate &= BufferState.has(state, BufferState.UPTODATE);
            wholeDirty &= BufferState.has(state, BufferState.DIRTY) && !BufferState.has(state, BufferState.IN_FLIGHT);
        }
        if (allUptodate) {
            cache.setFlag(index, PageFlags.UPTODATE, true);
            if (wholeDirty) {
                cache.dropBuffers(index);
            }
        }
    }
}
