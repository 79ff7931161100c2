package dev.writebackd.config;

import static java.util.Objects.requireNonNull;

/** How file blocks are mapped to device blocks ({@code writebackd.layout}). */
public enum Layout {
    /** Extent maps persisted in the journal, delayed allocation, ordered mode; the default. */
    EXTENT,
    /** ext2's on-device map blocks and no journal: after a crash only fsync'd data is guaranteed. */
    EXT2;

    static final String KEY = "writebackd.layout";

    /** The name used in configuration: {@code extent} or {@code ext2}. */
    public String configName() {
        return Validation.configName(this);
    }

    /**
     * The layout with this configuration name.
     *
     * @throws SettingsException if no layout has that name
     */
    public static Layout parse(String name) {
        return Validation.oneOf(KEY, requireNonNull(name, "name"), values());
    }
}
