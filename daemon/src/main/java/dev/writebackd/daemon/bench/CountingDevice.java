package dev.writebackd.daemon.bench;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.StackedDevice;
import dev.writebackd.error.Errno;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;

/**
 * A block device that counts the bios the engine submits to the device it wraps, and the time spent
 * performing them. Thread-safe.
 */
public final class CountingDevice extends StackedDevice {
    private final LongAdder writeBios = new LongAdder();
    private final LongAdder writeBytes = new LongAdder();
    private final LongAdder flushes = new LongAdder();
    private final LongAdder readBios = new LongAdder();
    private final LongAdder busyNanos = new LongAdder();
    /** Per-request timings, kept only with {@code -Dwritebackd.bench.trace=true} (a profiling aid). */
    private final ConcurrentLinkedQueue<String> trace =
            Boolean.getBoolean("writebackd.bench.trace") ? new ConcurrentLinkedQueue<>() : null;

    /** Wraps {@code device}. */
    public CountingDevice(BlockDevice device) {
        super(device);
    }

    @Override
    public Errno submit(Bio bio) {
        if (bio.op() == BioOp.FLUSH) {
            flushes.increment();
        } else if (bio.op() == BioOp.WRITE) {
            writeBios.increment();
            writeBytes.add(bio.lengthBytes());
        } else {
            readBios.increment();
        }
        long start = System.nanoTime();
        try {
            return below.submit(bio);
        } finally {
            long end = System.nanoTime();
            busyNanos.add(end - start);
            if (trace != null) {
                trace.add(bio.op() + " " + start + " " + end + " " + bio.startSector() + " " + bio.lengthBytes()
                        + " " + bio.segments().size() + " " + Thread.currentThread().getName());
            }
        }
    }

    /** Notes an event of the workload in the trace, if tracing. */
    public void mark(String event) {
        if (trace != null) {
            trace.add("MARK " + System.nanoTime() + " " + event);
        }
    }

    /** The counts so far. */
    public DeviceCounters counters() {
        return new DeviceCounters(writeBios.sum(), writeBytes.sum(), flushes.sum(), readBios.sum(), busyNanos.sum());
    }

    @Override
    public void close() {
        if (trace != null) {
            trace.forEach(line -> System.err.println("TRACE " + line));
            trace.clear();
        }
        below.close();
    }
}
