package dev.writebackd.block.fault;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One fault rule: what to do to a bio ({@link #action()}), to which bios (op, sectors, file,
 * probability, every Nth, after the first N) and when (count, duration, up/down windows).
 * Immutable and valid once built; {@link #fromJson} reads the JSON form of the HTTP API and the
 * configuration, {@link #toJson} writes it back.
 *
 * <p>Absent fields take these values: {@code op} {@link FaultOp#ANY}; {@code errno} EIO for
 * {@code error}, {@code torn} and {@code badblock}; no sector range (all sectors); no file;
 * {@code probability} 1; {@code every} 1; {@code after} 0; {@code count} 0 (no limit);
 * {@code durationMs} 0 (no end); {@code upMs}/{@code downMs} 0 (no windows); {@code delayMaxMs}
 * equal to {@code delayMs}; {@code tornOutcome} {@code error}; {@code corruptOffset} and
 * {@code corruptValue} -1 (seeded random); no {@code seed} (derived from the run seed).
 * A field that means nothing for the action (a {@code delayMs} on an {@code error} rule, say) is
 * refused, so a mistyped rule never silently does something else.
 *
 * @param op which operations the rule looks at
 * @param action what it does
 * @param errno the error for {@code error}, {@code torn} (with outcome error) and {@code badblock}; otherwise null
 * @param sectors the sector range [FIRST, LAST] a bio must overlap, or null for every sector
 * @param file the name of the file whose bios the rule looks at, or null for every bio
 * @param probability the chance, 0 to 1, that a bio that qualifies is acted on
 * @param every act on every Nth qualifying bio (1: each)
 * @param after let the first N qualifying bios pass
 * @param count act at most this many times (0: no limit)
 * @param durationMs act only this long after the rule was added (0: no end)
 * @param upMs with {@code downMs}: repeating windows, first {@code upMs} passing bios, then
 *     {@code downMs} acting on them (like dm-flakey); both 0 for no windows
 * @param downMs see {@code upMs}
 * @param delayMs for {@code delay}: the delay, or the least delay when {@code delayMaxMs} is larger
 * @param delayMaxMs for {@code delay}: the largest delay (uniform between the two)
 * @param tornOutcome for {@code torn}: whether the torn bio then fails or succeeds; otherwise null
 * @param corruptOffset for {@code corrupt}: the byte of the bio to change, or -1 for a seeded random one
 * @param corruptValue for {@code corrupt}: the value to write there (0 to 255), or -1 to flip it by a seeded random non-zero mask
 * @param badSectors for {@code badblock}: the bad sectors; otherwise empty
 * @param seed the rule's own random seed, or null to derive one from the run seed
 */
public record FaultRule(FaultOp op, FaultAction action, Errno errno, SectorRange sectors, String file,
        double probability, long every, long after, long count, long durationMs, long upMs, long downMs,
        long delayMs, long delayMaxMs, TornOutcome tornOutcome, long corruptOffset, int corruptValue,
        List<Long> badSectors, Long seed) {

    /** The JSON field names, in the order {@link #toJson} writes them. */
    public static final List<String> FIELDS = List.of("op", "action", "errno", "sectors", "file", "probability",
            "every", "after", "count", "durationMs", "upMs", "downMs", "delayMs", "delayMaxMs", "tornOutcome",
            "corruptOffset", "corruptValue", "badSectors", "seed");

    /** Validates; an invalid field throws {@link InvalidRuleException} naming it. */
    public FaultRule {
        requireNonNull(op, "op");
        requireNonNull(action, "action");
        badSectors = List.copyOf(requireNonNull(badSectors, "badSectors"));
        RuleChecks.check(op, action, errno, sectors, file, probability, every, after, count, durationMs, upMs, downMs,
                delayMs, delayMaxMs, tornOutcome, corruptOffset, corruptValue, badSectors);
    }

    /** An inclusive range of sectors, [{@code first}, {@code last}]. */
    public record SectorRange(long first, long last) {
        /** Validates. */
        public SectorRange {
            if (first < 0 || last < first) {
                throw new InvalidRuleException("sectors", "[" + first + ", " + last + "]",
                        "[FIRST, LAST] with 0 <= FIRST <= LAST");
            }
        }

        /** Whether sectors [{@code start}, {@code end}) overlap this range. */
        public boolean overlaps(long start, long end) {
            return start <= last && end > first;
        }
    }

    /** What a torn write does after its prefix is written. */
    public enum TornOutcome {
        /** The bio fails with the rule's errno. */
        ERROR,
        /** The bio reports success. */
        SUCCESS;

        /** {@code error} or {@code success}. */
        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Reads a rule from its JSON form: field names as in {@link #FIELDS}, values as JSON parsers and
     * HOCON unwrap them (numbers, strings, lists of numbers). Only {@code action} is required.
     *
     * @throws InvalidRuleException naming the first unknown field or invalid value
     */
    public static FaultRule fromJson(Map<String, ?> json) {
        return RuleParser.parse(json);
    }

    /** This rule with {@code seed} as its seed. */
    public FaultRule withSeed(long seed) {
        return new FaultRule(op, action, errno, sectors, file, probability, every, after, count, durationMs, upMs,
                downMs, delayMs, delayMaxMs, tornOutcome, corruptOffset, corruptValue, badSectors, seed);
    }

    /** The JSON form: {@code op} and {@code action}, then each other field that differs from its default. */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("op", op.jsonName());
        json.put("action", action.jsonName());
        if (errno != null) {
            json.put("errno", errno.name());
        }
        if (sectors != null) {
            json.put("sectors", List.of(sectors.first(), sectors.last()));
        }
        if (file != null) {
            json.put("file", file);
        }
        if (probability != 1.0) {
            json.put("probability", probability);
        }
        putIf(json, "every", every, every != 1);
        putIf(json, "after", after, after != 0);
        putIf(json, "count", count, count != 0);
        putIf(json, "durationMs", durationMs, durationMs != 0);
        putIf(json, "upMs", upMs, downMs != 0);
        putIf(json, "downMs", downMs, downMs != 0);
        if (action == FaultAction.DELAY) {
            json.put("delayMs", delayMs);
            putIf(json, "delayMaxMs", delayMaxMs, delayMaxMs != delayMs);
        }
        if (tornOutcome != null) {
            json.put("tornOutcome", tornOutcome.jsonName());
        }
        putIf(json, "corruptOffset", corruptOffset, corruptOffset >= 0);
        putIf(json, "corruptValue", (long) corruptValue, corruptValue >= 0);
        if (!badSectors.isEmpty()) {
            json.put("badSectors", new ArrayList<>(badSectors));
        }
        if (seed != null) {
            json.put("seed", seed);
        }
        return json;
    }

    private static void putIf(Map<String, Object> json, String key, long value, boolean present) {
        if (present) {
            json.put(key, value);
        }
    }
}
