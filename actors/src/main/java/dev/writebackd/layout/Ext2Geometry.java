package dev.writebackd.layout;

import dev.writebackd.block.DeviceLimits;

/**
 * Where the {@code ext2} layout finds a file block's pointer (X1): 12 direct pointers in the
 * inode, then a single-, a double- and a triple-indirect tree of map blocks of
 * {@code p = blockSize / 4} little-endian 32-bit pointers each — {@code ext2_block_to_path}.
 *
 * <p>A block's <em>path</em> has a depth of 1 (direct) to 4 (triple indirect) and one slot offset
 * per level: the inode's slot first (0–11 direct, 12 single, 13 double, 14 triple), then one per
 * map block down to the leaf map block that holds the data pointer. Immutable.
 */
public final class Ext2Geometry {
    /** Direct pointers in the inode. */
    public static final int DIRECT_BLOCKS = 12;

    /** Pointer slots in the inode: 12 direct and the roots of the three indirect trees. */
    static final int INODE_SLOTS = DIRECT_BLOCKS + 3;

    /** One block's path: depth 1–4, and its slot offset at each level (level 0 is the inode). */
    record Path(long logical, int depth, int[] offsets) {
        int offset(int level) {
            return offsets[level];
        }

        int leafSlot() {
            return offsets[depth - 1];
        }
    }

    private final int blockSize;
    private final int p;
    private final long[] depthStart;

    /** The geometry for blocks of {@code blockSize} bytes (512, 1024, 2048 or 4096). */
    public Ext2Geometry(int blockSize) {
        this.blockSize = BlockSizes.check(blockSize);
        this.p = blockSize / Integer.BYTES;
        long pp = (long) p * p;
        this.depthStart = new long[] {0, 0, DIRECT_BLOCKS, DIRECT_BLOCKS + p, DIRECT_BLOCKS + p + pp,
            DIRECT_BLOCKS + p + pp + pp * p};
    }

    /** The block size in bytes. */
    public int blockSize() {
        return blockSize;
    }

    /** Pointers per map block: {@code blockSize / 4}. */
    public int pointersPerBlock() {
        return p;
    }

    /** Blocks the pointers can address: {@code 12 + p + p² + p³}. */
    public long addressableBlocks() {
        return depthStart[5];
    }

    /** The largest file in blocks: the addressable blocks, capped at 8 TiB. */
    public long maxFileBlocks() {
        return Math.min(addressableBlocks(), DeviceLimits.maxFileBlocks(blockSize));
    }

    /**
     * The first file block mapped through the indirect tree of height {@code height}: 1 single
     * (12), 2 double ({@code 12 + p}), 3 triple ({@code 12 + p + p²}).
     */
    public long indirectStart(int height) {
        if (height < 1 || height > 3) {
            throw new IllegalArgumentException("indirect height " + height);
        }
        return depthStart[height + 1];
    }

    /** The depth of file block {@code block}'s path: 1 direct, 2 single, 3 double, 4 triple. */
    public int depth(long block) {
        if (block < 0 || block >= addressableBlocks()) {
            throw new IllegalArgumentException("file block " + block + " is not addressable");
        }
        int d = 1;
        while (block >= depthStart[d + 1]) {
            d++;
        }
        return d;
    }

    /** The slot offsets of file block {@code block}'s path, inode slot first. */
    public int[] offsets(long block) {
        return path(block).offsets().clone();
    }

    /**
     * How many slots follow {@code block}'s slot in its leaf map block (the direct slots for
     * blocks 0–11): 0 when it sits in the last slot, where get_block sets boundary (X2).
     */
    public int blocksToBoundary(long block) {
        Path path = path(block);
        return slotsInLeaf(path) - 1 - path.leafSlot();
    }

    /** Whether file block {@code block} sits in the last slot of its map block (X2). */
    public boolean isLastSlot(long block) {
        return blocksToBoundary(block) == 0;
    }

    Path path(long block) {
        int d = depth(block);
        int[] offsets = new int[d];
        long rel = block - depthStart[d];
        if (d == 1) {
            offsets[0] = (int) rel;
        } else {
            offsets[0] = DIRECT_BLOCKS + d - 2;
            for (int level = d - 1; level >= 1; level--) {
                offsets[level] = (int) (rel % p);
                rel /= p;
            }
        }
        return new Path(block, d, offsets);
    }

    /** Slots in the leaf container of {@code path}: 12 for direct blocks, else p. */
    int slotsInLeaf(Path path) {
        return path.depth() == 1 ? DIRECT_BLOCKS : p;
    }

    /** p to the power {@code e} (e ≤ 3). */
    long span(int e) {
        long s = 1;
        for (int i = 0; i < e; i++) {
            s *= p;
        }
        return s;
    }

    /**
     * The first file block covered by level {@code level} of {@code path}: the map block at that
     * level (1 … depth − 1), or the data block itself (level = depth).
     */
    long firstCovered(Path path, int level) {
        long base = depthStart[path.depth()];
        long span = span(path.depth() - level);
        return base + (path.logical() - base) / span * span;
    }

    /** A map block's identity within its file: the first block it covers and its height. */
    long key(Path path, int level) {
        return mapKey(firstCovered(path, level), path.depth() - level);
    }

    static long mapKey(long firstCovered, int height) {
        return firstCovered << 2 | height;
    }

    static long firstCoveredOfKey(long key) {
        return key >>> 2;
    }
}
