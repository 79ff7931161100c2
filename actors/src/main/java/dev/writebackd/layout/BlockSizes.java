package dev.writebackd.layout;

import dev.writebackd.block.BlockDevice;

/** Block-size facts shared by the layouts. */
final class BlockSizes {
    /** DESIGN: the largest file, whatever the layout, is 8 TiB. */
    static final long MAX_FILE_BYTES = 1L << 43;

    private BlockSizes() {}

    /** {@code blockSize} if it is 512, 1024, 2048 or 4096; otherwise throws. */
    static int check(int blockSize) {
        if (blockSize < BlockDevice.SECTOR_SIZE || blockSize > 4096 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block size " + blockSize + " is not 512, 1024, 2048 or 4096");
        }
        return blockSize;
    }

    /** The 8 TiB limit in blocks of {@code blockSize} bytes. */
    static long maxFileBlocks(int blockSize) {
        return MAX_FILE_BYTES / blockSize;
    }

    /** Validates the common arguments of {@link BlockMapper#map}. */
    static void checkMapArgs(long logicalBlock, int maxBlocks) {
        if (logicalBlock < 0 || maxBlocks <= 0) {
            throw new IllegalArgumentException("map " + logicalBlock + "+" + maxBlocks);
        }
    }

    /** Validates the common arguments of {@link BlockMapper#reserve}. */
    static void checkRange(long firstBlock, long count) {
        if (firstBlock < 0 || count < 0) {
            throw new IllegalArgumentException("range " + firstBlock + "+" + count);
        }
    }
}
