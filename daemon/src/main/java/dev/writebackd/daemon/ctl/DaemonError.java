package dev.writebackd.daemon.ctl;

/**
 * The daemon answered a request with an error: its HTTP status and the errno and message of its
 * JSON body ({@code {"errno": "EIO", "message": "..."}}). {@code ctl} prints {@code errno: message}
 * and exits with {@link CtlCommand#EXIT_DAEMON_ERROR}.
 */
public final class DaemonError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String errno;

    /** An error answered with HTTP {@code status}. */
    public DaemonError(int status, String errno, String message) {
        super(message);
        this.status = status;
        this.errno = errno;
    }

    /** The HTTP status of the answer. */
    public int status() {
        return status;
    }

    /** The errno the daemon named, such as {@code ENOENT}. */
    public String errno() {
        return errno;
    }

    /** {@code errno: message}, the line {@code ctl} prints. */
    public String line() {
        return errno + ": " + getMessage();
    }
}
