package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import dev.writebackd.layout.BlockMapper;
import dev.writebackd.layout.MapResult;
import dev.writebackd.page.BufferState;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;

/**
 * One read request over a file's page cache: {@code mpage_readahead} (a batch of pages, R1–R13) or
 * {@code mpage_read_folio} (one page, R14), building the largest bios the block map allows.
 *
 * <p>Creating the request inserts the pages it reads into the cache, not uptodate. Each
 * {@link #step()} then walks them: a page whose blocks are contiguous on the device joins the open
 * bio; a page with buffers, a hole followed by data, discontiguous blocks, a mapper error or an
 * answer that is already uptodate goes block by block (R12, B6). When the mapper needs a map block
 * read first, the step returns the bios that are ready (never the open one) with a
 * {@link ReadStep.ReadMetadata} need; the caller submits them, reads the block, and steps again,
 * which resumes at the same mapper call. The last step returns {@link ReadStep.Done} with
 * everything left, the open bio last. Every bio's completion goes to {@link ReadCompletion}.
 *
 * <p>Keeps a mutable cursor: single-threaded, owned by the actor that owns the page cache.
 */
public final class PageReader {
    private final PageCache cache;
    private final BlockMapper mapper;
    private final long first;
    private final int nrPages;
    private final BitSet toRead;
    private final Set<BioFlag> flags;
    private final boolean boundaryHandling;
    private final int blockSize;
    private final int blocksPerPage;
    private final long[] blocks;
    private final List<Bio> ready = new ArrayList<>();

    private int cursor;
    private boolean pageStarted;
    private int pageBlock;
    private int firstHole;
    private long blockInFile;
    private long lastBlock;
    private BufferReader fallback;
    private Run run;
    private boolean runValid;
    private OpenBio open;

    /** The last run get_block answered ({@code map_bh}); {@code runValid} says if R3 may reuse it. */
    private record Run(long logical, long physical, int count, boolean boundary) {}

    /** The bio being filled: its first and last physical blocks and its segment budget (R10). */
    private static final class OpenBio {
        final long firstBlock;
        final int capacity;
        final List<Segment> segments = new ArrayList<>();
        long lastBlock;

        OpenBio(long firstBlock, int capacity) {
            this.firstBlock = firstBlock;
            this.capacity = capacity;
        }
    }

    private PageReader(PageCache cache, BlockMapper mapper, long first, int nrPages, BitSet toRead,
            Set<BioFlag> flags, boolean boundaryHandling) {
        this.cache = cache;
        this.mapper = mapper;
        this.first = first;
        this.nrPages = nrPages;
        this.toRead = toRead;
        this.flags = flags;
        this.boundaryHandling = boundaryHandling;
        this.blockSize = cache.blockSize();
        this.blocksPerPage = cache.blocksPerPage();
        this.blocks = new long[blocksPerPage];
    }

    /**
     * A readahead request for pages {@code [start, start + nrPages)} (R1): the pages not yet cached
     * are inserted and read with {@link BioFlag#RAHEAD} bios; cached ones are left alone. If the
     * page pool runs dry, the request stops at the last page it could insert.
     */
    public static PageReader readahead(PageCache cache, BlockMapper mapper, long start, int nrPages) {
        return readahead(cache, mapper, start, nrPages, true);
    }

    /** {@link #readahead(PageCache, BlockMapper, long, int)}, optionally ignoring boundary runs (X4 tests). */
    static PageReader readahead(PageCache cache, BlockMapper mapper, long start, int nrPages,
            boolean boundaryHandling) {
        requireNonNull(cache, "cache");
        requireNonNull(mapper, "mapper");
        if (start < 0 || nrPages < 0) {
            throw new IllegalArgumentException("bad readahead " + start + "+" + nrPages);
        }
        BitSet toRead = new BitSet(nrPages);
        for (int i = 0; i < nrPages; i++) {
            if (cache.contains(start + i)) {
                continue;
            }
            try {
                cache.insert(start + i);
            } catch (ErrnoException e) {
                if (e.errno() != Errno.ENOSPC) {
                    throw e;
                }
                break;
            }
            toRead.set(i);
        }
        return new PageReader(cache, mapper, start, nrPages, toRead, Set.of(BioFlag.RAHEAD), boundaryHandling);
    }

    /**
     * A read of page {@code index} alone (R14): inserted if missing; a page that is cached but not
     * uptodate (say, a failed readahead page, R1) has its error cleared and is read again; an
     * uptodate page needs nothing.
     *
     * @throws ErrnoException with {@link Errno#ENOSPC} if the page pool is exhausted
     */
    public static PageReader readPage(PageCache cache, BlockMapper mapper, long index) {
        requireNonNull(cache, "cache");
        requireNonNull(mapper, "mapper");
        BitSet toRead = new BitSet(1);
        if (!cache.contains(index)) {
            cache.insert(index);
            toRead.set(0);
        } else if (!cache.has(index, PageFlags.UPTODATE)) {
            cache.setFlag(index, PageFlags.ERROR, false);
            toRead.set(0);
        }
        return new PageReader(cache, mapper, index, 1, toRead, Set.of(), true);
    }

    /** {@code true} if this request reads page {@code index} (it inserted it, or R14 re-reads it). */
    public boolean reads(long index) {
        return index >= first && index - first < nrPages && toRead.get((int) (index - first));
    }

    /**
     * Walks the pages until the request ends or the mapper needs a map block.
     *
     * @return {@link ReadStep.ReadMetadata} or {@link ReadStep.Done}; after {@code Done}, further
     *     calls answer an empty {@code Done}
     */
    public ReadStep step() {
        for (; cursor < nrPages; cursor++) {
            if (!toRead.get(cursor)) {
                continue;
            }
            long index = first + cursor;
            MapResult.NeedsMetadata need = fallback != null ? continueFallback() : readPage(index);
            if (need != null) {
                return new ReadStep.ReadMetadata(drain(), need.block());
            }
            pageStarted = false;
            fallback = null;
        }
        submitOpen();
        return new ReadStep.Done(drain());
    }

