package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

import dev.writebackd.layout.BlockMapper;
import dev.writebackd.page.BufferState;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.util.Optional;

/**
 * Changing a file's size ({@code truncate_setsize}, {@code truncate_pagecache},
 * {@code block_truncate_page}, U1–U4).
 *
 * <p>Shrinking zeroes the page holding the new end past it and dirties it so the partial block's
 * tail is zeroed on the device (U1), drops every page wholly past the new size with its dirty data
 * (U2), then frees the blocks wholly past it (U3). Growing allocates nothing (U4); it zeroes the
 * old last page past the old end, reading it first when the old end cuts a block, and dirties its
 * mapped blocks from the cut one on, so bytes the device holds past the old end (such as those of
 * a write a power cut kept whose new size was never committed) never show up inside the file.
 *
 * <p>The page holding the edge is never changed while a write of it is in flight: the truncate waits
 * for it. Resumable and single-threaded: {@link #step()} answers a need (a page to wait for or to
 * read) until the truncate is done; the owner lets no write or writeback pass touch the file
 * meanwhile.
 */
public final class Truncation {
    private final PageCache cache;
    private final BlockMapper mapper;
    private final long oldSize;
    private final long newSize;
    private boolean tailZeroed;
    private boolean finished;

    /** Prepares a change of {@code cache}'s file to {@code newSize} bytes. */
    public Truncation(PageCache cache, BlockMapper mapper, long newSize) {
        this.cache = requireNonNull(cache, "cache");
        this.mapper = requireNonNull(mapper, "mapper");
        if (newSize < 0) {
            throw new IllegalArgumentException("negative size " + newSize);
        }
        this.oldSize = cache.size();
        this.newSize = newSize;
    }

    /**
     * Goes on with the change.
     *
     * @return what to do before calling again, or empty once the file has its new size
     * @throws IllegalStateException if the change is already done
     */
    public Optional<WriteNeed> step() {
        if (finished) {
            throw new IllegalStateException("the truncate of inode " + cache.inode() + " is done");
        }
        if (newSize == oldSize) {
            finished = true;
            return Optional.empty();
        }
        boolean shrink = newSize < oldSize;
        if (!tailZeroed) {
            // U1 on a shrink; on a grow (U4) the old last page, so bytes left past the old end
            // never show up inside the file.
            long edge = shrink ? newSize : oldSize;
            WriteNeed need = edgePageNeed(edge, shrink);
            if (need != null) {
                return Optional.of(need);
            }
            zeroTail(edge, shrink);
            tailZeroed = true;
            cache.setSize(newSize);
        }
        if (shrink) {
            long firstGone = (newSize + cache.pageSize() - 1) / cache.pageSize();
            long busy = -1;
            for (long i = cache.next(firstGone, Long.MAX_VALUE, 0); i >= 0; i = cache.next(i + 1, Long.MAX_VALUE, 0)) {
                if (!cache.has(i, PageFlags.WRITEBACK)) {
                    cache.remove(i); // U2: dirty data is discarded, never written
                } else if (busy < 0) {
                    busy = i;
                }
            }
            if (busy >= 0) {
                return Optional.of(new WriteNeed.WaitForWriteback(busy));
            }
            mapper.truncate(cache.inode(), (newSize + cache.blockSize() - 1) / cache.blockSize()); // U3
        }
        finished = true;
        return Optional.empty();
    }

    /**
     * What the cached page holding byte {@code edge} needs before its tail can be zeroed: its write
     * in flight to finish, and on a shrink that cuts a block, to be read (uptodate) first, since the
     * block's head is kept when the block is rewritten.
     */
    private WriteNeed edgePageNeed(long edge, boolean shrink) {
        int offset = (int) (edge % cache.pageSize());
        if (offset == 0) {
            return null;
        }
        long index = edge / cache.pageSize();
        boolean mustRead = edge % cache.blockSize() != 0;
        if (!cache.contains(index)) {
            return mustRead ? new WriteNeed.ReadPage(index) : null;
        }
        if (cache.has(index, PageFlags.WRITEBACK)) {
            return new WriteNeed.WaitForWriteback(index);
        }
        long[] buffers = cache.buffers(index);
        boolean uptodate = buffers == null ? cache.has(index, PageFlags.UPTODATE)
                : BufferState.has(buffers[offset / cache.blockSize()], BufferState.UPTODATE);
        return mustRead && !uptodate ? new WriteNeed.ReadPage(index) : null;
    }

