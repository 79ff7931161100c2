package dev.writebackd.block.fault;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.DeviceLimits;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a write log written by {@link WriteLogDevice} (whose Javadoc gives the format), one record
 * at a time, checking each data record's CRC32C.
 *
 * <p>A log cut short — the last record torn because the writing process was killed — reads up to
 * its last whole record: {@link #next()} then answers {@code null} and {@link #tornTail()} says
 * so. Anything else that is wrong (not a write log, another version, an unknown record type, a bad
 * checksum, a sector past the device end) is a {@link WriteLogException} naming the byte offset.
 *
 * <p>Not thread-safe: one reader per thread.
 */
public final class WriteLog implements Closeable {
    private final Path path;
    private final CountingInput counting;
    private final DataInputStream in;
    private final int blockSize;
    private final long sizeBytes;
    private boolean tornTail;
    private boolean ended;

    private WriteLog(Path path, CountingInput counting, DataInputStream in, int blockSize, long sizeBytes) {
        this.path = path;
        this.counting = counting;
        this.in = in;
        this.blockSize = blockSize;
        this.sizeBytes = sizeBytes;
    }

    /**
     * Opens the log at {@code path} and reads its header.
     *
     * @throws WriteLogException if the file is not a write log of a known version
     * @throws IOException if it cannot be read
     */
    public static WriteLog open(Path path) throws IOException {
        requireNonNull(path, "path");
        CountingInput counting = new CountingInput(new BufferedInputStream(Files.newInputStream(path), 1 << 16));
        DataInputStream in = new DataInputStream(counting);
        try {
            byte[] magic = new byte[WriteLogFormat.MAGIC.length];
            in.readFully(magic);
            if (!Arrays.equals(magic, WriteLogFormat.MAGIC)) {
                throw new WriteLogException(path + " is not a writebackd write log (bad magic)");
            }
            int version = in.readInt();
            if (version != WriteLogFormat.VERSION) {
                throw new WriteLogException(path + ": write log version " + version + ", this reader knows "
                        + WriteLogFormat.VERSION);
            }
            int blockSize = in.readInt();
            long sizeBytes = in.readLong();
            try {
                DeviceLimits.checkGeometry(blockSize, sizeBytes);
            } catch (IllegalArgumentException e) {
                throw new WriteLogException(path + ": bad device geometry in the header: " + e.getMessage());
            }
            return new WriteLog(path, counting, in, blockSize, sizeBytes);
        } catch (EOFException e) {
            in.close();
            throw new WriteLogException(path + " is too short to be a write log");
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** The block size of the logged device. */
    public int blockSize() {
        return blockSize;
    }

    /** The size of the logged device in bytes. */
    public long sizeBytes() {
        return sizeBytes;
    }

    /** Whether the log ended in a torn record (known once {@link #next()} has answered {@code null}). */
    public boolean tornTail() {
        return tornTail;
    }

    /**
     * The next record, or {@code null} at the end of the log.
     *
     * @throws WriteLogException if the record is damaged
     */
    public Record next() throws IOException {
        if (ended) {
            return null;
        }
        long at = counting.count;
        int type = in.read();
        if (type < 0) {
            ended = true;
            return null;
        }
        try {
            return switch (type) {
                case WriteLogFormat.BASE, WriteLogFormat.WRITE -> data(type == WriteLogFormat.BASE, at);
                case WriteLogFormat.FLUSH -> new Flush(in.readLong());
                case WriteLogFormat.POWER_CUT -> powerCut(at);
                default -> throw new WriteLogException(where(at) + "unknown record type " + type);
            };
        } catch (EOFException e) {
            ended = true;
            tornTail = true;
            return null;
        }
    }

    private Data data(boolean base, long at) throws IOException {
        long sector = in.readLong();
        int length = in.readInt();
        int crc = in.readInt();
        if (length <= 0 || length % BlockDevice.SECTOR_SIZE != 0 || length > WriteLogFormat.MAX_DATA) {
            throw new WriteLogException(where(at) + "bad data length " + length);
        }
        if (sector < 0 || sector > sizeBytes / BlockDevice.SECTOR_SIZE - length / BlockDevice.SECTOR_SIZE) {
            throw new WriteLogException(where(at) + "sector " + sector + " + " + length + " bytes lies past the device end");
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        if (WriteLogFormat.crc32c(ByteBuffer.wrap(bytes)) != crc) {
            throw new WriteLogException(where(at) + "checksum mismatch in the data of sector " + sector);
        }
        return new Data(base, sector, bytes);
    }

    private PowerCut powerCut(long at) throws IOException {
        int mode = in.readUnsignedByte();
        long seed = in.readLong();
        long dropped = in.readLong();
        if (mode >= PowerCutMode.values().length || dropped < 0) {
            throw new WriteLogException(where(at) + "bad power-cut record (mode " + mode + ", dropped " + dropped + ")");
        }
        return new PowerCut(PowerCutMode.values()[mode], seed, dropped);
    }

    private String where(long at) {
        return path + " at byte " + at + ": ";
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    /** One record of the log. */
    public sealed interface Record permits Data, Flush, PowerCut {}

    /**
     * Data: a piece of the base image, or a completed write.
     *
     * @param base whether it is part of the image the log started from
     * @param sector its first 512-byte sector
     * @param data its bytes (a multiple of 512, checksum verified)
     */
    public record Data(boolean base, long sector, byte[] data) implements Record {}

    /**
     * A completed flush.
     *
     * @param epoch 1 for the first flush of the log, then 2, 3, …
     */
    public record Flush(long epoch) implements Record {}

    /**
     * A power cut of the volatile cache below the logged device.
     *
     * @param mode what the cut kept
     * @param seed the cut's seed
     * @param droppedSectors how many unflushed sectors it dropped
     */
    public record PowerCut(PowerCutMode mode, long seed, long droppedSectors) implements Record {}

    /** Counts the bytes read, for error messages. */
    private static final class CountingInput extends java.io.FilterInputStream {
        long count;

        CountingInput(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
