package dev.writebackd.error;

import static java.util.Objects.requireNonNull;

/** An operation failed with an {@link Errno}; the message says what and why. */
public class ErrnoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Errno errno;

    /** Creates an exception for {@code errno} with a human-readable message. */
    public ErrnoException(Errno errno, String message) {
        super(requireNonNull(errno, "errno") + ": " + message);
        this.errno = errno;
    }

    /** The error number. */
    public Errno errno() {
        return errno;
    }
}
