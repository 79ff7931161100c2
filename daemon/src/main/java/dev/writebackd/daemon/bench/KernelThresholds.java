package dev.writebackd.daemon.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The kernel's dirty-page thresholds on this machine, in bytes: {@code vm.dirty_background_ratio}
 * and {@code vm.dirty_ratio} percent of {@code MemAvailable} (or the {@code *_bytes} sysctls where
 * set), and its periodic writeback timing, read from {@code /proc} at run time.
 *
 * @param backgroundRatio vm.dirty_background_ratio
 * @param dirtyRatio vm.dirty_ratio
 * @param memAvailableBytes MemAvailable from /proc/meminfo
 * @param backgroundBytes the background threshold in bytes
 * @param dirtyBytes the hard threshold in bytes
 * @param expire vm.dirty_expire_centisecs
 * @param interval vm.dirty_writeback_centisecs
 */
public record KernelThresholds(int backgroundRatio, int dirtyRatio, long memAvailableBytes, long backgroundBytes,
        long dirtyBytes, Duration expire, Duration interval) {

    /** Reads them from {@code /proc}. */
    public static KernelThresholds read() throws IOException {
        return read(Path.of("/proc"));
    }

    /** Reads them from a {@code /proc}-shaped tree under {@code proc}. */
    public static KernelThresholds read(Path proc) throws IOException {
        Path vm = proc.resolve("sys/vm");
        int background = Integer.parseInt(text(vm.resolve("dirty_background_ratio")));
        int dirty = Integer.parseInt(text(vm.resolve("dirty_ratio")));
        long backgroundSet = readLong(vm.resolve("dirty_background_bytes"), 0);
        long dirtySet = readLong(vm.resolve("dirty_bytes"), 0);
        long expire = readLong(vm.resolve("dirty_expire_centisecs"), 3000);
        long interval = readLong(vm.resolve("dirty_writeback_centisecs"), 500);
        long available = memAvailable(text(proc.resolve("meminfo")));
        return new KernelThresholds(background, dirty, available,
                backgroundSet > 0 ? backgroundSet : available * background / 100,
                dirtySet > 0 ? dirtySet : available * dirty / 100,
                Duration.ofMillis(expire * 10), Duration.ofMillis(interval * 10));
    }

    /**
     * MemAvailable in bytes from the text of {@code /proc/meminfo}.
     *
     * @throws IOException if it is not there
     */
    static long memAvailable(String meminfo) throws IOException {
        for (String line : meminfo.split("\n")) {
            if (line.startsWith("MemAvailable:")) {
                String[] parts = line.substring("MemAvailable:".length()).trim().split("\\s+");
                return Long.parseLong(parts[0]) * 1024;
            }
        }
        throw new IOException("no MemAvailable line in /proc/meminfo");
    }

    /**
     * A file's text, trimmed. Not {@code Files.readString}: on procfs, whose files report size 0,
     * it returned only the first byte here ("1" for "10").
     */
    private static String text(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
        }
    }

    private static long readLong(Path file, long otherwise) throws IOException {
        return Files.exists(file) ? Long.parseLong(text(file)) : otherwise;
    }

    /** One line for the report. */
    public String describe() {
        return String.format("kernel thresholds: dirty_background_ratio %d%%, dirty_ratio %d%% of MemAvailable %s"
                + " = %s background, %s hard; expire %d s, writeback every %.1f s", backgroundRatio, dirtyRatio,
                Units.bytes(memAvailableBytes), Units.bytes(backgroundBytes), Units.bytes(dirtyBytes),
                expire.toSeconds(), interval.toMillis() / 1000.0);
    }
}
