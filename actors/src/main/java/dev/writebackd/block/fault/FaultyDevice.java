package dev.writebackd.block.fault;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.StackedDevice;
import dev.writebackd.error.Errno;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * A block device that fails, drops, corrupts, delays, stalls and tears bios on command: a decorator
 * applying {@link FaultRule}s to the bios on their way to the device below. With no rules it only
 * forwards.
 *
 * <p><b>Order.</b> A bio meets the rules in the order they were added. Each rule that matches it
 * (op, sectors, file, window, after, every, probability, count) acts: a {@code delay} or
 * {@code stall} holds it and lets it go on to the next rules; any other action decides its fate, and
 * later rules do not see it. Then the bio, if still going, reaches the device; reads corrupted by a
 * rule have the chosen byte changed once the device has filled them.
 *
 * <p><b>Seeds.</b> Each rule draws every random choice (probability, corrupted byte, delay, torn
 * prefix) from its own stream, seeded by its {@code seed} or else by
 * {@code Seeds.derive(runSeed, "rule", id)}, in the order bios reach it: the same bios in the same
 * order meet the same faults (DESIGN.md "Determinism").
 *
 * <p><b>The page cache's buffers.</b> A corrupted write goes down as a copy; the caller's segments
 * are never written to, so cached pages keep what was written to them. A torn write sends views of
 * the first sectors. Reads are filled in place as usual, and a read corruption alters the bytes read.
 *
 * <p><b>Time.</b> {@code durationMs} and the up/down windows are measured with the injected
 * millisecond clock from when the rule was added; delays sleep with the injected sleeper.
 *
 * <p>Thread-safe: {@link #submit} runs on several blocking-I/O threads at once and may block (delay,
 * stall); the control methods may be called from any thread.
 */
public final class FaultyDevice extends StackedDevice {
    /** Sleeps for a delay rule. */
    @FunctionalInterface
    public interface Sleeper {
        /** Waits {@code millis} milliseconds. */
        void sleep(long millis) throws InterruptedException;
    }

    private final long runSeed;
    private final FileResolver files;
    private final LongSupplier clockMs;
    private final Sleeper sleeper;
    private final CopyOnWriteArrayList<ActiveRule> rules = new CopyOnWriteArrayList<>();
    private final Object changes = new Object();
    private long lastId; // guarded by changes

    /** Rules over {@code device} with the system's clock and sleep, and no file names. */
    public FaultyDevice(BlockDevice device, long runSeed) {
        this(device, runSeed, FileResolver.NONE);
    }

    /** Rules over {@code device} with the system's clock and sleep; {@code files} resolves rules' file names. */
    public FaultyDevice(BlockDevice device, long runSeed, FileResolver files) {
        this(device, runSeed, files, () -> System.nanoTime() / 1_000_000, Thread::sleep);
    }

    /**
     * Rules over {@code device}.
     *
     * @param device the device below
     * @param runSeed the run seed, from which rules without a seed of their own derive theirs
     * @param files resolves the names of rules scoped to a file
     * @param clockMs a monotonic clock in milliseconds, for durations and windows
     * @param sleeper how a delay waits
     */
    public FaultyDevice(BlockDevice device, long runSeed, FileResolver files, LongSupplier clockMs, Sleeper sleeper) {
        super(device);
        this.runSeed = runSeed;
        this.files = requireNonNull(files, "files");
        this.clockMs = requireNonNull(clockMs, "clockMs");
        this.sleeper = requireNonNull(sleeper, "sleeper");
    }

    /** The run seed. */
    public long runSeed() {
        return runSeed;
    }

    /** The device below. */
    public BlockDevice device() {
        return below;
    }

