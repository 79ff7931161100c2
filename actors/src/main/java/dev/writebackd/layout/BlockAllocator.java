package dev.writebackd.layout;

/**
 * The free-space bitmap of one device: which blocks are free, allocated, or freed but not yet
 * committed.
 *
 * <p>Block 0 holds the device header and is never handed out; a layout may reserve more blocks at
 * the start of the device ({@code reservedBlocks}). Allocation is next-fit from a goal: the first
 * free run at or after the goal (wrapping around once) that holds the whole request, else the
 * longest free run, so a partial run comes back only when no run is long enough.
 *
 * <p>Freed blocks are <em>pending</em> (U3, ordered mode): they stay unavailable until
 * {@link #commitFrees()} records that the free is committed, so a crash can never show a block
 * that another file already reuses. Blocks that were allocated but never made visible (unused
 * reservations, an allocation rolled back) go back at once through {@link #release}.
 *
 * <p>Two bitmaps of {@code long} words: one bit per block for "in use" (allocated or pending) and
 * one for "pending free". Not thread-safe: owned, like the mapper that uses it, by one owner.
 */
public final class BlockAllocator {

    /** A run of physical blocks {@code [start, start + count)}. */
    public record Run(long start, long count) {
        /** Validates the run. */
        public Run {
            if (start < 0 || count <= 0) {
                throw new IllegalArgumentException("bad run " + start + "+" + count);
            }
        }

        /** The first block after the run. */
        public long end() {
            return start + count;
        }
    }

    /** Told of every {@link #free}; who freed the blocks is the listener's to know (per-file commits). */
    @FunctionalInterface
    public interface FreeListener {
        /** Blocks {@code [start, start + count)} became pending free. */
        void freed(long start, long count);
    }

    private final long totalBlocks;
    private final long reservedBlocks;
    private final long[] used;
    private final long[] pending;
    // Mutable allocation state: single-threaded, owned by the device's mapper owner.
    private long usedCount;
    private long pendingCount;
    private long rover;
    private FreeListener freeListener;

    /** An allocator for a device of {@code totalBlocks} blocks; block 0 is reserved. */
    public BlockAllocator(long totalBlocks) {
        this(totalBlocks, 1);
    }

    /**
     * An allocator for a device of {@code totalBlocks} blocks whose first {@code reservedBlocks}
     * blocks (at least block 0, the device header) are never handed out.
     */
    public BlockAllocator(long totalBlocks, long reservedBlocks) {
        if (reservedBlocks < 1 || totalBlocks <= reservedBlocks) {
            throw new IllegalArgumentException("device of " + totalBlocks + " blocks with "
                    + reservedBlocks + " reserved has no room");
        }
        if (totalBlocks > (long) Integer.MAX_VALUE * Long.SIZE) {
            throw new IllegalArgumentException("device of " + totalBlocks + " blocks is too large");
        }
        this.totalBlocks = totalBlocks;
        this.reservedBlocks = reservedBlocks;
        int words = (int) ((totalBlocks + Long.SIZE - 1) / Long.SIZE);
        this.used = new long[words];
        this.pending = new long[words];
        setRange(used, 0, reservedBlocks);
        // Bits past the device end are "in use" so that scans never hand them out.
        setRange(used, totalBlocks, (long) words * Long.SIZE - totalBlocks);
        this.usedCount = reservedBlocks;
        this.rover = reservedBlocks;
    }

    /** The device size in blocks. */
    public long totalBlocks() {
        return totalBlocks;
    }

    /** Blocks at the start of the device that are never handed out (block 0 and the layout's). */
    public long reservedBlocks() {
        return reservedBlocks;
    }

    /** Blocks that {@link #allocate} can hand out now (pending frees excluded). */
    public long freeBlocks() {
        return totalBlocks - usedCount;
    }

    /** Blocks freed but not yet committed. */
    public long pendingFreeBlocks() {
        return pendingCount;
    }

    /** Whether block {@code block} belongs to someone: allocated and not pending free. */
    public boolean isAllocated(long block) {
        checkBlock(block);
        return test(used, block) && !test(pending, block);
    }

    /** Whether block {@code block} was freed and awaits {@link #commitFrees()}. */
    public boolean isPendingFree(long block) {
        checkBlock(block);
        return test(pending, block);
    }

    /** Whether block {@code block} can be handed out now. */
    public boolean isFree(long block) {
        checkBlock(block);
        return !test(used, block);
    }

    /**
     * Allocates up to {@code count} contiguous blocks, next-fit from {@code goal}: the first free
     * run starting at or after {@code goal} (wrapping around once) that holds all {@code count};
     * if none does, the longest free run, cut to {@code count}. A goal outside the allocatable area
     * (for instance -1) means "continue after the previous allocation".
     *
     * @return the run (1 to {@code count} blocks), or {@code null} if no block is free
     */
    public Run allocate(long goal, long count) {
        if (count <= 0) {
            throw new IllegalArgumentException("allocate " + count + " blocks");
        }
        if (usedCount == totalBlocks) {
            return null;
        }
        long start = goal >= reservedBlocks && goal < totalBlocks ? goal : rover;
        Run found = firstFit(start, totalBlocks, count);
        if (found == null && start > reservedBlocks) {
            found = firstFit(reservedBlocks, start, count);
        }
        if (found == null) {
            found = longest(start, count);
        }
        setRange(used, found.start(), found.count());
        usedCount += found.count();
        rover = found.end() < totalBlocks ? found.end() : reservedBlocks;
        return found;
    }

