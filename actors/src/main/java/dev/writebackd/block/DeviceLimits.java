package dev.writebackd.block;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The device's hard limits: its end (B9, W13), the block sizes it supports and the largest file.
 *
 * <p>{@link #clip} is the kernel's end-of-device guard ({@code bio_check_eod} plus
 * {@code guard_bio_eod}): a bio that starts at or past the end fails with EIO; one that runs past
 * the end is cut at the end and, for a read, the part cut off is zeroed in the caller's buffers, so
 * a page straddling the end reads its tail as zeros. Every {@link BlockDevice} applies it in
 * {@code submit}; the page writer may apply it before submission too, clipping is idempotent.
 */
public final class DeviceLimits {
    /** The largest file, in bytes (8 TiB): writes beyond it fail with EFBIG. */
    public static final long MAX_FILE_BYTES = 8L << 40;

    /** The smallest supported block size. */
    public static final int MIN_BLOCK_SIZE = 512;

    /** The largest supported block size (one page). */
    public static final int MAX_BLOCK_SIZE = 4096;

    private DeviceLimits() {}

    /** Whether {@code blockSize} is one of 512, 1024, 2048, 4096. */
    public static boolean isValidBlockSize(int blockSize) {
        return blockSize >= MIN_BLOCK_SIZE && blockSize <= MAX_BLOCK_SIZE
                && Integer.bitCount(blockSize) == 1;
    }

    /**
     * Checks a device geometry: a supported block size and a positive size that is a multiple of it.
     *
     * @throws IllegalArgumentException if either is unsupported
     */
    public static void checkGeometry(int blockSize, long sizeBytes) {
        checkBlockSize(blockSize);
        if (sizeBytes <= 0 || sizeBytes % blockSize != 0) {
            throw new IllegalArgumentException("device size " + sizeBytes
                    + " is not a positive multiple of the block size " + blockSize);
        }
    }

    /** The largest file in blocks of {@code blockSize}: {@link #MAX_FILE_BYTES} / blockSize. */
    public static long maxFileBlocks(int blockSize) {
        checkBlockSize(blockSize);
        return MAX_FILE_BYTES / blockSize;
    }

    private static void checkBlockSize(int blockSize) {
        if (!isValidBlockSize(blockSize)) {
            throw new IllegalArgumentException("unsupported block size " + blockSize);
        }
    }

    /**
     * B9 / W13: fits {@code bio} to a device of {@code deviceSectors} sectors.
     *
     * <p>A flush, and a bio that ends at or before the device end, is {@link Clip.Unchanged}. A bio
     * that starts at or beyond the end is {@link Clip.Failed} with EIO. Otherwise the answer is a
     * {@link Clip.Clipped} bio covering only the sectors before the end: segments wholly past the
     * end are dropped, the one straddling it is cut (its buffer a slice of the original, so reads
     * land in the caller's memory). For a READ, the cut-off bytes of every segment buffer are
     * zeroed now, as the kernel zeroes the truncated tail.
     *
     * @param bio the bio as submitted
     * @param deviceSectors the device size in 512-byte sectors
     */
    public static Clip clip(Bio bio, long deviceSectors) {
        requireNonNull(bio, "bio");
        if (deviceSectors < 0) {
            throw new IllegalArgumentException("negative device size " + deviceSectors);
        }
        if (bio.op() == BioOp.FLUSH) {
            return Clip.Unchanged.INSTANCE;
        }
        if (bio.startSector() >= deviceSectors) {
            return new Clip.Failed(Errno.EIO);
        }
        if (bio.endSector() <= deviceSectors) {
            return Clip.Unchanged.INSTANCE;
        }
        long keepBytes = (deviceSectors - bio.startSector()) * BlockDevice.SECTOR_SIZE;
        List<Segment> kept = new ArrayList<>();
        long offset = 0;
        for (Segment segment : bio.segments()) {
            long keepHere = Math.max(0, Math.min(segment.length(), keepBytes - offset));
            if (keepHere == segment.length()) {
                kept.add(segment);
            } else {
                if (keepHere > 0) {
                    kept.add(cut(segment, (int) keepHere));
                }
                if (bio.op() == BioOp.READ) {
                    zero(segment.buffer(), (int) keepHere, segment.length());
                }
            }
            offset += segment.length();
        }
        Bio clipped = new Bio(bio.op(), bio.startSector(), kept, bio.flags(), bio.inode());
        return new Clip.Clipped(clipped, bio.sectorCount() - clipped.sectorCount());
    }

    private static Segment cut(Segment segment, int length) {
        ByteBuffer buffer = segment.buffer();
        ByteBuffer slice = buffer.slice(buffer.position(), length);
        return new Segment(slice, segment.pageIndex(), segment.slot(), segment.metaBlock());
    }

    /** Zeroes bytes [from, to) relative to the buffer's position, leaving position and limit. */
    private static void zero(ByteBuffer buffer, int from, int to) {
        int base = buffer.position();
        byte[] zeros = new byte[Math.min(to - from, 4096)];
        for (int at = from; at < to; at += zeros.length) {
            buffer.put(base + at, zeros, 0, Math.min(zeros.length, to - at));
        }
    }

    /** What {@link #clip} decided for a bio. */
    public sealed interface Clip {
        /**
         * The bio to perform: the clipped one, or {@code submitted} itself when unchanged.
         *
         * @throws IllegalStateException for {@link Failed}: there is nothing to perform
         */
        default Bio bioFor(Bio submitted) {
            return submitted;
        }

        /** The bio lies within the device: perform it as submitted. */
        enum Unchanged implements Clip {
            /** The only instance. */
            INSTANCE
        }

        /**
         * The bio ran past the device end: perform {@code bio} instead.
         *
         * @param bio the bio cut at the device end (same op, start, flags and inode)
         * @param cutSectors how many sectors were cut off (≥ 1)
         */
        record Clipped(Bio bio, long cutSectors) implements Clip {
            /** Validates the result. */
            public Clipped {
                requireNonNull(bio, "bio");
                if (cutSectors <= 0) {
                    throw new IllegalArgumentException("nothing cut: " + cutSectors);
                }
            }

            @Override
            public Bio bioFor(Bio submitted) {
                return bio;
            }
        }

        /**
         * The bio starts at or past the device end: complete it with {@code errno} (EIO) untouched.
         *
         * @param errno the error to complete the bio with
         */
        record Failed(Errno errno) implements Clip {
            /** Validates the errno. */
            public Failed {
                requireNonNull(errno, "errno");
            }

            @Override
            public Bio bioFor(Bio submitted) {
                throw new IllegalStateException("bio failed at the device end: " + errno);
            }
        }
    }
}