    /**
     * On a grow, makes the zeros past the old end (at {@code offset} in page {@code index}) reach
     * the device: a page without buffers is dirtied when the old end cuts its block; with buffers,
     * every block from the cut one on is uptodate (the cut one was read) and every mapped one is
     * dirtied (a hole stays a hole).
     */
    private void dirtyPastOldEnd(long index, int offset) {
        int blockSize = cache.blockSize();
        long[] buffers = cache.buffers(index);
        if (buffers == null) {
            if (offset % blockSize != 0) {
                cache.markDirty(index);
            }
            return;
        }
        boolean dirtied = false;
        int cut = offset / blockSize;
        for (int j = cut; j < buffers.length; j++) {
            if (j > cut || offset % blockSize == 0) {
                buffers[j] |= BufferState.UPTODATE; // wholly past the old end: its memory, just zeroed, is its content
            }
            if (BufferState.has(buffers[j], BufferState.MAPPED)) {
                buffers[j] |= BufferState.DIRTY;
                dirtied = true;
            }
        }
        if (dirtied) {
            cache.markDirty(index);
        }
    }

    /**
     * Zeroes the cached page holding byte {@code size} from there to its end. On a shrink (U1) its
     * buffers wholly past {@code size} forget their blocks, which U3 frees, and the block cut by
     * {@code size} is dirtied so its tail is zeroed on the device too. A page without buffers that
     * is to be written gets them first if blocks of it lie wholly past {@code size}, as
     * {@code block_invalidate_folio} leaves it: its blocks before {@code size} dirty (unmapped: the
     * writer maps them, as it would the whole page), those past it clean and unmapped, holes once U3
     * freed them, which stay holes if the file grows again before writeback (U4). A clean unmapped
     * buffer always means a hole: the cut block of a page with buffers is dirtied only if mapped.
     */
    private void zeroTail(long size, boolean shrink) {
        int offset = (int) (size % cache.pageSize());
        long index = size / cache.pageSize();
        if (offset == 0 || !cache.contains(index)) {
            return;
        }
        PageCache.zero(cache.prepareWrite(index), offset, cache.pageSize());
        if (!shrink) {
            dirtyPastOldEnd(index, offset);
            return;
        }
        int blockSize = cache.blockSize();
        int firstGone = (offset + blockSize - 1) / blockSize;
        boolean cutsBlock = offset % blockSize != 0;
        long[] buffers = cache.buffers(index);
        if (buffers == null && firstGone < cache.blocksPerPage() && (cutsBlock || cache.has(index, PageFlags.DIRTY))) {
            long uptodate = cache.has(index, PageFlags.UPTODATE) ? BufferState.UPTODATE : 0;
            buffers = cache.createBuffers(index, uptodate | BufferState.DIRTY);
            cache.markDirty(index);
        }
        if (buffers != null) {
            for (int j = firstGone; j < buffers.length; j++) {
                long gone = BufferState.MAPPED | BufferState.DIRTY | BufferState.NEW | BufferState.BOUNDARY;
                buffers[j] = BufferState.withBlock(buffers[j] & ~gone, 0);
            }
        }
        if (!cutsBlock) {
            return; // no block is cut: nothing on the device needs zeroing
        }
        int cut = offset / blockSize;
        if (buffers == null) {
            cache.markDirty(index);
        } else if (BufferState.has(buffers[cut], BufferState.MAPPED)) {
            buffers[cut] |= BufferState.DIRTY;
            cache.markDirty(index);
        }
    }
}