    /**
     * Frees {@code [start, start + count)}: the blocks become pending and are allocatable only
     * after {@link #commitFrees()} (U3).
     *
     * @throws IllegalStateException if a block is not allocated (free, pending, or reserved)
     */
    public void free(long start, long count) {
        checkAllocated(start, count);
        setRange(pending, start, count);
        pendingCount += count;
        if (freeListener != null) {
            freeListener.freed(start, count);
        }
    }

    /** Tells {@code listener} (or nobody, when {@code null}) of every later {@link #free}. */
    public void setFreeListener(FreeListener listener) {
        this.freeListener = listener;
    }

    /**
     * Returns {@code [start, start + count)} at once, without a commit: for blocks that were
     * allocated but never made visible on the device or in a committed mapping (an unused
     * reservation, an allocation rolled back).
     *
     * @throws IllegalStateException if a block is not allocated (free, pending, or reserved)
     */
    public void release(long start, long count) {
        checkAllocated(start, count);
        clearRange(used, start, count);
        usedCount -= count;
    }

    /**
     * The pending frees are committed: every pending block becomes allocatable.
     *
     * @return the number of blocks that became free
     */
    public long commitFrees() {
        long committed = pendingCount;
        if (committed > 0) {
            for (int w = 0; w < pending.length; w++) {
                used[w] &= ~pending[w];
                pending[w] = 0;
            }
            usedCount -= committed;
            pendingCount = 0;
        }
        return committed;
    }

    /**
     * The free of {@code [start, start + count)} is committed: those pending blocks become
     * allocatable, while every other pending free stays pending. For committers that make one
     * file's frees durable at a time; {@link #commitFrees()} would also release frees of other
     * files whose commit has not happened yet.
     *
     * @throws IllegalStateException if a block of the run is not pending free (nothing changes)
     */
    public void commitFrees(long start, long count) {
        checkRange(start, count);
        for (long b = start; b < start + count; b++) {
            if (!test(pending, b)) {
                throw new IllegalStateException("block " + b + " is not pending free");
            }
        }
        clearRange(pending, start, count);
        clearRange(used, start, count);
        pendingCount -= count;
        usedCount -= count;
    }

    /**
     * Marks {@code [start, start + count)} allocated without searching: for rebuilding the bitmap
     * from persisted mappings at start-up.
     *
     * @throws IllegalStateException if a block is not free
     */
    public void markAllocated(long start, long count) {
        checkRange(start, count);
        for (long b = start; b < start + count; b++) {
            if (test(used, b)) {
                throw new IllegalStateException("block " + b + " is not free");
            }
        }
        setRange(used, start, count);
        usedCount += count;
    }

    private Run firstFit(long from, long to, long count) {
        long s = nextClear(from, to);
        while (s < to) {
            long e = nextSet(s, totalBlocks);
            if (e - s >= count) {
                return new Run(s, count);
            }
            s = nextClear(e, to);
        }
        return null;
    }

    private Run longest(long start, long count) {
        long bestStart = -1;
        long bestLength = 0;
        long s = nextClear(start, totalBlocks);
        boolean wrapped = false;
        while (true) {
            if (s >= totalBlocks || (wrapped && s >= start)) {
                if (wrapped) {
                    break;
                }
                wrapped = true;
                s = nextClear(reservedBlocks, start);
                continue;
            }
            long e = nextSet(s, totalBlocks);
            if (e - s > bestLength) {
                bestStart = s;
                bestLength = e - s;
            }
            s = nextClear(e, totalBlocks);
        }
        return new Run(bestStart, Math.min(bestLength, count));
    }

    /** The first clear bit of {@code used} in {@code [from, to)}, or {@code to}. */
    private long nextClear(long from, long to) {
        return nextBit(-1L, from, to);
    }

    /** The first set bit of {@code used} in {@code [from, to)}, or {@code to}. */
    private long nextSet(long from, long to) {
        return nextBit(0, from, to);
    }

    /** The first bit of {@code used ^ flip} that is set in {@code [from, to)}, or {@code to}. */
    private long nextBit(long flip, long from, long to) {
        if (from >= to) {
            return to;
        }
        int w = (int) (from >>> 6);
        long word = (used[w] ^ flip) & (-1L << (from & 63));
        while (true) {
            if (word != 0) {
                long b = ((long) w << 6) + Long.numberOfTrailingZeros(word);
                return Math.min(b, to);
            }
            w++;
            if ((long) w << 6 >= to) {
                return to;
            }
            word = used[w] ^ flip;
        }
    }

    private void checkAllocated(long start, long count) {
        checkRange(start, count);
        for (long b = start; b < start + count; b++) {
            if (!test(used, b) || test(pending, b)) {
                throw new IllegalStateException("block " + b + " is not allocated");
            }
        }
    }

    private void checkRange(long start, long count) {
        if (count <= 0 || start < reservedBlocks || start > totalBlocks - count) {
            throw new IllegalStateException("run " + start + "+" + count
                    + " is outside the allocatable blocks [" + reservedBlocks + ", " + totalBlocks + ")");
        }
    }

    private void checkBlock(long block) {
        if (block < 0 || block >= totalBlocks) {
            throw new IllegalArgumentException("block " + block + " is outside the device");
        }
    }

    private static boolean test(long[] bits, long b) {
        return (bits[(int) (b >>> 6)] & (1L << (b & 63))) != 0;
    }

    private static void setRange(long[] bits, long start, long count) {
        for (long b = start; b < start + count; b++) {
            bits[(int) (b >>> 6)] |= 1L << (b & 63);
        }
    }

    private static void clearRange(long[] bits, long start, long count) {
        for (long b = start; b < start + count; b++) {
            bits[(int) (b >>> 6)] &= ~(1L << (b & 63));
        }
    }
}
