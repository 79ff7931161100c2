package dev.writebackd.layout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A sorted, non-overlapping set of {@link Extent}s keyed by logical block: one entry per run, never
 * one per block. Runs that touch both logically and physically are merged on insertion.
 * Single-threaded, owned by its mapper.
 */
final class RunMap {
    private final TreeMap<Long, Extent> runs = new TreeMap<>();

    /** The run covering logical block {@code block}, or {@code null}. */
    Extent covering(long block) {
        Map.Entry<Long, Extent> e = runs.floorEntry(block);
        return e != null && e.getValue().covers(block) ? e.getValue() : null;
    }

    /** The last run starting before {@code block}, or {@code null}. */
    Extent before(long block) {
        Map.Entry<Long, Extent> e = runs.lowerEntry(block);
        return e == null ? null : e.getValue();
    }

    /** The first run starting at or after {@code block}, or {@code null}. */
    Extent atOrAfter(long block) {
        Map.Entry<Long, Extent> e = runs.ceilingEntry(block);
        return e == null ? null : e.getValue();
    }

    /** The first logical block at or after {@code block} that some run covers, or MAX_VALUE. */
    long nextCovered(long block) {
        if (covering(block) != null) {
            return block;
        }
        Extent next = atOrAfter(block);
        return next == null ? Long.MAX_VALUE : next.logical();
    }

    /** Adds {@code extent}, which must not overlap any run, merging it with touching runs. */
    void add(Extent extent) {
        Extent prev = before(extent.logicalEnd());
        if (prev != null && prev.logicalEnd() > extent.logical()) {
            throw new IllegalStateException(extent + " overlaps " + prev);
        }
        Extent merged = extent;
        if (prev != null && prev.logicalEnd() == merged.logical() && prev.physicalEnd() == merged.physical()) {
            runs.remove(prev.logical());
            merged = new Extent(prev.logical(), prev.physical(), prev.count() + merged.count());
        }
        Extent next = runs.get(merged.logicalEnd());
        if (next != null && next.physical() == merged.physicalEnd()) {
            runs.remove(next.logical());
            merged = new Extent(merged.logical(), merged.physical(), merged.count() + next.count());
        }
        runs.put(merged.logical(), merged);
    }

    /**
     * Removes logical blocks {@code [block, block + count)}, which one run must cover wholly,
     * splitting that run as needed.
     */
    void take(long block, long count) {
        Extent e = covering(block);
        if (e == null || e.logicalEnd() < block + count) {
            throw new IllegalStateException("no run covers " + block + "+" + count);
        }
        runs.remove(e.logical());
        if (e.logical() < block) {
            runs.put(e.logical(), new Extent(e.logical(), e.physical(), block - e.logical()));
        }
        if (block + count < e.logicalEnd()) {
            runs.put(block + count, new Extent(block + count, e.physicalOf(block + count), e.logicalEnd() - block - count));
        }
    }

    /** Removes every logical block at or after {@code keep} and returns the removed pieces. */
    List<Extent> removeFrom(long keep) {
        List<Extent> removed = new ArrayList<>();
        Extent split = covering(keep);
        if (split != null && split.logical() < keep) {
            runs.put(split.logical(), new Extent(split.logical(), split.physical(), keep - split.logical()));
            removed.add(new Extent(keep, split.physicalOf(keep), split.logicalEnd() - keep));
        }
        Map<Long, Extent> tail = runs.tailMap(keep, true);
        removed.addAll(tail.values());
        tail.clear();
        return removed;
    }

    /** Every run, in logical order. */
    List<Extent> list() {
        return List.copyOf(runs.values());
    }

    /** Total blocks in all runs. */
    long blocks() {
        long total = 0;
        for (Extent e : runs.values()) {
            total += e.count();
        }
        return total;
    }

    boolean isEmpty() {
        return runs.isEmpty();
    }
}
