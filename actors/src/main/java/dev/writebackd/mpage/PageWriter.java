package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockMapper;
import dev.writebackd.layout.MapResult;
import dev.writebackd.layout.MetadataBuffers;
import dev.writebackd.page.BufferState;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.util.ArrayList;
import java.util.List;

/**
 * The page writer ({@code __mpage_writepage}, W1–W10): takes one file's pages one at a time and
 * gathers the contiguous ones into multi-page write bios; a page it cannot map as one contiguous
 * run goes to the per-block path (B1–B5).
 *
 * <p>It keeps the open bio between pages (its segments, first block and {@code lastBlockInBio});
 * bios it closes, and errors it records for the mapping (C7), are collected until the caller takes
 * them with {@link #takeBios()} and {@link #takeErrors()}. {@link #submitOpen()} closes the open
 * bio at the end of a pass (W11).
 *
 * <p>Single-threaded and stateful: owned by one pass of one actor.
 */
public final class PageWriter {
    private final WriteContext io;
    private final BufferWriter fallback;
    private final int maxSegments;
    private final List<Segment> segments = new ArrayList<>();
    private long firstBlockInBio;
    private long lastBlockInBio;
    private final boolean mapsAhead;
    private long lastPageAhead = Long.MAX_VALUE;
    private long runLogical = -1;
    private long runPhysical;
    private long runBlocks;

    /** What became of one page handed to {@link #write}. */
    public enum Status {
        /** Written: in a multi-page bio, or block by block (possibly with nothing left to write). */
        WRITTEN,
        /** Wholly past EOF: nothing allocated, nothing written (W3, B1). */
        RELEASED,
        /** Not written because an older write of it is in flight; redirtied (B3, S4). */
        REDIRTIED,
        /** Written as far as possible; the error was recorded for the mapping (B5, W10). */
        FAILED,
        /** Nothing done yet: meet {@link Result#need()}, then hand the same page in again. */
        BLOCKED
    }

    /**
     * The outcome for one page.
     *
     * @param status what happened
     * @param error the error, for {@link Status#FAILED}
     * @param need what must happen first, for {@link Status#BLOCKED}
     */
    public record Result(Status status, Errno error, WriteNeed need) {
        /** The page was written. */
        public static final Result WRITTEN = new Result(Status.WRITTEN, null, null);
        /** The page lay past EOF. */
        public static final Result RELEASED = new Result(Status.RELEASED, null, null);
        /** The page was redirtied. */
        public static final Result REDIRTIED = new Result(Status.REDIRTIED, null, null);

        /** Checks that the error and the need come with their status only. */
        public Result {
            requireNonNull(status, "status");
            if ((error != null) != (status == Status.FAILED) || (need != null) != (status == Status.BLOCKED)) {
                throw new IllegalArgumentException(status + " with error " + error + " and need " + need);
            }
        }

        /** The page failed with {@code error}. */
        public static Result failed(Errno error) {
            return new Result(Status.FAILED, requireNonNull(error, "error"), null);
        }

        /** The page waits for {@code need}. */
        public static Result blocked(WriteNeed need) {
            return new Result(Status.BLOCKED, null, requireNonNull(need, "need"));
        }
    }

    /** A page's blocks as the multi-page path sees them; {@link #CONFUSED} sends it to the fallback. */
    private record PageRun(long firstBlock, int firstUnmapped, boolean boundary, long boundaryBlock, WriteNeed need) {
        static final PageRun CONFUSED = new PageRun(0, 0, false, 0, null);

        static PageRun blocked(WriteNeed need) {
            return new PageRun(0, 0, false, 0, need);
        }
    }

    /**
     * Creates a writer for one pass over {@code cache}'s file.
     *
     * @param mode WB_SYNC_ALL (data integrity) flags bios SYNC and makes B3 wait instead of skip
     * @param background background or periodic writeback: bios are flagged BACKGROUND
     * @param maxSegments the most pages per bio (the configured max-bio-segments, 1 to
     *     {@link Bio#MAX_SEGMENTS})
     */
    public PageWriter(PageCache cache, BlockMapper mapper, MetadataBuffers metadata, SyncMode mode,
            boolean background, int maxSegments) {
        requireNonNull(cache, "cache");
        requireNonNull(mapper, "mapper");
        requireNonNull(metadata, "metadata");
        requireNonNull(mode, "mode");
        if (maxSegments < 1 || maxSegments > Bio.MAX_SEGMENTS) {
            throw new IllegalArgumentException("max segments " + maxSegments + " outside 1.." + Bio.MAX_SEGMENTS);
        }
        this.io = new WriteContext(cache, mapper, metadata, mode, background);
        this.fallback = new BufferWriter(io);
        this.maxSegments = maxSegments;
        // Without metadata buffers there is no alias to clean per new block (B8): a run of pages can
        // be mapped with one get_block call.
        this.mapsAhead = metadata == MetadataBuffers.NONE;
    }

