package dev.writebackd.layout;

import dev.writebackd.block.DeviceLimits;

/** Argument checks shared by the layouts; the limits themselves are {@link DeviceLimits}'. */
final class BlockSizes {
    private BlockSizes() {}

    /** {@code blockSize} if it is 512, 1024, 2048 or 4096; otherwise throws. */
    static int check(int blockSize) {
        if (!DeviceLimits.isValidBlockSize(blockSize)) {
            throw new IllegalArgumentException("block size " + blockSize + " is not 512, 1024, 2048 or 4096");
        }
        return blockSize;
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
