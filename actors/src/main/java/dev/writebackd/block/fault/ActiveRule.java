package dev.writebackd.block.fault;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * A rule installed in a {@link FaultyDevice}: its matcher, its schedule, its own random stream,
 * its stall gate and, for badblock, the sectors still bad. Thread-safe: decisions are taken under
 * its lock, so its random stream is drawn in the order bios reach it.
 */
final class ActiveRule {
    private final long id;
    private final FaultRule rule;
    private final RuleMatcher where;
    private final RuleSchedule when;
    private final SplittableRandom random;
    private final StallGate gate = new StallGate();
    private final TreeSet<Long> badSectors; // guarded by this

    /** {@code rule} with its seed set, added at {@code addedAtMs}. */
    ActiveRule(long id, FaultRule rule, long addedAtMs) {
        this.id = id;
        this.rule = rule;
        this.where = new RuleMatcher(rule);
        this.when = new RuleSchedule(rule, addedAtMs);
        this.random = new SplittableRandom(rule.seed());
        this.badSectors = new TreeSet<>(rule.badSectors());
    }

    long id() {
        return id;
    }

    FaultRule rule() {
        return rule;
    }

    /** What to do to {@code bio} at {@code nowMs}, or {@code null} to let it pass this rule. */
    Injection decide(Bio bio, long nowMs, FileResolver files) {
        if (!where.matches(bio, files)) {
            return null;
        }
        synchronized (this) {
            if (rule.action() == FaultAction.BADBLOCK && (bio.op() != BioOp.READ || !touchesBadSector(bio))) {
                return null;
            }
            if (!when.fire(nowMs, random)) {
                return null;
            }
            return draw(bio);
        }
    }

    /** Sectors [{@code start}, {@code end}) were written: they are bad no more. */
    synchronized void written(long start, long end) {
        if (!badSectors.isEmpty()) {
            badSectors.subSet(start, end).clear();
        }
    }

    /** Lets every bio held by the rule go; answers how many. */
    int release() {
        return gate.release();
    }

    /** The rule was removed: its stalled bios go, and none stalls again. */
    void retire() {
        gate.open();
    }

    synchronized RuleStatus status(long nowMs) {
        boolean expired = when.expired(nowMs) || rule.action() == FaultAction.BADBLOCK && badSectors.isEmpty();
        return new RuleStatus(id, rule, when.matches(), when.hits(), gate.waiting(), expired);
    }

    private boolean touchesBadSector(Bio bio) {
        Long bad = badSectors.ceiling(bio.startSector());
        return bad != null && bad < bio.endSector();
    }

    private Injection draw(Bio bio) {
        return switch (rule.action()) {
            case ERROR, BADBLOCK -> new Injection.Fail(rule.errno());
            case DROP -> Injection.Drop.INSTANCE;
            case CORRUPT -> new Injection.Corrupt(
                    rule.corruptOffset() >= 0 ? rule.corruptOffset() : random.nextLong(bio.lengthBytes()),
                    rule.corruptValue(), random.nextInt(1, 256));
            case DELAY -> new Injection.Delay(rule.delayMaxMs() > rule.delayMs()
                    ? random.nextLong(rule.delayMs(), rule.delayMaxMs() + 1) : rule.delayMs());
            case STALL -> new Injection.Stall(gate);
            case TORN -> new Injection.Torn(random.nextLong(Math.max(1, bio.lengthBytes() / BlockDevice.SECTOR_SIZE)),
                    rule.tornOutcome() == FaultRule.TornOutcome.ERROR ? rule.errno() : null);
        };
    }
}
