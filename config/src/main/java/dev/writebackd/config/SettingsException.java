package dev.writebackd.config;

import static java.util.Objects.requireNonNull;

/**
 * A setting with an invalid value: out of range, of the wrong type, or inconsistent with another
 * setting. The message names the full key, the value and what is allowed, for example
 * {@code writebackd.device.block-size = 3000 is invalid: allowed 512, 1024, 2048, 4096}.
 */
public final class SettingsException extends RuntimeException {

    private final String key;
    private final String value;
    private final String allowed;

    /**
     * @param key the full key, such as {@code writebackd.device.block-size}
     * @param value the rejected value as the user would write it
     * @param allowed what the key accepts, phrased to follow the word "allowed"
     */
    public SettingsException(String key, String value, String allowed) {
        this(key, value, allowed, null);
    }

    /**
     * @param key the full key, such as {@code writebackd.device.block-size}
     * @param value the rejected value as the user would write it
     * @param allowed what the key accepts, phrased to follow the word "allowed"
     * @param cause the underlying failure, such as a {@code ConfigException}, or {@code null}
     */
    public SettingsException(String key, String value, String allowed, Throwable cause) {
        super(requireNonNull(key, "key") + " = " + requireNonNull(value, "value")
                + " is invalid: allowed " + requireNonNull(allowed, "allowed"), cause);
        this.key = key;
        this.value = value;
        this.allowed = allowed;
    }

    /** The full key of the invalid setting. */
    public String key() {
        return key;
    }

    /** The rejected value, rendered as it would be written in HOCON. */
    public String value() {
        return value;
    }

    /** A description of the values the key accepts. */
    public String allowed() {
        return allowed;
    }
}
