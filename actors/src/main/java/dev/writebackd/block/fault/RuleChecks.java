package dev.writebackd.block.fault;

import dev.writebackd.block.BioOp;
import dev.writebackd.error.Errno;
import java.util.List;

/** The value checks of {@link FaultRule}: each failure names the field. Stateless. */
final class RuleChecks {
    /** The longest time any field may give (about 34 years), so that sums never overflow. */
    static final long MAX_MS = 1L << 40;
    /** The longest file name a rule may give. */
    static final int MAX_FILE_NAME = 255;

    private RuleChecks() {}

    static void check(FaultOp op, FaultAction action, Errno errno, FaultRule.SectorRange sectors, String file,
            double probability, long every, long after, long count, long durationMs, long upMs, long downMs,
            long delayMs, long delayMaxMs, FaultRule.TornOutcome tornOutcome, long corruptOffset, int corruptValue,
            List<Long> badSectors) {
        checkOp(op, action);
        boolean takesErrno = action == FaultAction.ERROR || action == FaultAction.TORN || action == FaultAction.BADBLOCK;
        if (takesErrno != (errno != null)) {
            throw new InvalidRuleException("errno", errno == null ? "(absent)" : errno.name(), takesErrno
                    ? "an errno name, required for action " + action.jsonName()
                    : "only with actions error, torn and badblock, not " + action.jsonName());
        }
        if (sectors != null && op == FaultOp.FLUSH) {
            throw new InvalidRuleException("sectors", "[" + sectors.first() + ", " + sectors.last() + "]",
                    "only with op read, write or any: a flush covers no sectors");
        }
        if (file != null && (file.isBlank() || file.length() > MAX_FILE_NAME)) {
            throw new InvalidRuleException("file", InvalidRuleException.render(file),
                    "a file name of 1 to " + MAX_FILE_NAME + " characters");
        }
        if (!(probability >= 0 && probability <= 1)) {
            throw new InvalidRuleException("probability", String.valueOf(probability), "a number from 0 to 1");
        }
        atLeast("every", every, 1, Long.MAX_VALUE);
        atLeast("after", after, 0, Long.MAX_VALUE);
        atLeast("count", count, 0, Long.MAX_VALUE);
        atLeast("durationMs", durationMs, 0, MAX_MS);
        atLeast("upMs", upMs, 0, MAX_MS);
        atLeast("downMs", downMs, 0, MAX_MS);
        if (upMs > 0 && downMs == 0) {
            throw new InvalidRuleException("downMs", "(absent)",
                    "1 ms or more with upMs: the window in which the rule acts");
        }
        checkDelay(action, delayMs, delayMaxMs);
        if ((action == FaultAction.TORN) != (tornOutcome != null)) {
            throw new InvalidRuleException("tornOutcome", tornOutcome == null ? "(absent)"
                    : InvalidRuleException.render(tornOutcome.jsonName()), action == FaultAction.TORN
                    ? "error or success, required for action torn" : "only with action torn");
        }
        checkCorrupt(action, corruptOffset, corruptValue);
        checkBadSectors(action, badSectors);
    }

    private static void checkOp(FaultOp op, FaultAction action) {
        if (op == FaultOp.ANY) {
            return;
        }
        BioOp bioOp = BioOp.valueOf(op.name());
        if (!action.affects(bioOp)) {
            throw new InvalidRuleException("op", InvalidRuleException.render(op.jsonName()), "for action "
                    + action.jsonName() + ": any or " + String.join(", ", action.affects().stream()
                            .map(o -> o.name().toLowerCase(java.util.Locale.ROOT)).toList()));
        }
    }

    private static void checkDelay(FaultAction action, long delayMs, long delayMaxMs) {
        if (action != FaultAction.DELAY) {
            if (delayMs != 0 || delayMaxMs != 0) {
                throw new InvalidRuleException(delayMs != 0 ? "delayMs" : "delayMaxMs",
                        String.valueOf(delayMs != 0 ? delayMs : delayMaxMs), "only with action delay");
            }
            return;
        }
        atLeast("delayMs", delayMs, 0, MAX_MS);
        if (delayMaxMs < delayMs || delayMaxMs > MAX_MS) {
            throw new InvalidRuleException("delayMaxMs", String.valueOf(delayMaxMs),
                    "milliseconds from delayMs (" + delayMs + ") to " + MAX_MS);
        }
    }

    private static void checkCorrupt(FaultAction action, long corruptOffset, int corruptValue) {
        if (action != FaultAction.CORRUPT && (corruptOffset != -1 || corruptValue != -1)) {
            throw new InvalidRuleException(corruptOffset != -1 ? "corruptOffset" : "corruptValue",
                    String.valueOf(corruptOffset != -1 ? corruptOffset : corruptValue), "only with action corrupt");
        }
        atLeast("corruptOffset", corruptOffset, -1, Integer.MAX_VALUE);
        atLeast("corruptValue", corruptValue, -1, 255);
    }

    private static void checkBadSectors(FaultAction action, List<Long> badSectors) {
        if ((action == FaultAction.BADBLOCK) == badSectors.isEmpty()) {
            throw new InvalidRuleException("badSectors", badSectors.isEmpty() ? "(absent)" : badSectors.toString(),
                    action == FaultAction.BADBLOCK ? "a non-empty list of sector numbers, required for action badblock"
                            : "only with action badblock");
        }
        for (Long sector : badSectors) {
            if (sector == null || sector < 0) {
                throw new InvalidRuleException("badSectors", badSectors.toString(), "sector numbers, 0 or more");
            }
        }
    }

    private static void atLeast(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new InvalidRuleException(field, String.valueOf(value), max == Long.MAX_VALUE
                    ? "a whole number, " + min + " or more" : "a whole number from " + min + " to " + max);
        }
    }
}