    /**
     * Bounds mapping ahead: pages after {@code lastPage} are not mapped before they are written (the
     * pass's range end and its nrToWrite budget).
     */
    public void mapAheadUpTo(long lastPage) {
        lastPageAhead = lastPage;
    }

    /**
     * Forgets the run mapped ahead. The owner calls this whenever the file may have changed since
     * the last page was written (a pass resuming after a wait: a truncate may have freed blocks).
     */
    public void forgetMappedRun() {
        runLogical = -1;
    }

    /**
     * Writes page {@code index}, which the caller has cleared for I/O (S1).
     *
     * @throws IllegalStateException if the page is not cached
     */
    public Result write(long index) {
        PageCache cache = io.cache;
        if (!cache.contains(index)) {
            throw new IllegalStateException("page " + index + " of inode " + cache.inode() + " is not cached");
        }
        if (cache.has(index, PageFlags.WRITEBACK)) {
            // B3: a write of this page (an older copy, S5) is still in flight, and one page is never
            // under two writes at once.
            if (io.syncAll) {
                return Result.blocked(new WriteNeed.WaitForWriteback(index));
            }
            cache.markDirty(index);
            return Result.REDIRTIED;
        }
        if (io.whollyPastEof(index)) {
            return confused(index); // W3: the per-block path releases it
        }
        long[] buffers = cache.buffers(index);
        PageRun run = buffers != null ? scanBuffers(buffers) : mapBlocks(index);
        if (run.need() != null) {
            return Result.blocked(run.need());
        }
        if (run == PageRun.CONFUSED) {
            return confused(index);
        }
        addToBio(index, buffers, run);
        return Result.WRITTEN;
    }

    /** Closes the open bio, if any (W11: the end of a pass). */
    public void submitOpen() {
        submitOpen(0);
    }

    /** How many bios were closed since the last {@link #takeBios()}. */
    public int closedBios() {
        return io.closedBios();
    }

    /** The bytes of the bios closed since the last {@link #takeBios()}. */
    public long closedBytes() {
        return io.closedBytes();
    }

    /** Takes the bios closed since the last call, in submission order. */
    public List<SubmittedBio> takeBios() {
        return io.drainBios();
    }

    /** Takes the errors recorded for the mapping since the last call (C7, E2), in order. */
    public List<Errno> takeErrors() {
        return io.drainErrors();
    }

    /** W1: a page with buffers goes into the bio only if its mapped buffers form one dirty run. */
    private PageRun scanBuffers(long[] buffers) {
        int bpp = io.blocksPerPage;
        int firstUnmapped = bpp;
        long firstBlock = 0;
        boolean boundary = false;
        long boundaryBlock = 0;
        for (int j = 0; j < bpp; j++) {
            long state = buffers[j];
            if (!BufferState.has(state, BufferState.MAPPED)) {
                if (BufferState.has(state, BufferState.DIRTY)) {
                    return PageRun.CONFUSED;
                }
                firstUnmapped = Math.min(firstUnmapped, j);
                continue;
            }
            if (firstUnmapped != bpp || !BufferState.has(state, BufferState.DIRTY | BufferState.UPTODATE)) {
                return PageRun.CONFUSED; // hole before data, or a block that must not be written
            }
            long block = BufferState.block(state);
            if (j == 0) {
                firstBlock = block;
            } else if (block != firstBlock + j) {
                return PageRun.CONFUSED;
            }
            boundary = BufferState.has(state, BufferState.BOUNDARY);
            if (boundary) {
                boundaryBlock = block;
            }
        }
        if (firstUnmapped == 0) {
            return PageRun.CONFUSED; // no mapped buffer at all
        }
        return new PageRun(firstBlock, firstUnmapped, boundary, boundaryBlock, null);
    }