    /** {@code do_mpage_readpage} for one page; {@code null} once the page is settled or in a bio. */
    private MapResult.NeedsMetadata readPage(long index) {
        if (!pageStarted) {
            if (cache.buffers(index) != null) {
                return confused(index);
            }
            startPage(index);
        }
        while (pageBlock < blocksPerPage) {
            if (blockInFile >= lastBlock) {
                noteHole(blocksPerPage - pageBlock);
                continue;
            }
            MapResult answer = mapper.map(cache.inode(), blockInFile,
                    (int) Math.min(lastBlock - blockInFile, Integer.MAX_VALUE), false);
            if (answer instanceof MapResult.NeedsMetadata need) {
                return need;
            }
            if (answer instanceof MapResult.Failed) {
                return confused(index);
            }
            if (answer instanceof MapResult.Hole hole) {
                noteHole(Math.min(hole.count(), blocksPerPage - pageBlock));
                continue;
            }
            MapResult.Mapped mapped = (MapResult.Mapped) answer;
            if (mapped.isUptodate()) {
                copyState(index, mapped);
                return confused(index);
            }
            if (firstHole < blocksPerPage
                    || (pageBlock > 0 && blocks[pageBlock - 1] != mapped.physicalBlock() - 1)) {
                return confused(index);
            }
            run = new Run(blockInFile, mapped.physicalBlock(), mapped.count(), mapped.isBoundary());
            runValid = true;
            takeFromRun();
        }
        addToBio(index);
        return null;
    }

    /** Sets up the page's walk and takes what the previous mapping still covers (R3). */
    private void startPage(long index) {
        pageStarted = true;
        pageBlock = 0;
        firstHole = blocksPerPage;
        blockInFile = index * blocksPerPage;
        lastBlock = Math.min(blockInFile + (long) (nrPages - cursor) * blocksPerPage, BufferReader.eofBlock(cache));
        if (runValid && blockInFile >= run.logical() && blockInFile < run.logical() + run.count()) {
            takeFromRun();
        }
    }

    private void takeFromRun() {
        int offset = (int) (blockInFile - run.logical());
        while (pageBlock < blocksPerPage && offset < run.count()) {
            blocks[pageBlock++] = run.physical() + offset++;
            blockInFile++;
        }
        if (offset == run.count()) {
            runValid = false;
        }
    }

    private void noteHole(int count) {
        if (firstHole == blocksPerPage) {
            firstHole = pageBlock;
        }
        pageBlock += count;
        blockInFile += count;
    }

    /** R8–R11: zero past the first hole, then put the mapped part of the page into the open bio. */
    private void addToBio(long index) {
        ByteBuffer data = cache.data(index);
        if (firstHole < blocksPerPage) {
            PageCache.zero(data, firstHole * blockSize, cache.pageSize());
            if (firstHole == 0) {
                cache.setFlag(index, PageFlags.UPTODATE, true);
                return;
            }
        } else {
            cache.setFlag(index, PageFlags.MAPPED_TO_DISK, true);
        }
        if (open != null && open.lastBlock != blocks[0] - 1) {
            submitOpen();
        }
        if (open != null && open.segments.size() == open.capacity) {
            submitOpen();
        }
        if (open == null) {
            open = new OpenBio(blocks[0], Math.min(nrPages - cursor, Bio.MAX_SEGMENTS));
        }
        open.segments.add(Segment.ofPage(data.slice(0, firstHole * blockSize), index, cache.slot(index)));
        open.lastBlock = blocks[firstHole - 1];
        boolean endsAtBoundary = boundaryHandling && run != null && run.boundary()
                && blockInFile == run.logical() + run.count();
        if (endsAtBoundary || firstHole < blocksPerPage) {
            submitOpen();
        }
    }

    /** R6: the mapper filled the block itself; keep its state (not data) for the block-wise read. */
    private void copyState(long index, MapResult.Mapped mapped) {
        long[] buffers = cache.buffers(index);
        if (buffers == null) {
            if (blocksPerPage == 1) {
                cache.setFlag(index, PageFlags.UPTODATE, true);
                return;
            }
            buffers = cache.createBuffers(index, 0);
        }
        long state = BufferState.MAPPED | BufferState.UPTODATE
                | (mapped.isBoundary() && mapped.count() == 1 ? BufferState.BOUNDARY : 0);
        buffers[pageBlock] = BufferState.withBlock(state, mapped.physicalBlock());
    }

    /** R12: the open bio goes first, then the page is read block by block unless it is uptodate. */
    private MapResult.NeedsMetadata confused(long index) {
        submitOpen();
        if (cache.has(index, PageFlags.UPTODATE)) {
            return null;
        }
        fallback = BufferReader.wholePage(cache, mapper, index);
        return continueFallback();
    }

    private MapResult.NeedsMetadata continueFallback() {
        ReadStep step = fallback.step();
        ready.addAll(step.bios());
        return step instanceof ReadStep.ReadMetadata need ? new MapResult.NeedsMetadata(need.block()) : null;
    }

    private void submitOpen() {
        if (open == null) {
            return;
        }
        long sector = open.firstBlock * (blockSize / BlockDevice.SECTOR_SIZE);
        ready.add(new Bio(BioOp.READ, sector, open.segments, flags, cache.inode()));
        open = null;
    }

    private List<Bio> drain() {
        List<Bio> out = List.copyOf(ready);
        ready.clear();
        return out;
    }
}
