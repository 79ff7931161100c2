package dev.writebackd.block;

import dev.writebackd.error.Errno;
import java.io.Closeable;

/**
 * A block device: a range of 512-byte sectors that bios read and write.
 *
 * <p>{@link #submit} performs one bio synchronously and may block; callers in the engine run it on
 * a dedicated blocking-I/O thread, never on an actor's thread. Implementations must be safe for
 * use by several threads at once (one bio per thread); the order in which bios complete is the
 * order their {@code submit} calls return.
 */
public interface BlockDevice extends Closeable {
    /** Bytes per sector: bios address the device in these units. */
    int SECTOR_SIZE = 512;

    /** The file-system block size (512, 1024, 2048 or 4096). */
    int blockSize();

    /** Device size in bytes (a multiple of the block size). */
    long sizeBytes();

    /** Device size in sectors. */
    default long sectors() {
        return sizeBytes() / SECTOR_SIZE;
    }

    /**
     * Performs {@code bio}: writes its segments, fills them on read, or flushes.
     * Bios that run past the device end are clipped first, and bios that start at or past it fail
     * with EIO ({@link DeviceLimits#clip}, B9).
     *
     * @return {@code null} on success, else the error that failed the whole bio
     */
    Errno submit(Bio bio);

    /** Releases the device. */
    @Override
    void close();
}
