package dev.writebackd.block;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Set;

/**
 * One device request: an operation on consecutive 512-byte sectors starting at
 * {@code startSector}, with up to {@link #MAX_SEGMENTS} segments.
 *
 * <p>Immutable once built. {@code inode} names the file whose pages it carries (0 for metadata and
 * device-wide requests) so completion can route the result.
 *
 * @param op what to do
 * @param startSector first 512-byte sector
 * @param segments the data, in device order (empty for {@link BioOp#FLUSH})
 * @param flags request flags
 * @param inode the owning file, or 0
 */
public record Bio(BioOp op, long startSector, List<Segment> segments, Set<BioFlag> flags, long inode) {
    /** BIO_MAX_VECS: the most segments one bio may hold. */
    public static final int MAX_SEGMENTS = 256;

    /** Validates and freezes the bio. */
    public Bio {
        requireNonNull(op, "op");
        segments = List.copyOf(requireNonNull(segments, "segments"));
        flags = Set.copyOf(requireNonNull(flags, "flags"));
        if (startSector < 0) {
            throw new IllegalArgumentException("negative start sector " + startSector);
        }
        if (segments.size() > MAX_SEGMENTS) {
            throw new IllegalArgumentException(segments.size() + " segments exceed " + MAX_SEGMENTS);
        }
        if ((op == BioOp.FLUSH) != segments.isEmpty()) {
            throw new IllegalArgumentException(op + " with " + segments.size() + " segments");
        }
    }

    /** A device cache flush. */
    public static Bio flush(Set<BioFlag> flags) {
        return new Bio(BioOp.FLUSH, 0, List.of(), flags, 0);
    }

    /** Total length in bytes. */
    public long lengthBytes() {
        long total = 0;
        for (Segment s : segments) {
            total += s.length();
        }
        return total;
    }

    /** Number of 512-byte sectors covered. */
    public long sectorCount() {
        return lengthBytes() / BlockDevice.SECTOR_SIZE;
    }

    /** The first sector after this bio. */
    public long endSector() {
        return startSector + sectorCount();
    }
}
