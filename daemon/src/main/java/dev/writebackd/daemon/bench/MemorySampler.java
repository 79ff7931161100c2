package dev.writebackd.daemon.bench;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Samples memory every 20 ms on a daemon thread: JVM heap in use + direct buffers in use + the
 * host's dirty and under-writeback page cache ({@code Dirty + Writeback} in {@code /proc/meminfo},
 * which holds the kernel path's unsynced data), and keeps the largest growth over the value at
 * {@link #start}. The host figure is machine-wide, so other processes' writes add noise; the whole
 * page cache ({@code Cached}) is not used, as other processes' file churn swamps it.
 */
final class MemorySampler implements AutoCloseable {
    private static final Path MEMINFO = Path.of("/proc/meminfo");
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final List<BufferPoolMXBean> pools = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class);
    private final Thread thread;
    private final long baseline;
    private volatile boolean running = true;
    private volatile long peak;

    private MemorySampler() {
        this.baseline = sample();
        this.thread = new Thread(this::loop, "bench-memory-sampler");
        this.thread.setDaemon(true);
    }

    /**
     * Collects garbage and waits (up to 3 s) until the direct memory in use stops falling: buffers
     * of a system just closed (writebackd's pool slabs) are freed by their cleaners after a GC,
     * and counting them in the baseline would hide the next system's growth.
     */
    static void settle() {
        long previous = Long.MAX_VALUE;
        for (int i = 0; i < 30; i++) {
            System.gc();
            long direct = direct(ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class));
            if (direct >= previous) {
                return;
            }
            previous = direct;
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static long direct(List<BufferPoolMXBean> pools) {
        long bytes = 0;
        for (BufferPoolMXBean pool : pools) {
            if ("direct".equals(pool.getName())) {
                bytes += pool.getMemoryUsed();
            }
        }
        return bytes;
    }

    /** Starts sampling now. */
    static MemorySampler start() {
        MemorySampler sampler = new MemorySampler();
        sampler.thread.start();
        return sampler;
    }

    private void loop() {
        while (running) {
            peak = Math.max(peak, sample() - baseline);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private long sample() {
        return memory.getHeapMemoryUsage().getUsed() + direct(pools) + hostDirty();
    }

    private static long hostDirty() {
        long kib = 0;
        try {
            for (String line : Files.readAllLines(MEMINFO)) {
                if (line.startsWith("Dirty:") || line.startsWith("Writeback:")) {
                    kib += Long.parseLong(line.substring(line.indexOf(':') + 1).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return kib * 1024;
    }

    /** Stops sampling; the peak growth in bytes. */
    long stop() {
        peak = Math.max(peak, sample() - baseline);
        running = false;
        thread.interrupt();
        return Math.max(0, peak);
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
