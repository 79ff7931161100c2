package dev.writebackd.block.fault;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Reads a {@link FaultRule} from its JSON form ({@link FaultRule#fromJson}). Stateless. */
final class RuleParser {
    private static final String ACTIONS = "error, drop, corrupt, delay, stall, torn or badblock";
    private RuleParser() {}

    static FaultRule parse(Map<String, ?> json) {
        requireNonNull(json, "json");
        for (Map.Entry<String, ?> field : json.entrySet()) {
            if (!FaultRule.FIELDS.contains(field.getKey())) {
                throw new InvalidRuleException(String.valueOf(field.getKey()), render(field.getValue()),
                        "only the fields " + String.join(", ", FaultRule.FIELDS));
            }
            if (field.getValue() == null) {
                throw new InvalidRuleException(field.getKey(), "null", "a value; leave the field out for its default");
            }
        }
        if (!json.containsKey("action")) {
            throw new InvalidRuleException("action", "(absent)", ACTIONS + "; the field is required");
        }
        FaultAction action = action(json.get("action"));
        onlyFor(json, action, "errno", FaultAction.ERROR, FaultAction.TORN, FaultAction.BADBLOCK);
        onlyFor(json, action, "delayMs", FaultAction.DELAY);
        onlyFor(json, action, "delayMaxMs", FaultAction.DELAY);
        onlyFor(json, action, "tornOutcome", FaultAction.TORN);
        onlyFor(json, action, "corruptOffset", FaultAction.CORRUPT);
        onlyFor(json, action, "corruptValue", FaultAction.CORRUPT);
        onlyFor(json, action, "badSectors", FaultAction.BADBLOCK);
        if (action == FaultAction.DELAY && !json.containsKey("delayMs")) {
            throw new InvalidRuleException("delayMs", "(absent)", "milliseconds, 0 or more, required for action delay");
        }
        boolean takesErrno = action == FaultAction.ERROR || action == FaultAction.TORN || action == FaultAction.BADBLOCK;
        long delayMs = whole(json, "delayMs", 0);
        return new FaultRule(
                json.containsKey("op") ? op(json.get("op")) : FaultOp.ANY,
                action,
                json.containsKey("errno") ? errno(json.get("errno")) : takesErrno ? Errno.EIO : null,
                json.containsKey("sectors") ? sectors(json.get("sectors")) : null,
                json.containsKey("file") ? text("file", json.get("file")) : null,
                json.containsKey("probability") ? probability(json.get("probability")) : 1.0,
                whole(json, "every", 1),
                whole(json, "after", 0),
                whole(json, "count", 0),
                whole(json, "durationMs", 0),
                whole(json, "upMs", 0),
                whole(json, "downMs", 0),
                delayMs,
                whole(json, "delayMaxMs", delayMs),
                json.containsKey("tornOutcome") ? tornOutcome(json.get("tornOutcome"))
                        : action == FaultAction.TORN ? FaultRule.TornOutcome.ERROR : null,
                whole(json, "corruptOffset", -1),
                (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, whole(json, "corruptValue", -1))),
                json.containsKey("badSectors") ? badSectors(json.get("badSectors")) : List.of(),
                json.containsKey("seed") ? whole("seed", json.get("seed"), Long.MIN_VALUE) : null);
    }

    private static void onlyFor(Map<String, ?> json, FaultAction action, String field, FaultAction... actions) {
        Set<FaultAction> allowed = EnumSet.of(actions[0], actions);
        if (json.containsKey(field) && !allowed.contains(action)) {
            throw new InvalidRuleException(field, render(json.get(field)), "only with action"
                    + (actions.length > 1 ? "s " : " ") + String.join(", ", allowed.stream().map(FaultAction::jsonName)
                            .toList()) + ", not " + action.jsonName());
        }
    }

    private static FaultAction action(Object value) {
        FaultAction action = value instanceof String name ? FaultAction.named(name) : null;
        if (action == null) {
            throw new InvalidRuleException("action", render(value), ACTIONS);
        }
        return action;
    }

    private static FaultOp op(Object value) {
        FaultOp op = value instanceof String name ? FaultOp.named(name) : null;
        if (op == null) {
            throw new InvalidRuleException("op", render(value), "read, write, flush or any");
        }
        return op;
    }

    private static Errno errno(Object value) {
        if (value instanceof String name) {
            try {
                return Errno.valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                // refused below, with the list
            }
        }
        throw new InvalidRuleException("errno", render(value), "an errno name: "
                + String.join(", ", java.util.Arrays.stream(Errno.values()).map(Errno::name).toList()));
    }

    private static FaultRule.TornOutcome tornOutcome(Object value) {
        if (value instanceof String name) {
            for (FaultRule.TornOutcome outcome : FaultRule.TornOutcome.values()) {
                if (outcome.jsonName().equalsIgnoreCase(name)) {
                    return outcome;
                }
            }
        }
        throw new InvalidRuleException("tornOutcome", render(value), "error or success");
    }

    private static String text(String field, Object value) {
        if (!(value instanceof String text)) {
            throw new InvalidRuleException(field, render(value), "a string");
        }
        return text;
    }

    private static double probability(Object value) {
        if (!(value instanceof Number number) || !(number.doubleValue() >= 0 && number.doubleValue() <= 1)) {
            throw new InvalidRuleException("probability", render(value), "a number from 0 to 1");
        }
        return number.doubleValue();
    }

    private static FaultRule.SectorRange sectors(Object value) {
        if (!(value instanceof List<?> list) || list.size() != 2) {
            throw new InvalidRuleException("sectors", render(value), "[FIRST, LAST], sector numbers");
        }
        try {
            return new FaultRule.SectorRange(whole("sectors", list.get(0), 0), whole("sectors", list.get(1), 0));
        } catch (InvalidRuleException e) {
            throw new InvalidRuleException("sectors", render(value), "[FIRST, LAST] with 0 <= FIRST <= LAST");
        }
    }

    private static List<Long> badSectors(Object value) {
        if (!(value instanceof List<?> list) || list.isEmpty()) {
            throw new InvalidRuleException("badSectors", render(value), "a non-empty list of sector numbers");
        }
        List<Long> sectors = new ArrayList<>();
        for (Object sector : list) {
            try {
                sectors.add(whole("badSectors", sector, 0));
            } catch (InvalidRuleException e) {
                throw new InvalidRuleException("badSectors", render(value), "a non-empty list of sector numbers, 0 or more");
            }
        }
        return sectors;
    }

    private static long whole(Map<String, ?> json, String field, long fallback) {
        return json.containsKey(field) ? whole(field, json.get(field), 0) : fallback;
    }

    /** A whole number of at least {@code min}, however the parser typed it. */
    static long whole(String field, Object value, long min) {
        BigDecimal decimal = null;
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            decimal = BigDecimal.valueOf(((Number) value).longValue());
        } else if (value instanceof BigInteger big) {
            decimal = new BigDecimal(big);
        } else if (value instanceof BigDecimal big) {
            decimal = big;
        } else if ((value instanceof Double || value instanceof Float) && Double.isFinite(((Number) value).doubleValue())) {
            decimal = BigDecimal.valueOf(((Number) value).doubleValue());
        }
        boolean valid = decimal != null && decimal.stripTrailingZeros().scale() <= 0
                && decimal.compareTo(BigDecimal.valueOf(min)) >= 0
                && decimal.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0;
        if (!valid) {
            throw new InvalidRuleException(field, render(value), min == 0 ? "a whole number, 0 or more" : "a whole number");
        }
        return decimal.longValueExact();
    }

    private static String render(Object value) {
        return InvalidRuleException.render(value);
    }
}
