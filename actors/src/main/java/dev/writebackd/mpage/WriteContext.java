package dev.writebackd.mpage;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockMapper;
import dev.writebackd.layout.MapResult;
import dev.writebackd.layout.MetadataBuffers;
import dev.writebackd.page.PageCache;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What the page writer and the per-block path share: the file being written, the helpers both
 * paths need (EOF zeroing, get_block with alias cleaning, segments and bios), and what they produced
 * for the caller — bios to submit, in order, and errors recorded for the mapping.
 *
 * <p>Single-threaded: owned by one writer, which is owned by one actor.
 */
final class WriteContext {
    final PageCache cache;
    final BlockMapper mapper;
    final MetadataBuffers metadata;
    final boolean syncAll;
    final Set<BioFlag> flags;
    final int pageSize;
    final int blockSize;
    final int blocksPerPage;
    private final int sectorsPerBlock;
    private final List<SubmittedBio> submitted = new ArrayList<>();
    private long submittedBytes;
    private final List<Errno> errors = new ArrayList<>();

    /**
     * One block mapped for a write. {@code physical} is 0 when nothing was mapped; {@code need} may
     * come with a mapped block (an alias write in flight, B8); {@code error} comes alone.
     */
    record Mapping(long physical, boolean boundary, WriteNeed need, Errno error) {}

    WriteContext(PageCache cache, BlockMapper mapper, MetadataBuffers metadata, SyncMode mode, boolean background) {
        this.cache = cache;
        this.mapper = mapper;
        this.metadata = metadata;
        this.syncAll = mode == SyncMode.ALL;
        // wbc_to_write_flags: integrity writeback is SYNC, background and periodic are BACKGROUND.
        this.flags = syncAll ? Set.of(BioFlag.SYNC) : background ? Set.of(BioFlag.BACKGROUND) : Set.of();
        this.pageSize = cache.pageSize();
        this.blockSize = cache.blockSize();
        this.blocksPerPage = cache.blocksPerPage();
        this.sectorsPerBlock = blockSize / BlockDevice.SECTOR_SIZE;
    }

    /** Logical blocks holding at least one byte below i_size. */
    long blocksInsideEof() {
        return (cache.size() + blockSize - 1) / blockSize;
    }

    /** W3, B1: the page holds no byte below i_size (a truncate is under way): it is never written. */
    boolean whollyPastEof(long index) {
        return index * pageSize >= cache.size();
    }

    /** W4, B1: a page straddling EOF is zeroed from i_size to its end, on every writeback. */
    void zeroPastEof(long index) {
        long pos = index * pageSize;
        long size = cache.size();
        if (pos < size && pos + pageSize > size) {
            PageCache.zero(cache.data(index), (int) (size - pos), pageSize);
        }
    }

    /** get_block(create = true) for one block, cleaning aliases of a new one (W2, B2, B8). */
    Mapping mapForWrite(long logicalBlock) {
        MapResult answer = mapper.map(cache.inode(), logicalBlock, 1, true);
        if (answer instanceof MapResult.NeedsMetadata n) {
            return new Mapping(0, false, new WriteNeed.ReadMetadata(n.block()), null);
        }
        if (answer instanceof MapResult.Failed f) {
            return new Mapping(0, false, null, f.errno());
        }
        if (!(answer instanceof MapResult.Mapped m)) {
            // A hole although allocation was asked for: the block cannot be written.
            return new Mapping(0, false, null, Errno.EIO);
        }
        WriteNeed aliasWait = m.isNew() && metadata.cleanAlias(m.physicalBlock())
                ? new WriteNeed.WaitForMetadataWrite(m.physicalBlock()) : null;
        return new Mapping(m.physicalBlock(), m.isBoundary(), aliasWait, null);
    }

    /** A segment of {@code length} bytes at {@code offset} of page {@code index}'s buffer {@code slot}. */
    Segment segment(long index, int slot, int offset, int length) {
        return Segment.ofPage(cache.pool().buffer(slot).slice(offset, length), index, slot);
    }

    /** W6: a write bio starting at {@code firstBlock}, flagged from the request. */
    Bio writeBio(long firstBlock, List<Segment> segments) {
        return new Bio(BioOp.WRITE, firstBlock * sectorsPerBlock, segments, flags, cache.inode());
    }

    void submit(SubmittedBio bio) {
        submitted.add(bio);
        submittedBytes += bio.bio().lengthBytes();
    }

    /** C7, E2: an error for the mapping, reported to the caller with the bios. */
    void recordError(Errno errno) {
        errors.add(errno);
    }

    List<SubmittedBio> drainBios() {
        List<SubmittedBio> out = List.copyOf(submitted);
        submitted.clear();
        submittedBytes = 0;
        return out;
    }

    /** Bios closed and not yet drained. */
    int closedBios() {
        return submitted.size();
    }

    /** The bytes of the bios closed and not yet drained. */
    long closedBytes() {
        return submittedBytes;
    }

    List<Errno> drainErrors() {
        List<Errno> out = List.copyOf(errors);
        errors.clear();
        return out;
    }
}
