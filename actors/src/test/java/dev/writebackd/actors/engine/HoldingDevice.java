package dev.writebackd.actors.engine;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.DelegatingDevice;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.error.Errno;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test device in front of a {@link MemoryDevice} that can hold writes, and on request reads,
 * inside {@code submit} until the test lets them go, so writeback or reads stay in flight as long
 * as a test needs. Flushes always pass. Thread-safe.
 */
public final class HoldingDevice extends DelegatingDevice {
    private final Semaphore gate = new Semaphore(0);
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger readsWaiting = new AtomicInteger();
    private volatile boolean holding;
    private volatile boolean holdingReads;

    /** A device in front of {@code target}, letting everything through until {@link #hold()}. */
    public HoldingDevice(MemoryDevice target) {
        super(target);
    }

    /** The device below. */
    public MemoryDevice memory() {
        return target;
    }

    /** From now on, writes wait inside the device. */
    public void hold() {
        holding = true;
    }

    /** From now on, reads wait inside the device. */
    public void holdReads() {
        holdingReads = true;
    }

    /** Lets every waiting write and read go, and later ones pass. */
    public void release() {
        holding = false;
        holdingReads = false;
        gate.release(1 << 20);
    }

    /** Writes waiting inside the device now. */
    public int waiting() {
        return waiting.get();
    }

    /** Reads waiting inside the device now. */
    public int readsWaiting() {
        return readsWaiting.get();
    }

    @Override
    public Errno submit(Bio bio) {
        if (holding && bio.op() == BioOp.WRITE) {
            return held(bio, waiting);
        }
        if (holdingReads && bio.op() == BioOp.READ) {
            return held(bio, readsWaiting);
        }
        return target.submit(bio);
    }

    private Errno held(Bio bio, AtomicInteger counter) {
        counter.incrementAndGet();
        try {
            gate.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Errno.EIO;
        } finally {
            counter.decrementAndGet();
        }
        return target.submit(bio);
    }

    @Override
    public void close() {
        release();
        super.close();
    }
}
