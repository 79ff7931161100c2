package dev.writebackd.block;

import static java.util.Objects.requireNonNull;

/**
 * A block device layered over another, such as a fault or cache layer: it has the geometry of the
 * device below and decides itself what {@link #submit} and {@link #close} do with it.
 */
public abstract class StackedDevice implements BlockDevice {
    /** The device this one passes its bios on to. */
    protected final BlockDevice below;

    /** A layer over {@code below}. */
    protected StackedDevice(BlockDevice below) {
        this.below = requireNonNull(below, "below");
    }

    @Override
    public final int blockSize() {
        return below.blockSize();
    }

    @Override
    public final long sizeBytes() {
        return below.sizeBytes();
    }
}
