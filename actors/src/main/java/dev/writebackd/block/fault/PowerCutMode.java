package dev.writebackd.block.fault;

import java.util.Locale;
import java.util.Optional;

/** What a power cut leaves of a {@link VolatileCacheDevice}'s unflushed sectors. */
public enum PowerCutMode {
    /** Every unflushed sector is lost: the device holds exactly what was flushed. */
    DROP_UNFLUSHED,
    /**
     * A seeded subset of the unflushed sectors reaches the device, the rest is lost: torn and
     * reordered writes at sector granularity.
     */
    RANDOM;

    /** The name used in JSON and on the command line: {@code drop-unflushed} or {@code random}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The mode named {@code name} ({@link #wireName()} form), or empty if there is none. */
    public static Optional<PowerCutMode> fromWireName(String name) {
        for (PowerCutMode mode : values()) {
            if (mode.wireName().equals(name)) {
                return Optional.of(mode);
            }
        }
        return Optional.empty();
    }
}
