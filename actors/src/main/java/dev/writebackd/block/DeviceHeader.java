package dev.writebackd.block;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.DeviceHeaderException.Kind;
import dev.writebackd.error.Errno;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The header in block 0 of every device: what the device is, checked at start so a journal is
 * never paired with the wrong device.
 *
 * <p>Block 0 is reserved for it: layouts never hand out blocks below {@link #FIRST_DATA_BLOCK}.
 * On the device (big-endian, in the first 512 bytes of block 0; the rest of the block is zero):
 * <pre>
 *   0  8  magic {@link #MAGIC} ("WRITEBKD")
 *   8  4  format version ({@link #FORMAT_VERSION})
 *  12  4  block size
 *  16  8  device size in bytes
 *  24 16  id (most, then least significant 64 bits)
 *  40  1  layout name length n (1 to {@link #MAX_LAYOUT_LENGTH})
 *  41  n  layout name, ASCII, zero padded to byte 72
 *  72     reserved, zero
 * 508  4  CRC32C of bytes 0 to 507
 * </pre>
 * {@link #read} tells a blank device (block 0 all zeros) from one holding something else (bad
 * magic), a newer format, and a damaged header (checksum), and checks the geometry against the
 * device's.
 *
 * @param blockSize the device's block size
 * @param layout the layout's name, e.g. {@code extent} or {@code ext2}: 1 to
 *     {@link #MAX_LAYOUT_LENGTH} printable ASCII characters, no spaces
 * @param sizeBytes the device size: a multiple of the block size, at least
 *     {@link #MIN_DEVICE_BLOCKS} blocks
 * @param id the device's identity, recorded by the journal too
 */
public record DeviceHeader(int blockSize, String layout, long sizeBytes, UUID id) {
    /** The magic number at byte 0: the ASCII bytes "WRITEBKD". */
    public static final long MAGIC = 0x5752_4954_4542_4B44L;

    /** The on-device format this build writes and reads. */
    public static final int FORMAT_VERSION = 1;

    /**
     * The smallest device, in blocks: the header block and 15 blocks for data and map blocks. A
     * header for a smaller device is refused, so no layout ever starts on one.
     */
    public static final int MIN_DEVICE_BLOCKS = 16;

    /** The first block a layout may hand out: block 0 is the header's. */
    public static final long FIRST_DATA_BLOCK = 1;

    /** The longest layout name, in ASCII characters. */
    public static final int MAX_LAYOUT_LENGTH = 31;

    /** The bytes of block 0 the header occupies, checksum included. */
    static final int HEADER_BYTES = 512;
    static final int VERSION_OFFSET = 8;
    static final int LAYOUT_OFFSET = 40;
    static final int CHECKSUM_OFFSET = HEADER_BYTES - 4;

    private static final int BLOCK_SIZE_OFFSET = 12;
    private static final int SIZE_OFFSET = 16;
    private static final int ID_OFFSET = 24;

    /** Validates the header. */
    public DeviceHeader {
        requireNonNull(layout, "layout");
        requireNonNull(id, "id");
        DeviceLimits.checkGeometry(blockSize, sizeBytes);
        if (sizeBytes / blockSize < MIN_DEVICE_BLOCKS) {
            throw new IllegalArgumentException("device of " + sizeBytes / blockSize
                    + " blocks is below the minimum of " + MIN_DEVICE_BLOCKS);
        }
        if (!isValidLayoutName(layout)) {
            throw new IllegalArgumentException("layout name '" + layout + "' is not 1 to "
                    + MAX_LAYOUT_LENGTH + " printable ASCII characters without spaces");
        }
    }

    /** A header for {@code device} with layout {@code layout} and a fresh random id. */
    public static DeviceHeader create(BlockDevice device, String layout) {
        requireNonNull(device, "device");
        return new DeviceHeader(device.blockSize(), layout, device.sizeBytes(), UUID.randomUUID());
    }

    /**
     * Writes this header to block 0 of {@code device}: one write bio (META, SYNC, FUA) of one block
     * at sector 0, durable when this returns.
     *
     * @throws IllegalArgumentException if the header's geometry is not the device's
     * @throws DeviceHeaderException {@link Kind#IO} with the device's errno if the write failed
     */
    public void write(BlockDevice device) {
        requireNonNull(device, "device");
        if (device.blockSize() != blockSize || device.sizeBytes() != sizeBytes) {
            throw new IllegalArgumentException("header for " + sizeBytes + " bytes in " + blockSize
                    + "-byte blocks, device of " + device.sizeBytes() + " bytes in "
                    + device.blockSize() + "-byte blocks");
        }
        ByteBuffer block = encode(FORMAT_VERSION, blockSize);
        Errno errno = device.submit(block0(BioOp.WRITE, block,
                EnumSet.of(BioFlag.META, BioFlag.SYNC, BioFlag.FUA)));
        if (errno != null) {
            throw new DeviceHeaderException(Kind.IO, errno, "writing the header failed");
        }
    }

    /**
     * Reads and checks the header in block 0 of {@code device} (one read bio of one block).
     *
     * @throws DeviceHeaderException {@link Kind#IO} if the read failed; {@link Kind#BLANK},
     *     {@link Kind#BAD_MAGIC}, {@link Kind#UNSUPPORTED_VERSION} or {@link Kind#CORRUPT} if block
     *     0 holds no valid header; {@link Kind#BLOCK_SIZE_MISMATCH} or {@link Kind#SIZE_MISMATCH}
     *     if it describes another geometry than the device's
     */
    public static DeviceHeader read(BlockDevice device) {
        requireNonNull(device, "device");
        ByteBuffer block = ByteBuffer.allocate(device.blockSize());
        Errno errno = device.submit(block0(BioOp.READ, block, EnumSet.of(BioFlag.META, BioFlag.SYNC)));
        if (errno != null) {
            throw new DeviceHeaderException(Kind.IO, errno, "reading the header failed");
        }
        DeviceHeader header = decode(block);
        if (header.blockSize != device.blockSize()) {
            throw new DeviceHeaderException(Kind.BLOCK_SIZE_MISMATCH, "the header says "
                    + header.blockSize + "-byte blocks, the device has " + device.blockSize());
        }
        if (header.sizeBytes != device.sizeBytes()) {
            throw new DeviceHeaderException(Kind.SIZE_MISMATCH, "the header says "
                    + header.sizeBytes + " bytes, the device has " + device.sizeBytes());
        }
        return header;
    }

    /**
     * Checks that the device uses layout {@code expected}.
     *
     * @return this header
     * @throws DeviceHeaderException {@link Kind#LAYOUT_MISMATCH} otherwise
     */
    public DeviceHeader expectLayout(String expected) {
        requireNonNull(expected, "expected");
        if (!layout.equals(expected)) {
            throw new DeviceHeaderException(Kind.LAYOUT_MISMATCH, "the device has layout '" + layout
                    + "', expected '" + expected + "'");
        }
        return this;
    }

    /**
     * Checks that the device is the one with id {@code expected} (the one the journal recorded).
     *
     * @return this header
     * @throws DeviceHeaderException {@link Kind#ID_MISMATCH} otherwise
     */
    public DeviceHeader expectId(UUID expected) {
        requireNonNull(expected, "expected");
        if (!id.equals(expected)) {
            throw new DeviceHeaderException(Kind.ID_MISMATCH, "the device is " + id
                    + ", expected " + expected);
        }
        return this;
    }

    /** Block 0 as written by format {@code version}: the header, then zeros to {@code length}. */
    ByteBuffer encode(int version, int length) {
        ByteBuffer block = ByteBuffer.allocate(length);
        block.putLong(0, MAGIC)
                .putInt(VERSION_OFFSET, version)
                .putInt(BLOCK_SIZE_OFFSET, blockSize)
                .putLong(SIZE_OFFSET, sizeBytes)
                .putLong(ID_OFFSET, id.getMostSignificantBits())
                .putLong(ID_OFFSET + 8, id.getLeastSignificantBits());
        byte[] name = layout.getBytes(StandardCharsets.US_ASCII);
        block.put(LAYOUT_OFFSET, (byte) name.length).put(LAYOUT_OFFSET + 1, name);
        block.putInt(CHECKSUM_OFFSET, checksum(block));
        return block;
    }

    private static DeviceHeader decode(ByteBuffer block) {
        if (isZero(block)) {
            throw new DeviceHeaderException(Kind.BLANK, "block 0 is all zeros: the device was never "
                    + "formatted");
        }
        long magic = block.getLong(0);
        if (magic != MAGIC) {
            throw new DeviceHeaderException(Kind.BAD_MAGIC, String.format(
                    "block 0 starts with %016x, not a writebackd device", magic));
        }
        int version = block.getInt(VERSION_OFFSET);
        if (version != FORMAT_VERSION) {
            throw new DeviceHeaderException(Kind.UNSUPPORTED_VERSION, "format version " + version
                    + ", this build reads version " + FORMAT_VERSION);
        }
        int stored = block.getInt(CHECKSUM_OFFSET);
        int computed = checksum(block);
        if (stored != computed) {
            throw new DeviceHeaderException(Kind.CORRUPT, String.format(
                    "checksum %08x, computed %08x", stored, computed));
        }
        int nameLength = Byte.toUnsignedInt(block.get(LAYOUT_OFFSET));
        if (nameLength > MAX_LAYOUT_LENGTH) {
            throw new DeviceHeaderException(Kind.CORRUPT, "layout name of " + nameLength + " bytes");
        }
        byte[] name = new byte[nameLength];
        block.get(LAYOUT_OFFSET + 1, name);
        UUID id = new UUID(block.getLong(ID_OFFSET), block.getLong(ID_OFFSET + 8));
        try {
            return new DeviceHeader(block.getInt(BLOCK_SIZE_OFFSET),
                    new String(name, StandardCharsets.US_ASCII), block.getLong(SIZE_OFFSET), id);
        } catch (IllegalArgumentException e) {
            throw new DeviceHeaderException(Kind.CORRUPT, "checksum matches, but " + e.getMessage());
        }
    }

    private static Bio block0(BioOp op, ByteBuffer block, EnumSet<BioFlag> flags) {
        return new Bio(op, 0, List.of(Segment.ofMetadata(block, 0)), flags, 0);
    }

    private static int checksum(ByteBuffer block) {
        CRC32C crc = new CRC32C();
        crc.update(block.slice(0, CHECKSUM_OFFSET));
        return (int) crc.getValue();
    }

    private static boolean isZero(ByteBuffer block) {
        for (int i = 0; i < block.limit(); i += Long.BYTES) {
            if (block.getLong(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isValidLayoutName(String name) {
        if (name.isEmpty() || name.length() > MAX_LAYOUT_LENGTH) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c > '~') {
                return false;
            }
        }
        return true;
    }
}
