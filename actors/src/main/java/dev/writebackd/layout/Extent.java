package dev.writebackd.layout;

/**
 * Logical blocks {@code [logical, logical + count)} of a file live at physical blocks
 * {@code [physical, physical + count)}: one entry of a block map, or of a reservation.
 *
 * @param logical first logical block of the file
 * @param physical first physical block of the device
 * @param count blocks in the run (≥ 1)
 */
public record Extent(long logical, long physical, long count) {
    /** Validates the run. */
    public Extent {
        if (logical < 0 || physical <= 0 || count <= 0) {
            throw new IllegalArgumentException("bad extent " + logical + "->" + physical + "+" + count);
        }
    }

    /** The first logical block after the run. */
    public long logicalEnd() {
        return logical + count;
    }

    /** The first physical block after the run. */
    public long physicalEnd() {
        return physical + count;
    }

    /** Whether logical block {@code block} lies in the run. */
    public boolean covers(long block) {
        return block >= logical && block < logical + count;
    }

    /** The physical block of logical block {@code block}, which must lie in the run. */
    public long physicalOf(long block) {
        return physical + (block - logical);
    }
}
