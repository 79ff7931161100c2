package dev.writebackd.daemon.crashcheck;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * The outcome of one seed.
 *
 * @param seed the seed
 * @param ops operations run
 * @param cuts power cuts made and checked
 * @param fsyncedBytes fsync'd bytes checked over all cuts
 * @param lostBytes how many of them were lost
 * @param droppedSectors unflushed sectors the cuts dropped
 * @param problems every violation found
 */
public record SeedResult(long seed, int ops, int cuts, long fsyncedBytes, long lostBytes, long droppedSectors,
        List<Verdict.Problem> problems) {

    /** Validates and copies. */
    public SeedResult {
        problems = List.copyOf(requireNonNull(problems, "problems"));
    }

    /** Whether the seed found nothing wrong. */
    public boolean ok() {
        return problems.isEmpty();
    }

    /** The seed's line: seed, ops, cuts (and unflushed sectors they dropped), bytes verified, lost, result. */
    public String line() {
        return "seed " + seed + ": " + ops + " ops, " + cuts + " cuts (" + droppedSectors
                + " unflushed sectors dropped), " + fsyncedBytes + " fsynced bytes verified, " + lostBytes + " lost, "
                + (ok() ? "ok" : "FAILED (" + problems.size() + " problems)");
    }
}
