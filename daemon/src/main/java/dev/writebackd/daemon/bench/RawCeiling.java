package dev.writebackd.daemon.bench;

import static java.util.Objects.requireNonNull;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The device's ceiling on this file system: sequential 1 MiB O_DIRECT positional writes of the
 * workload's total size, then one {@code force(true)}. The file is written the way writebackd's
 * device is prepared ({@link WritebackdTarget#PREALLOCATE}): filled with zeros and forced before
 * the timed writes, so that both overwrite blocks that already exist; with
 * {@code -Dwritebackd.bench.sparse-device=true} both start from a fresh sparse file.
 */
public final class RawCeiling {
    /** Bytes per write. */
    public static final int CHUNK = 1 << 20;

    private final Path file;

    /** Writes {@code raw-direct.dat} in {@code dir}. */
    public RawCeiling(Path dir) {
        this.file = requireNonNull(dir, "dir").resolve("raw-direct.dat");
    }

    /**
     * Writes {@code bytes} (rounded up to whole MiB) and measures.
     *
     * @param progress advanced by 256 per MiB written, in step with the workloads' page counts
     * @throws IOException also when the file system refuses O_DIRECT
     */
    SystemResult run(long bytes, PageStamp stamp, AtomicLong progress, DiskStats disk) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK + BenchOptions.PAGE).alignedSlice(BenchOptions.PAGE);
        ByteBuffer page = stamp.newBuffer();
        for (int p = 0; p < CHUNK / BenchOptions.PAGE; p++) {
            chunk.put(stamp.fill(page, 0, p, 0));
        }
        chunk.flip();
        long chunks = (bytes + CHUNK - 1) / CHUNK;
        DeviceCounters before = disk == null ? null : disk.read();
        MemorySampler.settle();
        MemorySampler memory = MemorySampler.start();
        long start;
        long written;
        long end;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT)) {
            if (WritebackdTarget.PREALLOCATE) { // untimed, like writebackd's device
                ByteBuffer zeros = ByteBuffer.allocateDirect(CHUNK + BenchOptions.PAGE).alignedSlice(BenchOptions.PAGE);
                writeChunks(channel, zeros, chunks, null);
                channel.force(true);
            }
            start = System.nanoTime();
            writeChunks(channel, chunk, chunks, progress);
            written = System.nanoTime();
            channel.force(true);
            end = System.nanoTime();
        } finally {
            Files.deleteIfExists(file);
        }
        long peak = memory.stop();
        long bios = chunks;
        double mean = CHUNK / (double) BenchOptions.PAGE;
        String source = "1 MiB writes issued";
        DeviceCounters after = disk == null ? null : disk.read();
        if (before != null && after != null) {
            DeviceCounters d = after.minus(before);
            bios = d.writeBios();
            mean = d.meanWritePages();
            source = "host " + disk.device() + " (machine-wide)";
        }
        double sync = (end - written) / 1e9;
        return new SystemResult("raw O_DIRECT", (end - start) / 1e9, (written - start) / 1e9, sync, chunks * CHUNK, 0,
                bios, mean, chunks, source, 1, sync * 1e3, sync * 1e3, -1, peak);
    }

    private static void writeChunks(FileChannel channel, ByteBuffer chunk, long chunks, AtomicLong progress)
            throws IOException {
        for (long c = 0; c < chunks; c++) {
            ByteBuffer src = chunk.duplicate();
            long at = c * CHUNK;
            while (src.hasRemaining()) {
                at += channel.write(src, at);
            }
            if (progress != null) {
                progress.addAndGet(CHUNK / BenchOptions.PAGE);
            }
        }
    }
}
