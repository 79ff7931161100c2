package dev.writebackd.page;

/**
 * Per-block buffer state (a buffer_head's flags and block number) packed into one {@code long}:
 * the low 48 bits hold the physical block number, the high bits the flags. Static helpers only,
 * so buffers cost 8 bytes per block.
 */
public final class BufferState {
    /** buffer_mapped: the block number is valid. */
    public static final long MAPPED = 1L << 63;
    /** buffer_dirty. */
    public static final long DIRTY = 1L << 62;
    /** buffer_uptodate. */
    public static final long UPTODATE = 1L << 61;
    /** buffer_new: just allocated by get_block. */
    public static final long NEW = 1L << 60;
    /** buffer_boundary: mapping the next block needs metadata I/O. */
    public static final long BOUNDARY = 1L << 59;
    /** buffer_write_io_error. */
    public static final long WRITE_ERROR = 1L << 58;
    /** buffer_async_write: a write of this block is in flight. */
    public static final long IN_FLIGHT = 1L << 57;

    private static final long BLOCK_MASK = (1L << 48) - 1;

    private BufferState() {}

    /** The physical block number (meaningful when {@link #MAPPED}). */
    public static long block(long state) {
        return state & BLOCK_MASK;
    }

    /** {@code state} with its block number replaced. */
    public static long withBlock(long state, long block) {
        if (block < 0 || block > BLOCK_MASK) {
            throw new IllegalArgumentException("block " + block + " out of range");
        }
        return (state & ~BLOCK_MASK) | block;
    }

    /** {@code true} if all of {@code bits} are set. */
    public static boolean has(long state, long bits) {
        return (state & bits) == bits;
    }
}
