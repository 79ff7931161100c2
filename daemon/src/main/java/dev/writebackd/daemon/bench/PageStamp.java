package dev.writebackd.daemon.bench;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * The contents the bench writes: a seeded random page whose first 16 bytes name the file, the page
 * and the version, so reading a page back tells whether it holds exactly the last write to it.
 * Cheap to make on the hot path: one template, two stamped longs.
 */
public final class PageStamp {
    private static final long MAGIC = 0x5752_4244_4245_4e43L;
    private final byte[] template = new byte[BenchOptions.PAGE];

    /** The template page for {@code seed}. */
    public PageStamp(long seed) {
        new SplittableRandom(seed ^ MAGIC).nextBytes(template);
    }

    /** A fresh buffer for {@link #fill} to reuse, one per thread. */
    public ByteBuffer newBuffer() {
        return ByteBuffer.allocate(BenchOptions.PAGE);
    }

    /** Fills {@code buffer} with the page {@code page} of {@code file} at {@code version}; ready to write. */
    public ByteBuffer fill(ByteBuffer buffer, int file, long page, int version) {
        buffer.clear();
        buffer.put(template);
        buffer.putLong(0, ((long) file << 40) | page);
        buffer.putLong(8, MAGIC ^ version);
        buffer.clear();
        return buffer;
    }

    /**
     * Why {@code data} is not page {@code page} of {@code file} at {@code version}, or {@code null}
     * if it is.
     */
    public String mismatch(ByteBuffer data, int file, long page, int version) {
        ByteBuffer expected = fill(newBuffer(), file, page, version);
        ByteBuffer actual = data.duplicate();
        if (actual.remaining() != expected.remaining()) {
            return "file " + file + " page " + page + ": read " + actual.remaining() + " bytes, expected "
                    + expected.remaining();
        }
        int at = expected.mismatch(actual);
        if (at < 0) {
            return null;
        }
        long head = actual.remaining() >= 16 ? actual.getLong(actual.position() + 8) ^ MAGIC : -1;
        return "file " + file + " page " + page + ": differs from byte " + at + " (expected version " + version
                + ", the page says " + head + ")";
    }
}
