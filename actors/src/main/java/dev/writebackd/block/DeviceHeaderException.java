package dev.writebackd.block;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;

/**
 * Block 0 of a device does not hold the header that was expected; {@link #kind()} says why.
 *
 * <p>A {@link Kind#BLANK} device has never been formatted and may be; every other kind means the
 * device holds something else, or something damaged, and must not be written over silently.
 */
public final class DeviceHeaderException extends ErrnoException {
    private static final long serialVersionUID = 1L;

    private final Kind kind;

    /** Creates the exception; the errno is the kind's, or {@code errno} for {@link Kind#IO}. */
    DeviceHeaderException(Kind kind, Errno errno, String message) {
        super(errno, requireNonNull(kind, "kind") + ": " + message);
        this.kind = kind;
    }

    DeviceHeaderException(Kind kind, String message) {
        this(kind, kind.errno, message);
    }

    /** Why the header was refused. */
    public Kind kind() {
        return kind;
    }

    /** The reasons a header is refused. */
    public enum Kind {
        /** Block 0 could not be read or written; the errno is the device's. */
        IO(Errno.EIO),
        /** Block 0 is all zeros: a fresh device that was never formatted. */
        BLANK(Errno.EINVAL),
        /** Block 0 holds something that is not a writebackd header. */
        BAD_MAGIC(Errno.EINVAL),
        /** A writebackd header of a format version this build cannot read. */
        UNSUPPORTED_VERSION(Errno.EINVAL),
        /** A writebackd header whose checksum or fields are wrong: the block is damaged. */
        CORRUPT(Errno.EIO),
        /** The header's block size is not the device's. */
        BLOCK_SIZE_MISMATCH(Errno.EINVAL),
        /** The header's device size is not the device's. */
        SIZE_MISMATCH(Errno.EINVAL),
        /** The header names another layout than the one expected. */
        LAYOUT_MISMATCH(Errno.EINVAL),
        /** The header's id is not the one the journal recorded: another device. */
        ID_MISMATCH(Errno.EINVAL);

        private final Errno errno;

        Kind(Errno errno) {
            this.errno = errno;
        }

        /** The errno reported for this kind (for {@link #IO}, the device's own is used). */
        public Errno errno() {
            return errno;
        }
    }
}
