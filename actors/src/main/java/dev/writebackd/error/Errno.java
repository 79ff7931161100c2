package dev.writebackd.error;

/**
 * The POSIX error numbers writebackd reports, with their Linux values. Errors travel through the
 * engine as these constants, never as strings, so the HTTP layer and errseq agree on them.
 */
public enum Errno {
    /** Operation not permitted. */
    EPERM(1),
    /** No such file. */
    ENOENT(2),
    /** Input/output error. */
    EIO(5),
    /** No such device or address. */
    ENXIO(6),
    /** Bad file handle. */
    EBADF(9),
    /** Permission denied (also: missing or wrong token). */
    EACCES(13),
    /** Invalid argument. */
    EINVAL(22),
    /** File too large. */
    EFBIG(27),
    /** No space left on device. */
    ENOSPC(28),
    /** Read-only file system. */
    EROFS(30),
    /** File name too long. */
    ENAMETOOLONG(36),
    /** Operation not supported. */
    ENOTSUP(95),
    /** Cannot send after shutdown. */
    ESHUTDOWN(108),
    /** Timed out. */
    ETIMEDOUT(110),
    /** Stale handle. */
    ESTALE(116),
    /** Disk quota exceeded. */
    EDQUOT(122);

    private final int code;

    Errno(int code) {
        this.code = code;
    }

    /** The Linux errno value. */
    public int code() {
        return code;
    }
}
