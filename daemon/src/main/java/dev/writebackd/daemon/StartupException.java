package dev.writebackd.daemon;

import static java.util.Objects.requireNonNull;

/**
 * A start-up that cannot go on: its message is the one line printed to stderr, naming the cause,
 * and {@link #exitCode()} is the process's exit status ({@link ExitCodes}).
 */
public final class StartupException extends RuntimeException {
    private final int exitCode;

    private StartupException(int exitCode, String message, Throwable cause) {
        super(requireNonNull(message, "message"), cause);
        this.exitCode = exitCode;
    }

    /** An invalid flag, configuration file, preset or setting: exit status {@link ExitCodes#USAGE}. */
    public static StartupException usage(String message) {
        return new StartupException(ExitCodes.USAGE, message, null);
    }

    /** {@link #usage(String)} caused by {@code cause}. */
    public static StartupException usage(String message, Throwable cause) {
        return new StartupException(ExitCodes.USAGE, message, cause);
    }

    /**
     * Valid settings that the machine cannot honour — a data directory that cannot be written, a
     * port in use, a device that does not fit: exit status {@link ExitCodes#FAILURE}.
     */
    public static StartupException failure(String message, Throwable cause) {
        return new StartupException(ExitCodes.FAILURE, message, cause);
    }

    /** The process's exit status for this failure. */
    public int exitCode() {
        return exitCode;
    }
}
