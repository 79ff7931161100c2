package dev.writebackd.actors;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.StackedDevice;
import dev.writebackd.error.Errno;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The engine's view of its device, which {@link Engine#halt()} can shut: once {@link #shut()} is
 * called no further bio reaches the device (each fails with ESHUTDOWN), and {@link #awaitIdle}
 * waits for the bios already inside the device to return — so after a halt nothing of the halted
 * engine's reaches the device, as after a power cut.
 *
 * <p>Thread-safe: {@link #submit} is called by several I/O threads at once.
 */
final class HaltFence extends StackedDevice {
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Object idle = new Object();
    private volatile boolean shut;

    HaltFence(BlockDevice device) {
        super(device);
    }

    @Override
    public Errno submit(Bio bio) {
        inFlight.incrementAndGet(); // before the check: shut() then waits for this bio
        try {
            return shut ? Errno.ESHUTDOWN : below.submit(bio);
        } finally {
            if (inFlight.decrementAndGet() == 0) {
                synchronized (idle) {
                    idle.notifyAll();
                }
            }
        }
    }

    /** From now on bios fail with ESHUTDOWN without reaching the below. */
    void shut() {
        shut = true;
    }

    /**
     * Waits up to {@code timeout} for the bios inside the device to return.
     *
     * @return whether none is left inside
     */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (inFlight.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                idle.wait(Math.max(1, left / 1_000_000));
            }
        }
        return true;
    }

    /** How many bios are inside the device now. */
    int inFlight() {
        return inFlight.get();
    }

    /** Closes the device below. */
    @Override
    public void close() {
        below.close();
    }
}
