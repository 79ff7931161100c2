package dev.writebackd.daemon.bench;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The kernel page cache: buffered positional writes to regular files, {@code force(true)} (fsync)
 * per file. Making it cold drops the host page cache, which needs root.
 */
public final class KernelTarget implements Target {
    private final Path dir;
    private final boolean dropCaches;
    private FileChannel[] channels = new FileChannel[0];

    /** Files {@code kernel-N.dat} in {@code dir}; {@link #makeCold} drops the host page cache. */
    public KernelTarget(Path dir) {
        this(dir, true);
    }

    /**
     * Files {@code kernel-N.dat} in {@code dir}.
     *
     * @param dropCaches whether {@link #makeCold} drops the host page cache (tests say no: it is
     *     machine-wide)
     */
    public KernelTarget(Path dir, boolean dropCaches) {
        this.dir = requireNonNull(dir, "dir");
        this.dropCaches = dropCaches;
    }

    @Override
    public String name() {
        return "kernel";
    }

    @Override
    public List<String> describe() {
        return List.of("kernel: buffered FileChannel positional writes, force(true) per file");
    }

    /** The file holding bench file {@code file}. */
    public Path path(int file) {
        return dir.resolve("kernel-" + file + ".dat");
    }

    @Override
    public void open(int files) throws IOException {
        channels = new FileChannel[files];
        for (int f = 0; f < files; f++) {
            channels[f] = FileChannel.open(path(f), StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
    }

    @Override
    public void write(int file, long offset, ByteBuffer data) throws IOException {
        ByteBuffer src = data.duplicate();
        long at = offset;
        while (src.hasRemaining()) {
            at += channels[file].write(src, at);
        }
    }

    @Override
    public ByteBuffer read(int file, long offset, int length) throws IOException {
        ByteBuffer into = ByteBuffer.allocate(length);
        long at = offset;
        while (into.hasRemaining()) {
            int n = channels[file].read(into, at);
            if (n < 0) {
                break;
            }
            at += n;
        }
        return into.flip();
    }

    @Override
    public void fsync(int file) throws IOException {
        channels[file].force(true);
    }

    @Override
    public String makeCold() throws IOException {
        return dropCaches ? HostCache.drop() : "host page cache not dropped (disabled): reads may be warm";
    }

    @Override
    public DeviceCounters counters() {
        return null;
    }

    @Override
    public void close() throws IOException {
        for (FileChannel channel : channels) {
            if (channel != null) {
                channel.close();
            }
        }
    }

    /** Deletes the files. */
    public void delete(int files) throws IOException {
        for (int f = 0; f < files; f++) {
            Files.deleteIfExists(path(f));
        }
    }
}
