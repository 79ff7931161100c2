package dev.writebackd.actors;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.DelegatingDevice;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.error.Errno;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A memory device of bounded write bandwidth, for throttling tests: the device performs one write
 * at a time, and each takes as long as its bytes need at {@code bytesPerSecond}, like a slow disk.
 * The waiting happens in {@link #submit}, which the engine calls only on its blocking-I/O
 * dispatcher.
 */
final class SlowDevice extends DelegatingDevice {
    private final long nanosPerKiB;
    private final Object busy = new Object();

    SlowDevice(MemoryDevice target, long bytesPerSecond) {
        super(target);
        this.nanosPerKiB = TimeUnit.SECONDS.toNanos(1024) / bytesPerSecond;
    }

    @Override
    public Errno submit(Bio bio) {
        if (bio.op() != BioOp.WRITE) {
            return target.submit(bio);
        }
        synchronized (busy) { // one write at a time: the bandwidth is the device's, not per request
            long until = System.nanoTime() + bio.lengthBytes() * nanosPerKiB / 1024;
            for (long left = until - System.nanoTime(); left > 0; left = until - System.nanoTime()) {
                LockSupport.parkNanos(left);
            }
            return target.submit(bio);
        }
    }
}
