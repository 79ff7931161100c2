package dev.writebackd.config;

import static java.util.Objects.requireNonNull;

/** When a write is answered ({@code writebackd.writeback.durability}, overridable per write). */
public enum Durability {
    /** At once; the data is durable at the next successful fsync. The default. */
    CACHED,
    /** Once the data is persisted in the journal, so it survives a crash without fsync. */
    JOURNALED,
    /** Once the data is written back, the device flushed and the metadata committed, like O_DSYNC. */
    SYNCED;

    static final String KEY = "writebackd.writeback.durability";

    /** The name used in configuration: {@code cached}, {@code journaled} or {@code synced}. */
    public String configName() {
        return Validation.configName(this);
    }

    /**
     * The durability with this configuration name.
     *
     * @throws SettingsException if no durability has that name
     */
    public static Durability parse(String name) {
        return Validation.oneOf(KEY, requireNonNull(name, "name"), values());
    }
}
