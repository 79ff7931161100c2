package dev.writebackd.actors.persist;

import dev.writebackd.layout.Extent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A file record's block map as a value: a sorted list of {@link Extent}s, touching runs merged,
 * and the one way it changes, a commit. Plain and stateless.
 */
final class ExtentMaps {
    private static final Comparator<Extent> BY_LOGICAL = Comparator.comparingLong(Extent::logical);
    private static final Comparator<Extent> BY_PHYSICAL = Comparator.comparingLong(Extent::physical);

    private ExtentMaps() {}

    /** {@code extents} sorted by logical block. */
    static List<Extent> sorted(List<Extent> extents) {
        return extents.stream().sorted(BY_LOGICAL).toList();
    }

    /**
     * The map {@code extents} after a commit: {@code freed} removed first, then {@code mapped}
     * added, touching runs merged.
     *
     * @throws IllegalArgumentException saying why, when a freed block is not mapped there, a mapped
     *     block is already mapped, a physical block would be mapped twice, or a block is both freed
     *     and mapped again in the same commit (a free is reusable only after it is committed)
     */
    static List<Extent> commit(List<Extent> extents, List<Extent> freed, List<Extent> mapped) {
        requireDisjoint(Stream.concat(freed.stream(), mapped.stream()).sorted(BY_PHYSICAL).toList(),
                "freed or mapped twice in one commit");
        TreeMap<Long, Extent> runs = new TreeMap<>();
        extents.forEach(e -> runs.put(e.logical(), e));
        freed.forEach(f -> remove(runs, f));
        for (Extent m : mapped) {
            Map.Entry<Long, Extent> before = runs.floorEntry(m.logicalEnd() - 1);
            if (before != null && before.getValue().logicalEnd() > m.logical()) {
                throw new IllegalArgumentException(m + " maps logical blocks already mapped by " + before.getValue());
            }
            runs.put(m.logical(), m);
        }
        requireDisjoint(runs.values().stream().sorted(BY_PHYSICAL).toList(), "mapped twice");
        return merged(runs.values());
    }

    /** The number of blocks {@code extents} map. */
    static long blocks(List<Extent> extents) {
        return extents.stream().mapToLong(Extent::count).sum();
    }

    /**
     * Whether every block of {@code part} is mapped by {@code extents}, a merged map, to the same
     * physical block: a contiguous part lies inside one merged run.
     */
    static boolean maps(List<Extent> extents, Extent part) {
        return extents.stream().anyMatch(e -> e.logical() <= part.logical() && e.logicalEnd() >= part.logicalEnd()
                && e.physicalOf(part.logical()) == part.physical());
    }

    /** Whether any block of {@code part} is mapped by {@code extents} to the same physical block. */
    static boolean mapsAny(List<Extent> extents, Extent part) {
        for (Extent e : extents) {
            long from = Math.max(e.logical(), part.logical());
            long to = Math.min(e.logicalEnd(), part.logicalEnd());
            if (from < to && e.physicalOf(from) == part.physicalOf(from)) {
                return true;
            }
        }
        return false;
    }

    private static void remove(TreeMap<Long, Extent> runs, Extent free) {
        long block = free.logical();
        while (block < free.logicalEnd()) {
            Map.Entry<Long, Extent> entry = runs.floorEntry(block);
            Extent run = entry == null ? null : entry.getValue();
            if (run == null || !run.covers(block) || run.physicalOf(block) != free.physicalOf(block)) {
                throw new IllegalArgumentException(free + " frees logical block " + block
                        + ", which is not mapped to physical block " + free.physicalOf(block));
            }
            long end = Math.min(run.logicalEnd(), free.logicalEnd());
            runs.remove(run.logical());
            if (run.logical() < block) {
                runs.put(run.logical(), new Extent(run.logical(), run.physical(), block - run.logical()));
            }
            if (end < run.logicalEnd()) {
                runs.put(end, new Extent(end, run.physicalOf(end), run.logicalEnd() - end));
            }
            block = end;
        }
    }

    private static void requireDisjoint(List<Extent> byPhysical, String what) {
        for (int i = 1; i < byPhysical.size(); i++) {
            Extent previous = byPhysical.get(i - 1);
            Extent next = byPhysical.get(i);
            if (next.physical() < previous.physicalEnd()) {
                throw new IllegalArgumentException("physical block " + next.physical() + " is " + what
                        + ": " + previous + " and " + next);
            }
        }
    }

    /** The runs in logical order, touching ones (logically and physically) merged. */
    private static List<Extent> merged(Iterable<Extent> byLogical) {
        List<Extent> merged = new ArrayList<>();
        for (Extent e : byLogical) {
            int last = merged.size() - 1;
            Extent previous = last < 0 ? null : merged.get(last);
            if (previous != null && previous.logicalEnd() == e.logical() && previous.physicalEnd() == e.physical()) {
                merged.set(last, new Extent(previous.logical(), previous.physical(), previous.count() + e.count()));
            } else {
                merged.add(e);
            }
        }
        return List.copyOf(merged);
    }
}
