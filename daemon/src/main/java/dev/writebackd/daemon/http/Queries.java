package dev.writebackd.daemon.http;

import dev.writebackd.config.Durability;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A request's query parameters, checked: a parameter the route does not know, a missing required
 * one, or a value that is not what the route takes fails with EINVAL naming the parameter.
 * Immutable.
 */
final class Queries {
    private final Map<String, String> params;

    private Queries(Map<String, String> params) {
        this.params = params;
    }

    /** {@code params}, refusing any parameter not in {@code allowed}. */
    static Queries of(Map<String, String> params, String... allowed) {
        Set<String> known = Set.of(allowed);
        for (String name : params.keySet()) {
            if (!known.contains(name)) {
                throw invalid("unknown query parameter \"" + name + "\""
                        + (known.isEmpty() ? "; this route takes none" : "; allowed: " + String.join(", ", allowed)));
            }
        }
        return new Queries(Map.copyOf(params));
    }

    /** The non-negative integer {@code name}; EINVAL if missing, not a number or negative. */
    long required(String name) {
        return optional(name).orElseThrow(() -> invalid("query parameter \"" + name + "\" is required"));
    }

    /** The non-negative integer {@code name} if given; EINVAL if not a number or negative. */
    OptionalLong optional(String name) {
        String text = params.get(name);
        if (text == null) {
            return OptionalLong.empty();
        }
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw invalid("query parameter \"" + name + "\" must be an integer, not \"" + text + "\"");
        }
        if (value < 0) {
            throw invalid("query parameter \"" + name + "\" must not be negative: " + value);
        }
        return OptionalLong.of(value);
    }

    /** The {@code durability} parameter if given; EINVAL for an unknown mode. */
    Optional<Durability> durability() {
        String text = params.get("durability");
        if (text == null) {
            return Optional.empty();
        }
        return Arrays.stream(Durability.values()).filter(mode -> mode.configName().equals(text)).findFirst()
                .map(Optional::of)
                .orElseThrow(() -> invalid("query parameter \"durability\" must be one of "
                        + Arrays.stream(Durability.values()).map(Durability::configName).collect(Collectors.joining(", "))
                        + ", not \"" + text + "\""));
    }

    private static ErrnoException invalid(String message) {
        return new ErrnoException(Errno.EINVAL, message);
    }
}
