package dev.writebackd.layout;

import dev.writebackd.error.Errno;

/**
 * get_block: maps a file's logical blocks to physical device blocks, allocating on demand.
 *
 * <p>One mapper serves a whole device (all its files, by inode number). Implementations are not
 * thread-safe unless they say so; the engine confines each to one owner.
 *
 * <p>Delayed allocation: before writing a chunk, the engine calls {@link #reserve} for the chunk's
 * blocks so their unmapped ones are placed in one contiguous run where free space allows; a later
 * {@code map(…, create = true)} then hands out reserved blocks and answers {@code isNew}. Without
 * a reservation, {@code create = true} allocates on demand.
 */
public interface BlockMapper {

    /**
     * Maps up to {@code maxBlocks} blocks of file {@code inode} starting at {@code logicalBlock}.
     *
     * @param create allocate unmapped blocks (writes); {@code false} answers holes (reads)
     */
    MapResult map(long inode, long logicalBlock, int maxBlocks, boolean create);

    /**
     * Reserves physical blocks for the unmapped blocks among {@code [firstBlock, firstBlock + count)}
     * of file {@code inode}, in as few runs as free space allows.
     *
     * @return {@code null} on success, or the error (ENOSPC, EFBIG) with nothing reserved
     */
    Errno reserve(long inode, long firstBlock, long count);

    /**
     * Frees every block of file {@code inode} at logical block {@code keepBlocks} and beyond, and
     * drops its unused reservations there (U3).
     *
     * @return the number of physical blocks freed
     */
    long truncate(long inode, long keepBlocks);

    /** The largest logical block count a file can have in this layout. */
    long maxFileBlocks();

    /**
     * The first metadata block that must be read into the metadata cache before this mapper can see
     * logical blocks {@code [firstBlock, firstBlock + count)} of file {@code inode} whole — which
     * {@link #truncate} requires (it throws {@link MetadataNeededException} otherwise) and
     * {@link #reserve} prefers (it leaves blocks it cannot see to on-demand allocation).
     *
     * @return the block to read, or -1 if nothing is missing (always, for layouts without
     *     on-device metadata)
     */
    default long metadataNeeded(long inode, long firstBlock, long count) {
        return -1;
    }
}
