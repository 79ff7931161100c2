package dev.writebackd.config;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The settings that may change while the engine runs: the writeback policy and the device's queue
 * depth, named by the camelCase keys of the HTTP API ({@code PATCH /v1/policy}).
 *
 * <p>{@link #with} applies a partial change: every value is checked like the configuration file's
 * (the same {@link WritebackPolicy} and {@link Settings} rules), and an unknown key or an invalid
 * value throws a {@link SettingsException} whose key is the camelCase key — the change is then not
 * applied at all. The four thresholds keep the kernel's pairing: setting a ratio zeroes its bytes
 * twin and the reverse (see {@link WritebackPolicy}). Durations are whole milliseconds.
 *
 * @param writeback the writeback policy
 * @param queueDepth bios in flight on the device at once, 1 to 1024
 * @param pageSize the page size, against which the minimum chunk is checked (fixed)
 */
public record RuntimePolicy(WritebackPolicy writeback, int queueDepth, int pageSize) {
    /** Every key, in the order {@link #toMap()} lists them. */
    public static final List<String> KEYS = List.of("dirtyBackgroundRatio", "dirtyBackgroundBytes", "dirtyRatio",
            "dirtyBytes", "dirtyExpireMs", "writebackIntervalMs", "errorPolicy", "retryLimit", "durability",
            "maxBioSegments", "queueDepth", "minChunkBytes", "commitIntervalMs");

    /** Validates. */
    public RuntimePolicy {
        requireNonNull(writeback, "writeback");
        Validation.between("queueDepth", queueDepth, 1, 1024);
        Validation.positiveMultiple("minChunkBytes", writeback.minChunkBytes(), "page size", pageSize);
    }

    /** The run-time part of {@code settings}. */
    public static RuntimePolicy of(Settings settings) {
        requireNonNull(settings, "settings");
        return new RuntimePolicy(settings.writeback(), settings.device().queueDepth(), settings.pageCache().pageSize());
    }

    /** Every key with its value: numbers, and the configuration names of the error policy and durability. */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("dirtyBackgroundRatio", writeback.dirtyBackgroundRatio());
        map.put("dirtyBackgroundBytes", writeback.dirtyBackgroundBytes());
        map.put("dirtyRatio", writeback.dirtyRatio());
        map.put("dirtyBytes", writeback.dirtyBytes());
        map.put("dirtyExpireMs", writeback.dirtyExpireInterval().toMillis());
        map.put("writebackIntervalMs", writeback.writebackInterval().toMillis());
        map.put("errorPolicy", writeback.errorPolicy().configName());
        map.put("retryLimit", writeback.retryLimit());
        map.put("durability", writeback.durability().configName());
        map.put("maxBioSegments", writeback.maxBioSegments());
        map.put("queueDepth", queueDepth);
        map.put("minChunkBytes", writeback.minChunkBytes());
        map.put("commitIntervalMs", writeback.commitInterval().toMillis());
        return map;
    }

    /**
     * This policy with {@code changes} applied in their order.
     *
     * @param changes camelCase keys to values: {@link Number}s for numeric keys, {@link String}s for
     *     {@code errorPolicy} and {@code durability}
     * @throws SettingsException naming the (camelCase) key of the first unknown key or invalid value
     */
    public RuntimePolicy with(Map<String, ?> changes) {
        requireNonNull(changes, "changes");
        RuntimePolicy result = this;
        for (Map.Entry<String, ?> change : changes.entrySet()) {
            result = result.with(change.getKey(), change.getValue());
        }
        return result;
    }

    /** The keys whose values differ between this policy and {@code other}, in {@link #KEYS} order. */
    public Set<String> changedKeys(RuntimePolicy other) {
        Map<String, Object> mine = toMap();
        Map<String, Object> theirs = other.toMap();
        Set<String> changed = new TreeSet<>((a, b) -> KEYS.indexOf(a) - KEYS.indexOf(b));
        KEYS.forEach(key -> {
            if (!mine.get(key).equals(theirs.get(key))) {
                changed.add(key);
            }
        });
        return changed;
    }

    private RuntimePolicy with(String key, Object value) {
        try {
            return switch (key) {
                case "dirtyBackgroundRatio" -> policy(w -> w.withDirtyBackgroundRatio(ratio(key, value)));
                case "dirtyBackgroundBytes" -> policy(w -> w.withDirtyBackgroundBytes(bytes(key, value)));
                case "dirtyRatio" -> policy(w -> w.withDirtyRatio(ratio(key, value)));
                case "dirtyBytes" -> policy(w -> w.withDirtyBytes(bytes(key, value)));
                case "dirtyExpireMs" -> policy(w -> w.withDirtyExpireInterval(millis(key, value)));
                case "writebackIntervalMs" -> policy(w -> w.withWritebackInterval(millis(key, value)));
                case "errorPolicy" -> policy(w -> w.withErrorPolicy(ErrorPolicy.parse(text(key, value))));
                case "retryLimit" -> policy(w -> w.withRetryLimit(integer(key, value)));
                case "durability" -> policy(w -> w.withDurability(Durability.parse(text(key, value))));
                case "maxBioSegments" -> policy(w -> w.withMaxBioSegments(integer(key, value)));
                case "queueDepth" -> new RuntimePolicy(writeback, integer(key, value), pageSize);
                case "minChunkBytes" -> policy(w -> w.withMinChunkBytes(bytes(key, value)));
                case "commitIntervalMs" -> policy(w -> w.withCommitInterval(millis(key, value)));
                default -> throw new SettingsException(key, Validation.render(String.valueOf(value)),
                        "only the keys " + String.join(", ", KEYS));
            };
        } catch (SettingsException e) {
            if (e.key().equals(key)) {
                throw e;
            }
            // a check of the configuration file's key: reported under the key the caller used
            throw new SettingsException(key, Validation.render(value), e.allowed(), e);
        }
    }

    private RuntimePolicy policy(java.util.function.UnaryOperator<WritebackPolicy> change) {
        return new RuntimePolicy(change.apply(writeback), queueDepth, pageSize);
    }

    private static double ratio(String key, Object value) {
        if (!(value instanceof Number number) || !Double.isFinite(number.doubleValue())) {
            throw new SettingsException(key, Validation.render(value), "a percentage from 0 to 100");
        }
        return number.doubleValue();
    }

    private static long bytes(String key, Object value) {
        return whole(key, value, "a whole number of bytes, 0 or more", Long.MAX_VALUE);
    }

    private static Duration millis(String key, Object value) {
        return Duration.ofMillis(whole(key, value, "a whole number of milliseconds, 0 or more", Long.MAX_VALUE / 1_000_000));
    }

    private static int integer(String key, Object value) {
        return (int) whole(key, value, "a whole number", Integer.MAX_VALUE);
    }

    /** A non-negative whole number up to {@code max}, however the JSON parser typed it. */
    private static long whole(String key, Object value, String allowed, long max) {
        BigDecimal decimal = null;
        if (value instanceof Integer || value instanceof Long || value instanceof Short) {
            decimal = BigDecimal.valueOf(((Number) value).longValue());
        } else if (value instanceof BigInteger big) {
            decimal = new BigDecimal(big);
        } else if (value instanceof BigDecimal big) {
            decimal = big;
        } else if ((value instanceof Double || value instanceof Float) && Double.isFinite(((Number) value).doubleValue())) {
            decimal = BigDecimal.valueOf(((Number) value).doubleValue());
        }
        boolean valid = decimal != null && decimal.signum() >= 0 && decimal.stripTrailingZeros().scale() <= 0
                && decimal.compareTo(BigDecimal.valueOf(max)) <= 0;
        if (!valid) {
            throw new SettingsException(key, Validation.render(value), allowed + (max < Long.MAX_VALUE ? " up to " + max : ""));
        }
        return decimal.longValueExact();
    }

    private static String text(String key, Object value) {
        if (!(value instanceof String text)) {
            throw new SettingsException(key, Validation.render(value), "a name in quotes");
        }
        return text;
    }
}