    /**
     * Installs {@code rule} after the others; a rule without a seed gets
     * {@code Seeds.derive(runSeed, "rule", id)}. Its duration and windows count from now.
     *
     * @return the rule's id: 1, 2, … in the order rules are added, never reused
     */
    public long add(FaultRule rule) {
        requireNonNull(rule, "rule");
        synchronized (changes) {
            long id = ++lastId;
            FaultRule seeded = rule.seed() != null ? rule : rule.withSeed(Seeds.derive(runSeed, "rule", id));
            rules.add(new ActiveRule(id, seeded, clockMs.getAsLong()));
            return id;
        }
    }

    /** Removes rule {@code id}, letting the bios it stalls go; {@code false} if there is no such rule. */
    public boolean remove(long id) {
        synchronized (changes) {
            for (ActiveRule rule : rules) {
                if (rule.id() == id) {
                    rules.remove(rule);
                    rule.retire();
                    return true;
                }
            }
            return false;
        }
    }

    /** Removes every rule, letting every stalled bio go; answers how many rules there were. */
    public int clear() {
        synchronized (changes) {
            List<ActiveRule> all = List.copyOf(rules);
            rules.clear();
            all.forEach(ActiveRule::retire);
            return all.size();
        }
    }

    /** Lets every bio stalled now go (later ones stall again); answers how many were released. */
    public int release() {
        int released = 0;
        for (ActiveRule rule : rules) {
            released += rule.release();
        }
        return released;
    }

    /** Every rule, in the order added, with its counts now. */
    public List<RuleStatus> rules() {
        long now = clockMs.getAsLong();
        return rules.stream().map(rule -> rule.status(now)).toList();
    }

    /** Rule {@code id} with its counts now, if it is installed. */
    public Optional<RuleStatus> rule(long id) {
        long now = clockMs.getAsLong();
        return rules.stream().filter(rule -> rule.id() == id).findFirst().map(rule -> rule.status(now));
    }

    /** Applies the rules to {@code bio} (see the class comment), then performs what is left of it below. */
    @Override
    public Errno submit(Bio bio) {
        requireNonNull(bio, "bio");
        Bio going = bio;
        Injection.Corrupt readCorruption = null;
        for (ActiveRule rule : rules) {
            Injection injection = rule.decide(bio, clockMs.getAsLong(), files);
            if (injection == null) {
                continue;
            }
            if (injection.timingOnly()) {
                hold(injection);
                continue;
            }
            if (injection instanceof Injection.Fail fail) {
                return fail.errno();
            }
            if (injection instanceof Injection.Torn torn) {
                return tear(bio, torn);
            }
            if (injection instanceof Injection.Corrupt corrupt) {
                if (bio.op() == BioOp.WRITE) {
                    going = BioEdits.corruptedCopy(bio, corrupt);
                } else {
                    readCorruption = corrupt;
                }
                break;
            }
            return null; // Injection.Drop: acknowledged, never performed
        }
        Errno result = below.submit(going);
        if (result == null) {
            if (going.op() == BioOp.WRITE) {
                written(going);
            } else if (readCorruption != null) {
                BioEdits.corruptInPlace(bio, readCorruption);
            }
        }
        return result;
    }

    private void hold(Injection injection) {
        if (injection instanceof Injection.Stall stall) {
            stall.gate().await();
        } else if (injection instanceof Injection.Delay delay && delay.millis() > 0) {
            try {
                sleeper.sleep(delay.millis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Errno tear(Bio bio, Injection.Torn torn) {
        if (torn.keepSectors() > 0) {
            Bio prefix = BioEdits.prefix(bio, torn.keepSectors());
            Errno result = below.submit(prefix);
            if (result != null) {
                return result;
            }
            written(prefix);
        }
        return torn.errno();
    }

    /** Tells the badblock rules which sectors were rewritten. */
    private void written(Bio write) {
        for (ActiveRule rule : rules) {
            if (rule.rule().action() == FaultAction.BADBLOCK) {
                rule.written(write.startSector(), write.endSector());
            }
        }
    }

    /** Removes every rule (letting stalled bios go) and closes the device below. */
    @Override
    public void close() {
        clear();
        below.close();
    }
}
