package dev.writebackd.daemon;

import java.util.Locale;

/**
 * How the daemon's log lines look: {@code text}, readable lines (the default), or {@code json},
 * one JSON object per line. Chosen with {@code --log-format} or the environment variable
 * {@value #ENV}; the flag wins.
 */
public enum LogFormat {
    /** Readable lines: time, level, logger, message. */
    TEXT,
    /** One JSON object per line (Logback's {@code JsonEncoder}). */
    JSON;

    /** The environment variable that chooses the format when the flag is absent. */
    public static final String ENV = "WRITEBACKD_LOG_FORMAT";
    /** The system property through which {@code logback.xml} picks its appender. */
    static final String PROPERTY = "writebackd.log.format";

    /**
     * The format given by the flag, else by the environment variable, else {@link #TEXT}.
     *
     * @param flag the flag's value, or {@code null}
     * @param env the environment variable's value, or {@code null}
     * @throws StartupException naming the variable when its value is neither {@code text} nor {@code json}
     */
    public static LogFormat choose(LogFormat flag, String env) {
        if (flag != null) {
            return flag;
        }
        if (env == null || env.isBlank()) {
            return TEXT;
        }
        try {
            return valueOf(env.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw StartupException.usage(ENV + "=" + env + " is invalid: allowed text, json", e);
        }
    }

    /** Makes {@code logback.xml} use this format; effective only before the first logger is created. */
    void install() {
        System.setProperty(PROPERTY, name().toLowerCase(Locale.ROOT));
    }
}
