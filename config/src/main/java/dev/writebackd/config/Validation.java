package dev.writebackd.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The checks shared by the settings records; each failure is a {@link SettingsException}. */
final class Validation {

    private Validation() {
    }

    static void require(boolean valid, String key, Object value, String allowed) {
        if (!valid) {
            throw new SettingsException(key, render(value), allowed);
        }
    }

    static void between(String key, int value, int min, int max) {
        require(value >= min && value <= max, key, value, "an integer from " + min + " to " + max);
    }

    static void ratio(String key, double value) {
        // written so that NaN fails too
        require(value >= 0 && value <= 100, key, value, "a percentage from 0 to 100");
    }

    static void nonNegative(String key, long value) {
        require(value >= 0, key, value, "0 or more bytes");
    }

    static void positive(String key, long value) {
        require(value > 0, key, value, "more than 0 bytes");
    }

    static void positiveMultiple(String key, long value, String unitName, int unit) {
        require(value > 0 && value % unit == 0, key, value,
                "a positive multiple of the " + unitName + " (" + unit + " bytes)");
    }

    static void nonNegative(String key, Duration value) {
        require(!value.isNegative(), key, value, "a duration of 0 or more");
    }

    static void positive(String key, Duration value) {
        require(!value.isNegative() && !value.isZero(), key, value, "a duration above 0");
    }

    /** The name of an enum constant in configuration: its Java name in lower case. */
    static String configName(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT);
    }

    /** The constant of {@code constants} whose {@linkplain #configName config name} is {@code name}. */
    static <E extends Enum<E>> E oneOf(String key, String name, E[] constants) {
        return Arrays.stream(constants)
                .filter(constant -> configName(constant).equals(name))
                .findFirst()
                .orElseThrow(() -> new SettingsException(key, render(name),
                        Arrays.stream(constants).map(Validation::configName).collect(Collectors.joining(", "))));
    }

    /** A value as it would be written in HOCON: strings quoted, durations with a unit. */
    static String render(Object value) {
        if (value instanceof Duration duration) {
            return render(duration);
        }
        if (value instanceof Double number && number == Math.rint(number) && !number.isInfinite()) {
            return Long.toString(number.longValue());
        }
        if (value instanceof String || value instanceof Path) {
            return '"' + value.toString() + '"';
        }
        return String.valueOf(value);
    }

    private static String render(Duration duration) {
        if (duration.getNano() == 0) {
            return duration.getSeconds() + " s";
        }
        if (duration.getNano() % 1_000_000 == 0) {
            return duration.toMillis() + " ms";
        }
        return duration.toNanos() + " ns";
    }
}
