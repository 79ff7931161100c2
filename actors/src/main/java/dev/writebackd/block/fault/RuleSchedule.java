package dev.writebackd.block.fault;

import java.util.SplittableRandom;

/**
 * The "when" of a rule and its counting "where": the time window (duration, up/down windows), the
 * count, after the first N, every Nth, and the probability. Not thread-safe: its rule calls it under
 * its own lock, in the order bios reach the rule.
 */
final class RuleSchedule {
    private final FaultRule rule;
    private final long addedAtMs;
    private long matches;
    private long hits;

    RuleSchedule(FaultRule rule, long addedAtMs) {
        this.rule = rule;
        this.addedAtMs = addedAtMs;
    }

    /**
     * Counts a bio that matched the rule's op, sectors and file at {@code nowMs}, and answers
     * whether the rule acts on it; the probability draws from {@code random}.
     */
    boolean fire(long nowMs, SplittableRandom random) {
        if (expired(nowMs) || !inDownWindow(nowMs)) {
            return false;
        }
        matches++;
        if (matches <= rule.after() || (matches - rule.after()) % rule.every() != 0) {
            return false;
        }
        if (rule.probability() < 1 && random.nextDouble() >= rule.probability()) {
            return false;
        }
        hits++;
        return true;
    }

    /** Whether the rule's count is used up or its duration over. */
    boolean expired(long nowMs) {
        return rule.count() > 0 && hits >= rule.count()
                || rule.durationMs() > 0 && nowMs - addedAtMs >= rule.durationMs();
    }

    /** Without windows, always; with them, whether {@code nowMs} falls in a "down" window (after each "up" one). */
    private boolean inDownWindow(long nowMs) {
        if (rule.downMs() == 0) {
            return true;
        }
        long phase = Math.floorMod(nowMs - addedAtMs, rule.upMs() + rule.downMs());
        return phase >= rule.upMs();
    }

    long matches() {
        return matches;
    }

    long hits() {
        return hits;
    }
}
