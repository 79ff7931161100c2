package dev.writebackd.block;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One request handed to the device by a {@link RequestQueue}: the bio to perform, and the bios as
 * they were submitted that it carries.
 *
 * <p>An unmerged request carries exactly its own bio. A merged one performs a single bio covering
 * all the sectors of the bios it carries (same op, flags and inode, segments in sector order);
 * its result is the result of each carried bio, since completion is per original bio.
 *
 * @param bio the bio to perform
 * @param carried the submitted bios it stands for, in submission order (never empty)
 */
public record DeviceRequest(Bio bio, List<Bio> carried) {
    /** Validates and freezes the request. */
    public DeviceRequest {
        requireNonNull(bio, "bio");
        carried = List.copyOf(requireNonNull(carried, "carried"));
        if (carried.isEmpty()) {
            throw new IllegalArgumentException("a request carries at least one bio");
        }
    }

    /** A request performing {@code bio} as submitted. */
    public static DeviceRequest of(Bio bio) {
        return new DeviceRequest(bio, List.of(bio));
    }

    /** Whether this is a device cache flush (a barrier in its queue). */
    public boolean isFlush() {
        return bio.op() == BioOp.FLUSH;
    }

    /** Whether this request carries more than one submitted bio. */
    public boolean isMerged() {
        return carried.size() > 1;
    }
}
