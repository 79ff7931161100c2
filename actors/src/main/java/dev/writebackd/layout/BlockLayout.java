package dev.writebackd.layout;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A device's block layout: the {@link BlockMapper} plus what the rest of the engine needs around
 * it — the metadata buffers for alias cleaning and boundary writes, read-only views of the block
 * maps for persistence, file deletion, and the start-up consistency check.
 *
 * <p>Two layouts exist: {@code extent} (the default: in-memory extent maps, delayed allocation)
 * and {@code ext2} (12 direct pointers and on-device indirect map blocks, for fidelity with
 * BH_Boundary). Not thread-safe, like the mapper: one owner per device.
 */
public interface BlockLayout extends BlockMapper {

    /** The {@code extent} layout's name. */
    String EXTENT = "extent";

    /** The {@code ext2} layout's name. */
    String EXT2 = "ext2";

    /**
     * The layout called {@code name} ({@value #EXTENT} or {@value #EXT2}) over {@code allocator}
     * with blocks of {@code blockSize} bytes; {@code metadata} holds ext2's map blocks and is ignored
     * (may be {@code null}) for {@value #EXTENT}.
     *
     * @throws IllegalArgumentException for an unknown name, or ext2 without a metadata cache
     */
    static BlockLayout create(String name, BlockAllocator allocator, int blockSize, MetadataCache metadata) {
        requireNonNull(name, "name");
        requireNonNull(allocator, "allocator");
        switch (name) {
            case EXTENT:
                return new ExtentMapper(allocator, blockSize);
            case EXT2:
                return new Ext2Mapper(allocator, blockSize, requireNonNull(metadata, "metadata"));
            default:
                throw new IllegalArgumentException("unknown layout '" + name + "' (expected "
                        + EXTENT + " or " + EXT2 + ")");
        }
    }

    /** The layout's name: {@value #EXTENT} or {@value #EXT2}. */
    String name();

    /** The block size in bytes. */
    int blockSize();

    /** The allocator this layout allocates from. */
    BlockAllocator allocator();

    /** The metadata buffers the data path cleans (B8) and writes behind boundaries (B7). */
    MetadataBuffers metadataBuffers();

    /** The files (inode numbers) that map or reserve anything, in ascending order. */
    long[] inodes();

    /** File {@code inode}'s mapped data blocks, in logical order, adjacent runs merged. */
    List<Extent> extents(long inode);

    /** File {@code inode}'s reserved, not yet mapped data blocks, in logical order. */
    List<Extent> reservations(long inode);

    /**
     * Frees every block of file {@code inode} and forgets it: {@code truncate(inode, 0)}.
     *
     * @return the number of physical blocks freed (pending until {@link BlockAllocator#commitFrees()})
     * @throws MetadataNeededException as {@link #truncate} does: ext2, when one of the file's map
     *     blocks is not cached
     */
    default long deleteFile(long inode) {
        return truncate(inode, 0);
    }

    /**
     * Compares every file's mapped and reserved blocks with the allocator: blocks claimed twice,
     * claimed but free (or pending free), claimed outside the allocatable area, and allocated but
     * claimed by nobody (leaks; pending frees are not leaks).
     *
     * @return the problems found; empty when the layout is consistent
     */
    List<ConsistencyProblem> checkConsistency();
}
