package dev.writebackd.block.fault;

/**
 * The outcome of {@link VolatileCacheDevice#powerCut}.
 *
 * @param seed the seed the cut used (it decides which sectors a {@link PowerCutMode#RANDOM} cut
 *     keeps; a cut with the same unflushed sectors and seed keeps the same ones)
 * @param droppedSectors how many unflushed 512-byte sectors were lost
 */
public record PowerCutResult(long seed, long droppedSectors) {
    /** Validates the count. */
    public PowerCutResult {
        if (droppedSectors < 0) {
            throw new IllegalArgumentException("negative dropped sectors " + droppedSectors);
        }
    }
}
