package dev.writebackd.mpage;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
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
 * Reads chosen blocks of one page through its per-block buffers: the whole page for B6
 * ({@code block_read_full_folio}), or the blocks a partial write does not cover for S6.
 *
 * <p>Wanted blocks that are uptodate are left alone. Unmapped ones are mapped with
 * {@code map(create = false)}, one call per run the mapper answers; holes and blocks past EOF are
 * zeroed and made uptodate without I/O; mapped ones are read with one single-block bio each and
 * marked {@link BufferState#IN_FLIGHT} until {@link ReadCompletion} applies the result. The bios
 * leave together once every wanted block is mapped, so a {@code NeedsMetadata} midway hands out
 * none of this page's bios yet.
 *
 * <p>Keeps a mutable cursor: single-threaded, owned by the actor that owns the page cache.
 */
final class BufferReader {
    private final PageCache cache;
    private final BlockMapper mapper;
    private final long index;
    private final BitSet wanted;
    private final boolean wholePage;
    private final int blockSize;
    private final int blocksPerPage;

    private int next;
    private boolean issued;
    private Errno error;
    private long runStart;
    private long runEnd;
    private long runPhysical;
    private boolean runBoundary;
    private boolean runUptodate;

    private BufferReader(PageCache cache, BlockMapper mapper, long index, BitSet wanted, boolean wholePage) {
        this.cache = cache;
        this.mapper = mapper;
        this.index = index;
        this.wanted = wanted;
        this.wholePage = wholePage;
        this.blockSize = cache.blockSize();
        this.blocksPerPage = cache.blocksPerPage();
    }

    /**
     * B6: reads every block of page {@code index} that is not uptodate. The page ends in error at
     * once if a block cannot be mapped, and is uptodate at once if no block needs I/O; otherwise
     * {@link ReadCompletion} settles it when its last block completes.
     */
    static BufferReader wholePage(PageCache cache, BlockMapper mapper, long index) {
        BitSet all = new BitSet(cache.blocksPerPage());
        all.set(0, cache.blocksPerPage());
        return new BufferReader(cache, mapper, index, all, true);
    }

    /** S6: reads the {@code wanted} blocks of page {@code index}; the page's own state is left alone. */
    static BufferReader blocks(PageCache cache, BlockMapper mapper, long index, BitSet wanted) {
        return new BufferReader(cache, mapper, index, (BitSet) wanted.clone(), false);
    }

    /** The first block past EOF: blocks at or beyond it are never mapped for reading (R5, B6). */
    static long eofBlock(PageCache cache) {
        return (cache.size() + cache.blockSize() - 1) / cache.blockSize();
    }

    /**
     * Maps what is left and, once everything is mapped, hands out the reads.
     *
     * @return {@link ReadStep.ReadMetadata} with no bios, or {@link ReadStep.Done} with this page's
     *     single-block reads (empty on every call after the one that issued them)
     */
    ReadStep step() {
        if (issued) {
            return new ReadStep.Done(List.of());
        }
        long[] buffers = cache.buffers(index);
        if (buffers == null) {
            buffers = cache.createBuffers(index, 0);
        }
        ByteBuffer data = cache.data(index);
        long firstBlock = index * blocksPerPage;
        long eof = eofBlock(cache);
        for (; next < blocksPerPage; next++) {
            int i = next;
            long state = buffers[i];
            if (!wanted.get(i) || BufferState.has(state, BufferState.UPTODATE)
                    || BufferState.has(state, BufferState.MAPPED)) {
                continue;
            }
            long block = firstBlock + i;
            if (block >= eof) {
                zeroBlock(data, i);
                buffers[i] = state | BufferState.UPTODATE;
                continue;
            }
            if (block < runStart || block >= runEnd) {
                MapResult answer = mapper.map(cache.inode(), block, (int) Math.min(blocksPerPage - i, eof - block), false);
                if (answer instanceof MapResult.NeedsMetadata need) {
                    return new ReadStep.ReadMetadata(List.of(), need.block());
                }
                if (answer instanceof MapResult.Failed failed) {
                    if (error == null) {
                        error = failed.errno();
                    }
                    zeroBlock(data, i);
                    continue;
                }
                remember(block, answer);
            }
            if (runPhysical < 0) {
                zeroBlock(data, i);
                buffers[i] = state | BufferState.UPTODATE;
            } else {
                long bits = BufferState.MAPPED
                        | (runUptodate ? BufferState.UPTODATE : 0)
                        | (runBoundary && block == runEnd - 1 ? BufferState.BOUNDARY : 0);
                buffers[i] = BufferState.withBlock(state | bits, runPhysical + (block - runStart));
            }
        }
        issued = true;
        List<Bio> bios = issueReads(buffers, data);
        if (wholePage) {
            if (error != null) {
                cache.setFlag(index, PageFlags.ERROR, true);
            } else if (bios.isEmpty()) {
                cache.setFlag(index, PageFlags.UPTODATE, true);
            }
        }
        return new ReadStep.Done(bios);
    }

    /** {@code true} once the reads have been handed out. */
    boolean issued() {
        return issued;
    }

    /** The first mapping failure, or {@code null}. */
    Errno error() {
        return error;
    }

    /** {@code true} while a read of a wanted block is in flight. */
    boolean inFlight() {
        long[] buffers = cache.buffers(index);
        for (int i = wanted.nextSetBit(0); i >= 0; i = wanted.nextSetBit(i + 1)) {
            if (readInFlight(buffers[i])) {
                return true;
            }
        }
        return false;
    }

    /** {@code true} if every wanted block is uptodate. */
    boolean allUptodate() {
        long[] buffers = cache.buffers(index);
        for (int i = wanted.nextSetBit(0); i >= 0; i = wanted.nextSetBit(i + 1)) {
            if (!BufferState.has(buffers[i], BufferState.UPTODATE)) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code true} if a read of the block is in flight. {@link BufferState#IN_FLIGHT} also marks
     * block writes, but only uptodate blocks are written and only blocks that are not are read.
     */
    static boolean readInFlight(long state) {
        return (state & (BufferState.IN_FLIGHT | BufferState.UPTODATE)) == BufferState.IN_FLIGHT;
    }

    private void remember(long block, MapResult answer) {
        runStart = block;
        if (answer instanceof MapResult.Mapped run) {
            runEnd = block + run.count();
            runPhysical = run.physicalBlock();
            runBoundary = run.isBoundary();
            runUptodate = run.isUptodate();
        } else {
            runEnd = block + ((MapResult.Hole) answer).count();
            runPhysical = -1;
            runBoundary = false;
            runUptodate = false;
        }
    }

    private List<Bio> issueReads(long[] buffers, ByteBuffer data) {
        List<Bio> bios = new ArrayList<>();
        int slot = cache.slot(index);
        long sectorsPerBlock = blockSize / BlockDevice.SECTOR_SIZE;
        for (int i = wanted.nextSetBit(0); i >= 0; i = wanted.nextSetBit(i + 1)) {
            long state = buffers[i];
            if (BufferState.has(state, BufferState.MAPPED)
                    && (state & (BufferState.UPTODATE | BufferState.IN_FLIGHT)) == 0) {
                buffers[i] = state | BufferState.IN_FLIGHT;
                Segment segment = Segment.ofPage(data.slice(i * blockSize, blockSize), index, slot);
                bios.add(new Bio(BioOp.READ, BufferState.block(state) * sectorsPerBlock, List.of(segment),
                        Set.of(), cache.inode()));
            }
        }
        return bios;
    }

    private void zeroBlock(ByteBuffer data, int block) {
        PageCache.zero(data, block * blockSize, (block + 1) * blockSize);
    }
}
