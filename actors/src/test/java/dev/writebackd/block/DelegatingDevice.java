package dev.writebackd.block;

import dev.writebackd.error.Errno;

/**
 * The base of the test devices in front of a {@link MemoryDevice}: geometry, requests and
 * {@code close} go to the memory device below; subclasses change {@link #submit} (holding,
 * gating or slowing requests) and add what they record.
 */
public abstract class DelegatingDevice implements BlockDevice {
    /** The device below. */
    protected final MemoryDevice target;

    /** A device in front of {@code target}. */
    protected DelegatingDevice(MemoryDevice target) {
        this.target = target;
    }

    @Override
    public int blockSize() {
        return target.blockSize();
    }

    @Override
    public long sizeBytes() {
        return target.sizeBytes();
    }

    /** Performs {@code bio} on the device below. */
    @Override
    public Errno submit(Bio bio) {
        return target.submit(bio);
    }

    @Override
    public void close() {
        target.close();
    }
}
