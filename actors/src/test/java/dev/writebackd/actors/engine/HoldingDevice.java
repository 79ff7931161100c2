package dev.writebackd.actors.engine;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.error.Errno;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test device in front of a {@link MemoryDevice} that can hold writes inside {@code submit}
 * until the test lets them go, so writeback stays in flight as long as a test needs. Reads and
 * flushes always pass. Thread-safe.
 */
public final class HoldingDevice implements BlockDevice {
    private final MemoryDevice target;
    private final Semaphore gate = new Semaphore(0);
    private final AtomicInteger waiting = new AtomicInteger();
    private volatile boolean holding;

    /** A device in front of {@code target}, letting everything through until {@link #hold()}. */
    public HoldingDevice(MemoryDevice target) {
        this.target = target;
    }

    /** The device below. */
    public MemoryDevice memory() {
        return target;
    }

    /** From now on, writes wait inside the device. */
    public void hold() {
        holding = true;
    }

    /** Lets every waiting write go, and later ones pass. */
    public void release() {
        holding = false;
        gate.release(1 << 20);
    }

    /** Writes waiting inside the device now. */
    public int waiting() {
        return waiting.get();
    }

    @Override
    public int blockSize() {
        return target.blockSize();
    }

    @Override
    public long sizeBytes() {
        return target.sizeBytes();
    }

    @Override
    public Errno submit(Bio bio) {
        if (holding && bio.op() == BioOp.WRITE) {
            waiting.incrementAndGet();
            try {
                gate.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Errno.EIO;
            } finally {
                waiting.decrementAndGet();
            }
        }
        return target.submit(bio);
    }

    @Override
    public void close() {
        release();
        target.close();
    }
}
