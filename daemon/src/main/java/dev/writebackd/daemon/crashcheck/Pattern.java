package dev.writebackd.daemon.crashcheck;

import java.util.Optional;

/**
 * The bytes the crash checker writes: self-describing, so that a sector found where it should not
 * be can be traced to the file and the write it came from.
 *
 * <p>Every 8-byte word at a file offset that is a multiple of 8 holds, little-endian, the file's
 * inode (12 bits), the write's id (24 bits), the word's index in the file (18 bits) and a 10-bit
 * check over the three. A write of any offset and length carries the bytes of those words that it
 * covers, so its bytes depend only on (inode, write id, file offset): two writes never produce the
 * same bytes, a file's bytes never look like another file's, and zeros (inode and write id start
 * at 1) or random bytes do not decode, but for one word in 1024.
 *
 * <p>Pure and stateless.
 */
public final class Pattern {
    private static final int TAG_BITS = 12;
    private static final int WRITE_BITS = 24;
    private static final int WORD_BITS = 18;
    private static final int CHECK_BITS = 10;

    private Pattern() {}

    /**
     * Where a decoded word came from.
     *
     * @param inodeTag the low 12 bits of the inode of the file written
     * @param writeId the low 24 bits of the write's id
     * @param wordIndex the low 18 bits of the word's index in that file (file offset / 8)
     */
    public record Origin(long inodeTag, long writeId, long wordIndex) {}

    /** The {@code length} bytes that write {@code writeId} puts at {@code offset} of file {@code inode}. */
    public static byte[] bytes(long inode, long writeId, long offset, int length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset " + offset + ", length " + length);
        }
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            long position = offset + i;
            long word = word(inode, writeId, position >>> 3);
            out[i] = (byte) (word >>> (8 * (position & 7)));
        }
        return out;
    }

    /** The word of write {@code writeId} at word index {@code wordIndex} of file {@code inode}. */
    static long word(long inode, long writeId, long wordIndex) {
        long tag = inode & mask(TAG_BITS);
        long write = writeId & mask(WRITE_BITS);
        long index = wordIndex & mask(WORD_BITS);
        long body = tag << (WRITE_BITS + WORD_BITS) | write << WORD_BITS | index;
        return body << CHECK_BITS | check(body);
    }

    /** The origin of {@code word}, empty if it does not decode (zeros, garbage, or bytes of two writes). */
    public static Optional<Origin> decode(long word) {
        long body = word >>> CHECK_BITS;
        if ((word & mask(CHECK_BITS)) != check(body) || word == 0) {
            return Optional.empty();
        }
        long tag = body >>> (WRITE_BITS + WORD_BITS);
        long write = (body >>> WORD_BITS) & mask(WRITE_BITS);
        long index = body & mask(WORD_BITS);
        if (tag == 0 || write == 0) {
            return Optional.empty();
        }
        return Optional.of(new Origin(tag, write, index));
    }

    /** The tag a file's words carry: the low bits of its inode. */
    public static long tagOf(long inode) {
        return inode & mask(TAG_BITS);
    }

    /** The little-endian word at {@code from} of {@code bytes}. */
    static long wordAt(byte[] bytes, int from) {
        long word = 0;
        for (int i = 7; i >= 0; i--) {
            word = word << 8 | (bytes[from + i] & 0xFF);
        }
        return word;
    }

    private static long check(long body) {
        long z = body * 0x9E3779B97F4A7C15L;
        z ^= z >>> 29;
        z *= 0xBF58476D1CE4E5B9L;
        z ^= z >>> 32;
        return z & mask(CHECK_BITS);
    }

    private static long mask(int bits) {
        return (1L << bits) - 1;
    }
}
