package dev.writebackd.config;

import static java.util.Objects.requireNonNull;

/**
 * What happens to a page whose write failed ({@code writebackd.writeback.error-policy}). Every policy
 * records the error in errseq.
 */
public enum ErrorPolicy {
    /** As Linux does: the page is left clean and the error is reported once per handle; the default. */
    LINUX,
    /** The page stays dirty and is retried with exponential backoff up to a limit, then as {@link #LINUX}. */
    REDIRTY,
    /** The page is held, never written again, and every fsync of its file fails until it is rewritten or truncated. */
    STICKY;

    static final String KEY = "writebackd.writeback.error-policy";

    /** The name used in configuration: {@code linux}, {@code redirty} or {@code sticky}. */
    public String configName() {
        return Validation.configName(this);
    }

    /**
     * The policy with this configuration name.
     *
     * @throws SettingsException if no policy has that name
     */
    public static ErrorPolicy parse(String name) {
        return Validation.oneOf(KEY, requireNonNull(name, "name"), values());
    }
}
