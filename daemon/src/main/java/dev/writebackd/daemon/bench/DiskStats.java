package dev.writebackd.daemon.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Write requests completed by the block device that holds a directory, from
 * {@code /sys/class/block/DEV/stat}: machine-wide, so other processes' writes add noise.
 */
final class DiskStats {
    private final Path stat;

    private DiskStats(Path stat) {
        this.stat = stat;
    }

    /** The stats of the device holding {@code dir}, or {@code null} if they cannot be found. */
    static DiskStats forDir(Path dir) {
        try {
            String name = Files.getFileStore(dir).name();
            String dev = name.startsWith("/dev/") ? name.substring(5) : name;
            Path stat = Path.of("/sys/class/block", dev, "stat");
            return Files.isReadable(stat) ? new DiskStats(stat) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The device's name. */
    String device() {
        return stat.getParent().getFileName().toString();
    }

    /** Write requests completed and bytes written so far, or {@code null} if unreadable. */
    DeviceCounters read() {
        try {
            String[] f = Files.readString(stat).trim().split("\\s+");
            long writes = Long.parseLong(f[4]);
            long sectors = Long.parseLong(f[6]);
            long reads = Long.parseLong(f[0]);
            long flushes = f.length > 14 ? Long.parseLong(f[14]) : 0;
            return new DeviceCounters(writes, sectors * 512, flushes, reads, 0);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
