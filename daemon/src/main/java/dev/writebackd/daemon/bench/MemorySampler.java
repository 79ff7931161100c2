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
 * host page cache ({@code Cached} in {@code /proc/meminfo}), and keeps the largest growth over the
 * value at {@link #start}. The host figure is machine-wide, so other processes' file I/O adds noise.
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
        long bytes = memory.getHeapMemoryUsage().getUsed();
        for (BufferPoolMXBean pool : pools) {
            if ("direct".equals(pool.getName())) {
                bytes += pool.getMemoryUsed();
            }
        }
        return bytes + hostCached();
    }

    private static long hostCached() {
        try {
            for (String line : Files.readAllLines(MEMINFO)) {
                if (line.startsWith("Cached:")) {
                    return Long.parseLong(line.substring(7).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
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