    /** W2: maps a page without buffers block by block, up to the last block inside EOF. */
    private PageRun mapBlocks(long index) {
        long firstLogical = index * io.blocksPerPage;
        int count = (int) Math.min(io.blocksPerPage, io.blocksInsideEof() - firstLogical);
        if (mapsAhead && count > 0 && mappedAhead(index, firstLogical, count)) {
            return new PageRun(runPhysical + (firstLogical - runLogical), count, false, 0, null);
        }
        long firstBlock = 0;
        boolean boundary = false;
        long boundaryBlock = 0;
        for (int j = 0; j < count; j++) {
            WriteContext.Mapping m = io.mapForWrite(firstLogical + j);
            if (m.need() != null) {
                return PageRun.blocked(m.need());
            }
            if (m.error() != null) {
                return PageRun.CONFUSED;
            }
            if (m.boundary()) {
                boundaryBlock = m.physical();
            }
            if (j == 0) {
                firstBlock = m.physical();
            } else if (m.physical() != firstBlock + j) {
                return PageRun.CONFUSED;
            }
            boundary = m.boundary();
        }
        return new PageRun(firstBlock, count, boundary, boundaryBlock, null);
    }

    /**
     * W2 for a run: whether blocks {@code [firstLogical, firstLogical + count)} of page {@code index}
     * lie in the run mapped ahead, mapping a new run first if they do not. A new run covers this page
     * and the dirty pages without buffers that follow it, up to one bio's worth and the bound set by
     * {@link #mapAheadUpTo}: those the pass writes next. Any answer but one run covering this page
     * leaves the page to the block-by-block path, which asks again and meets the same answer.
     */
    private boolean mappedAhead(long index, long firstLogical, int count) {
        if (runLogical >= 0 && firstLogical >= runLogical && firstLogical + count <= runLogical + runBlocks) {
            return true;
        }
        runLogical = -1;
        PageCache cache = io.cache;
        long pages = 1;
        long lastPage = Math.min(lastPageAhead, (io.blocksInsideEof() - 1) / io.blocksPerPage);
        while (pages < maxSegments && index + pages <= lastPage && aheadWritable(cache, index + pages)) {
            pages++;
        }
        long blocks = Math.min(pages * io.blocksPerPage, io.blocksInsideEof() - firstLogical);
        MapResult answer = io.mapper.map(cache.inode(), firstLogical, (int) blocks, true);
        if (answer instanceof MapResult.Mapped m && !m.isBoundary() && m.count() >= count) {
            runLogical = firstLogical;
            runPhysical = m.physicalBlock();
            runBlocks = m.count();
            return true;
        }
        return false;
    }

    /** A page the pass will write as a whole page without buffers, unless something changes first. */
    private static boolean aheadWritable(PageCache cache, long index) {
        int flags = cache.flags(index);
        return PageFlags.has(flags, PageFlags.PRESENT | PageFlags.DIRTY) && !PageFlags.has(flags, PageFlags.WRITEBACK)
                && cache.buffers(index) == null;
    }

    /** W4–W9: adds a mapped page to the open bio, opening or closing bios as needed. */
    private void addToBio(long index, long[] buffers, PageRun run) {
        io.zeroPastEof(index);
        if (!segments.isEmpty() && (lastBlockInBio != run.firstBlock() - 1 || segments.size() == maxSegments)) {
            submitOpen(0); // W5, W7
        }
        if (segments.isEmpty()) {
            firstBlockInBio = run.firstBlock(); // W6
        }
        if (buffers != null) {
            for (int j = 0; j < run.firstUnmapped(); j++) {
                buffers[j] &= ~BufferState.DIRTY; // W8
            }
        }
        int slot = io.cache.startWriteback(index);
        segments.add(io.segment(index, slot, 0, run.firstUnmapped() * io.blockSize));
        if (run.boundary() || run.firstUnmapped() < io.blocksPerPage) {
            submitOpen(run.boundaryBlock()); // W9
        } else {
            lastBlockInBio = run.firstBlock() + io.blocksPerPage - 1;
        }
    }

    /** W10: submits the open bio, then writes the page block by block. */
    private Result confused(long index) {
        submitOpen(0);
        return fallback.write(index);
    }

    private void submitOpen(long boundaryBlock) {
        if (!segments.isEmpty()) {
            io.submit(SubmittedBio.pages(io.writeBio(firstBlockInBio, segments), boundaryBlock));
            segments.clear();
        }
    }
}
