package dev.writebackd.daemon.ctl;

import java.net.URI;

/**
 * No daemon answers at the URL (connection refused, unknown host, the connection dropped before an
 * answer). {@code ctl} prints one line naming the URL and exits with
 * {@link CtlCommand#EXIT_UNREACHABLE}.
 */
public final class DaemonUnreachable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The daemon at {@code url} could not be reached, because of {@code cause}. */
    public DaemonUnreachable(URI url, Throwable cause) {
        super("no writebackd daemon answers at " + url + " (" + describe(cause) + ")", cause);
    }

    private static String describe(Throwable cause) {
        String message = cause.getMessage();
        String kind = cause instanceof java.net.ConnectException ? "connection refused"
                : cause.getClass().getSimpleName();
        return message == null || message.isBlank() ? kind : kind + ": " + message;
    }
}
