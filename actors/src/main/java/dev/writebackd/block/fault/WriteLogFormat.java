package dev.writebackd.block.fault;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Constants of the write log's binary format; the format itself is described on
 * {@link WriteLogDevice}.
 */
final class WriteLogFormat {
    /** The first eight bytes of every write log. */
    static final byte[] MAGIC = "WBDWLOG1".getBytes(StandardCharsets.US_ASCII);
    /** The format version written after the magic. */
    static final int VERSION = 1;
    /** Record type: a chunk of the device image as it stood when the log started. */
    static final byte BASE = 1;
    /** Record type: a completed write. */
    static final byte WRITE = 2;
    /** Record type: a completed flush. */
    static final byte FLUSH = 3;
    /** Record type: a power cut of the volatile cache below the log. */
    static final byte POWER_CUT = 4;
    /** Bytes of a data record before its data: type, sector, length, CRC32C. */
    static final int DATA_HEADER = 1 + 8 + 4 + 4;
    /** The longest data record a reader accepts (a bio of 256 segments of 64 KiB pages). */
    static final int MAX_DATA = 16 << 20;
    /** The longest base-image record a writer emits. */
    static final int BASE_CHUNK = 1 << 20;

    private WriteLogFormat() {}

    /** The CRC32C of {@code data}'s remaining bytes (not consumed). */
    static int crc32c(ByteBuffer data) {
        CRC32C crc = new CRC32C();
        crc.update(data.duplicate());
        return (int) crc.getValue();
    }
}
