package dev.writebackd.mpage;

import java.util.Arrays;

/**
 * What a file should contain: its bytes and its size, changed by writes and truncates only. Bytes
 * past the size are always zero, so a grow or a write past the end leaves a hole of zeros.
 */
final class FileModel {
    private byte[] bytes = new byte[0];
    private long size;

    long size() {
        return size;
    }

    void write(long offset, byte[] data) {
        long end = offset + data.length;
        ensure(end);
        System.arraycopy(data, 0, bytes, (int) offset, data.length);
        size = Math.max(size, end);
    }

    void truncate(long newSize) {
        if (newSize < Math.min(size, bytes.length)) {
            Arrays.fill(bytes, (int) newSize, (int) Math.min(size, bytes.length), (byte) 0);
        }
        size = newSize;
    }

    /** The bytes {@code [offset, offset + length)}, cut at the size, like a read. */
    byte[] read(long offset, int length) {
        int n = (int) Math.max(0, Math.min(length, size - offset));
        byte[] out = new byte[n];
        if (n > 0) {
            ensure(offset + n);
            System.arraycopy(bytes, (int) offset, out, 0, n);
        }
        return out;
    }

    private void ensure(long end) {
        if (end > bytes.length) {
            bytes = Arrays.copyOf(bytes, (int) Math.max(end, Math.min(Integer.MAX_VALUE - 8, bytes.length * 2L)));
        }
    }
}
