package dev.writebackd.daemon;

/** The exit statuses of {@code writebackd.jar} run as the daemon, for scripts and service managers. */
public final class ExitCodes {
    /** Stopped after writing back every dirty page. */
    public static final int OK = 0;
    /** Could not start: the data directory, the device, the journal or the port (one line on stderr says which). */
    public static final int FAILURE = 1;
    /** Invalid flag, configuration file, preset or setting (one line on stderr names it); nothing was touched. */
    public static final int USAGE = 2;
    /** Stopped, but the drain could not write back everything; the log names the files and ranges. */
    public static final int DRAIN_INCOMPLETE = 3;

    private ExitCodes() {}
}
