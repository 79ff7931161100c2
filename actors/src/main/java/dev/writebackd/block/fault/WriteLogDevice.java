package dev.writebackd.block.fault;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.StackedDevice;
import dev.writebackd.block.DeviceLimits;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A block device that records, in a log file, everything that changes the device below it — like
 * dm-log-writes: first a copy of the device image as it stands when the log starts, then every
 * completed write with its data, every completed flush with its epoch, and every power cut of a
 * {@link VolatileCacheDevice} below it. {@link LogReplay} rebuilds the image as it stood at any
 * flush from the log alone.
 *
 * <p><b>What is recorded.</b> Reads pass through unrecorded. A write is recorded once the device
 * below has completed it successfully (a failed write changed nothing, so it is not recorded), as
 * the device performed it (clipped at the device end). A flush — or a write with
 * {@link BioFlag#FUA}, recorded as the write followed by a flush — is recorded once it succeeded,
 * with its epoch: 1 for the first, 2 for the next, and so on. A flush waits for the writes in flight
 * to complete and be recorded, and holds new ones back until it is done, so a write recorded
 * before flush N completed before flush N was issued: the image at flush N is the base image plus
 * every write recorded before it. A power cut of the volatile cache is recorded by
 * {@link #recordPowerCut} with its mode, seed and dropped-sector count, so a replay drops exactly
 * what the cut dropped.
 *
 * <p><b>Format</b> (big-endian, as {@link DataOutputStream} writes it):
 * <pre>
 * header:  "WBDWLOG1" (8 bytes)  version:int (1)  blockSize:int  sizeBytes:long
 * records, each starting with a type byte:
 *   1 BASE       sector:long  length:int  crc32c:int  data[length]   the image when the log started
 *   2 WRITE      sector:long  length:int  crc32c:int  data[length]   a completed write
 *   3 FLUSH      epoch:long                                          a completed flush (1, 2, …)
 *   4 POWER_CUT  mode:byte (0 drop-unflushed, 1 random)  seed:long  droppedSectors:long
 * </pre>
 * The BASE records come first and cover only the non-zero parts of the image (a fresh sparse
 * image costs nothing); everything not covered reads as zeros. Lengths are multiples of 512 and
 * sectors are 512-byte units; the CRC32C covers the data. The log is written through a buffer that
 * is pushed to the file at every flush record, so after a killed process the log holds at least
 * every record up to the last flush; a reader stops at a torn last record ({@link WriteLog}).
 *
 * <p><b>Limits.</b> The base copy reads the whole device once at start (through the device below,
 * so it is what the next layer sees) and embeds its non-zero data, so a large, full device makes a
 * large log. An existing log file at the path is replaced. If writing the log fails (disk full,
 * say), the failure is logged once, recording stops and {@link #failure()} says why; the device
 * itself goes on working. Closing the device closes the log and the device below.
 *
 * <p>Thread-safe: bios may be submitted by several threads at once.
 */
public final class WriteLogDevice extends StackedDevice {
    private static final Logger LOG = LoggerFactory.getLogger(WriteLogDevice.class);
    /** The base copy skips all-zero units of this size. */
    private static final byte[] ZERO_UNIT = new byte[4096];

    private final Path path;
    /** Writes hold it shared while they run and are recorded; flushes and cuts hold it alone. */
    private final ReadWriteLock order = new ReentrantReadWriteLock();
    private final Object logLock = new Object();
    // Guarded by logLock.
    private final DataOutputStream out;
    private long flushes;
    private long writes;
    private IOException failure;
    private boolean closed;

    private WriteLogDevice(BlockDevice below, Path path, DataOutputStream out) {
        super(below);
        this.path = path;
        this.out = out;
    }

    /**
     * Starts a log at {@code path} (replacing any file there) over {@code below}: writes the header
     * and a copy of {@code below}'s current image.
     *
     * @throws IOException if the log cannot be written or the device cannot be read
     */
    public static WriteLogDevice start(BlockDevice below, Path path) throws IOException {
        requireNonNull(below, "below");
        requireNonNull(path, "path");
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel),
                1 << 16));
        try {
            out.write(WriteLogFormat.MAGIC);
            out.writeInt(WriteLogFormat.VERSION);
            out.writeInt(below.blockSize());
            out.writeLong(below.sizeBytes());
            long copied = copyBase(below, out);
            out.flush();
            LOG.info("Write log {} started: base image of {} non-zero bytes copied", path, copied);
        } catch (IOException | RuntimeException e) {
            out.close();
            throw e;
        }
        return new WriteLogDevice(below, path, out);
    }

    /** Writes BASE records for every non-zero 4 KiB (or shorter, at the end) unit of the image. */
    private static long copyBase(BlockDevice below, DataOutputStream out) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(WriteLogFormat.BASE_CHUNK);
        long copied = 0;
        for (long offset = 0; offset < below.sizeBytes(); offset += chunk.capacity()) {
            int length = (int) Math.min(chunk.capacity(), below.sizeBytes() - offset);
            ByteBuffer read = chunk.clear().limit(length).slice();
            Errno failed = below.submit(new Bio(BioOp.READ, offset / SECTOR_SIZE,
                    List.of(new Segment(read, Segment.NO_PAGE, -1, -1)), Set.of(), 0));
            if (failed != null) {
                throw new IOException("reading the device for the write log's base image failed at byte " + offset
                        + ": " + failed);
            }
            int runStart = -1;
            for (int at = 0; at < length; at += ZERO_UNIT.length) {
                int unit = Math.min(ZERO_UNIT.length, length - at);
                boolean nonZero = !Arrays.equals(chunk.array(), at, at + unit, ZERO_UNIT, 0, unit);
                if (nonZero && runStart < 0) {
                    runStart = at;
                } else if (!nonZero && runStart >= 0) {
                    writeData(out, WriteLogFormat.BASE, (offset + runStart) / SECTOR_SIZE, read.slice(runStart, at - runStart));
                    copied += at - runStart;
                    runStart = -1;
                }
            }
            if (runStart >= 0) {
                writeData(out, WriteLogFormat.BASE, (offset + runStart) / SECTOR_SIZE, read.slice(runStart, length - runStart));
                copied += length - runStart;
            }
        }
        return copied;
    }

    private static void writeData(DataOutputStream out, byte type, long sector, ByteBuffer data) throws IOException {
        out.writeByte(type);
        out.writeLong(sector);
        out.writeInt(data.remaining());
        out.writeInt(WriteLogFormat.crc32c(data));
        if (data.hasArray()) {
            out.write(data.array(), data.arrayOffset() + data.position(), data.remaining());
        } else {
            byte[] copy = new byte[data.remaining()];
            data.duplicate().get(copy);
            out.write(copy);
        }
    }

    /** The log file. */
    public Path path() {
        return path;
    }

    /** How many flushes are recorded: the epoch of the last one, 0 before the first. */
    public long flushEpoch() {
        synchronized (logLock) {
            return flushes;
        }
    }

    /** How many writes are recorded (a FUA write counts once). */
    public long writesRecorded() {
        synchronized (logLock) {
            return writes;
        }
    }

    /** Why recording stopped, or {@code null} while it works. */
    public IOException failure() {
        synchronized (logLock) {
            return failure;
        }
    }

    /** Performs {@code bio} on the device below and records it if it changed the device; see the class comment. */
    @Override
    public Errno submit(Bio bio) {
        requireNonNull(bio, "bio");
        if (bio.op() == BioOp.READ) {
            return below.submit(bio);
        }
        boolean flushes = bio.op() == BioOp.FLUSH || bio.flags().contains(BioFlag.FUA);
        var lock = flushes ? order.writeLock() : order.readLock();
        lock.lock();
        try {
            Errno result = below.submit(bio);
            if (result == null) {
                record(bio, flushes);
            }
            return result;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Records a power cut of the {@link VolatileCacheDevice} below (call it right after the cut,
     * with nothing writing): a replay then drops what the cut dropped.
     */
    public void recordPowerCut(PowerCutMode mode, PowerCutResult result) {
        requireNonNull(mode, "mode");
        requireNonNull(result, "result");
        order.writeLock().lock();
        try {
            synchronized (logLock) {
                if (usable()) {
                    try {
                        out.writeByte(WriteLogFormat.POWER_CUT);
                        out.writeByte(mode.ordinal());
                        out.writeLong(result.seed());
                        out.writeLong(result.droppedSectors());
                        out.flush();
                    } catch (IOException e) {
                        fail(e);
                    }
                }
            }
        } finally {
            order.writeLock().unlock();
        }
    }

    private void record(Bio bio, boolean flush) {
        synchronized (logLock) {
            if (!usable()) {
                return;
            }
            try {
                if (bio.op() == BioOp.WRITE) {
                    Bio done = DeviceLimits.clip(bio, sectors()).bioFor(bio);
                    writeData(out, WriteLogFormat.WRITE, done.startSector(), gather(done));
                    writes++;
                }
                if (flush) {
                    out.writeByte(WriteLogFormat.FLUSH);
                    out.writeLong(++flushes);
                    out.flush();
                }
            } catch (IOException e) {
                fail(e);
            }
        }
    }

    private static ByteBuffer gather(Bio bio) {
        if (bio.segments().size() == 1) {
            return bio.segments().get(0).buffer().duplicate();
        }
        ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(bio.lengthBytes()));
        for (Segment segment : bio.segments()) {
            all.put(segment.buffer().duplicate());
        }
        return all.flip();
    }

    private boolean usable() {
        return !closed && failure == null;
    }

    private void fail(IOException e) {
        failure = e;
        LOG.error("Write log {}: writing it failed, recording stops (the device goes on working)", path, e);
    }

    /** Closes the log (pushing what is buffered to the file) and the device below. */
    @Override
    public void close() {
        synchronized (logLock) {
            if (!closed) {
                closed = true;
                try {
                    out.close();
                } catch (IOException e) {
                    LOG.warn("Write log {}: closing it failed", path, e);
                }
            }
        }
        below.close();
    }
}
