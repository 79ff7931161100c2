package dev.writebackd.daemon.bench;

import static java.util.Objects.requireNonNull;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Naive write-through: every page goes straight to the file with one positional O_DIRECT write (no
 * cache, no merging), one {@code force(true)} per fsync. Falls back to buffered writes where the
 * file system refuses O_DIRECT, and says so.
 */
public final class WriteThroughTarget implements Target {
    private final Path dir;
    private final ThreadLocal<ByteBuffer> bounce = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(2 * BenchOptions.PAGE).alignedSlice(BenchOptions.PAGE)
                    .limit(BenchOptions.PAGE).slice());
    private FileChannel[] channels = new FileChannel[0];
    private boolean direct = true;
    private String fallback;

    /** Files {@code through-N.dat} in {@code dir}. */
    public WriteThroughTarget(Path dir) {
        this.dir = requireNonNull(dir, "dir");
    }

    @Override
    public String name() {
        return "write-through";
    }

    @Override
    public List<String> describe() {
        return List.of("write-through: one positional " + (direct ? "O_DIRECT" : "buffered (" + fallback + ")")
                + " 4 KiB write per page, force(true) per fsync");
    }

    private Path path(int file) {
        return dir.resolve("through-" + file + ".dat");
    }

    @Override
    public void open(int files) throws IOException {
        channels = new FileChannel[files];
        for (int f = 0; f < files; f++) {
            channels[f] = open(path(f));
        }
    }

    private FileChannel open(Path path) throws IOException {
        OpenOption[] options = {StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.READ, StandardOpenOption.WRITE};
        if (direct) {
            try {
                OpenOption[] withDirect = java.util.Arrays.copyOf(options, options.length + 1);
                withDirect[options.length] = ExtendedOpenOption.DIRECT;
                return FileChannel.open(path, withDirect);
            } catch (IOException | UnsupportedOperationException e) {
                direct = false;
                fallback = "O_DIRECT refused: " + e.getMessage();
            }
        }
        return FileChannel.open(path, options);
    }

    @Override
    public void write(int file, long offset, ByteBuffer data) throws IOException {
        ByteBuffer src = data.duplicate();
        ByteBuffer page = bounce.get();
        long at = offset;
        while (src.hasRemaining()) {
            page.clear();
            int n = Math.min(page.remaining(), src.remaining());
            page.put(page.position(), src, src.position(), n).limit(n);
            src.position(src.position() + n);
            while (page.hasRemaining()) {
                at += channels[file].write(page, at);
            }
        }
    }

    @Override
    public ByteBuffer read(int file, long offset, int length) throws IOException {
        ByteBuffer page = bounce.get();
        ByteBuffer into = ByteBuffer.allocate(length);
        long at = offset;
        while (into.hasRemaining()) {
            page.clear().limit(Math.min(page.capacity(), into.remaining()));
            int n = channels[file].read(page, at);
            if (n <= 0) {
                break;
            }
            into.put(page.flip());
            at += n;
        }
        return into.flip();
    }

    @Override
    public void fsync(int file) throws IOException {
        channels[file].force(true);
    }

    @Override
    public String makeCold() {
        return direct ? "O_DIRECT: reads come from the disk" : "buffered fallback: reads may be warm";
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
