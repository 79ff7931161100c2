package dev.writebackd.layout;

import static java.util.Objects.requireNonNull;

import dev.writebackd.layout.ConsistencyProblem.Kind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The start-up consistency check of the {@code extent} layout: rebuilds a fresh mapper and its
 * allocator from every file's committed extents, then compares the two
 * ({@link BlockLayout#checkConsistency()}).
 *
 * <p>What the records can disagree about is reported, not repaired; the engine decides whether to
 * refuse to start or to reclaim:
 *
 * <ul>
 *   <li>{@link Kind#MAPPED_TWICE}: two files, or two logical runs of one file, map the same
 *       blocks. The file that comes first (lower inode, then lower logical block) keeps them in
 *       the rebuilt map; the other gets a hole there, so no block is ever handed out while a record
 *       still maps it.
 *   <li>{@link Kind#OUT_OF_RANGE}: a file maps blocks in the device's reserved area (block 0 holds
 *       the header) or past its end; they are left out of the rebuilt map.
 *   <li>whatever the layout's own check finds in the result.
 * </ul>
 *
 * <p>One problem per run of blocks with the same owners, {@code block} being its first block and
 * {@code detail} naming the run and every owner. Plain and single-threaded, like the mapper.
 */
public final class StartupCheck {

    /** A run of a file's extent that survived so far, keyed in the kept map by physical block. */
    private record Claim(long inode, Extent extent) {
        String owner() {
            return "inode " + inode + " logical " + extent.logical() + "+" + extent.count();
        }
    }

    private StartupCheck() {}

    /**
     * Restores {@code committed} (inode → its committed extents) into {@code mapper}, which must be
     * new (no file, nothing allocated), and checks the result.
     *
     * @return the problems found, empty when the records agree with each other and the device
     * @throws IllegalArgumentException when the mapper is not new, or one file's extents overlap
     *     logically (a record never holds that)
     */
    public static List<ConsistencyProblem> rebuild(ExtentMapper mapper, Map<Long, List<Extent>> committed) {
        requireNonNull(mapper, "mapper");
        requireNonNull(committed, "committed");
        BlockAllocator allocator = mapper.allocator();
        if (mapper.inodes().length > 0
                || allocator.freeBlocks() != allocator.totalBlocks() - allocator.reservedBlocks()) {
            throw new IllegalArgumentException("the mapper to rebuild must be new");
        }
        List<ConsistencyProblem> problems = new ArrayList<>();
        TreeMap<Long, Claim> kept = new TreeMap<>();
        Map<Long, List<Extent>> restored = new TreeMap<>();
        for (Map.Entry<Long, List<Extent>> file : new TreeMap<>(committed).entrySet()) {
            long inode = file.getKey();
            List<Extent> extents = file.getValue().stream().sorted(Comparator.comparingLong(Extent::logical)).toList();
            List<Extent> keep = restored.computeIfAbsent(inode, i -> new ArrayList<>());
            for (Extent extent : extents) {
                for (Extent inRange : inRange(allocator, inode, extent, problems)) {
                    for (Extent unclaimed : unclaimed(kept, new Claim(inode, inRange), problems)) {
                        kept.put(unclaimed.physical(), new Claim(inode, unclaimed));
                        keep.add(unclaimed);
                    }
                }
            }
        }
        restored.forEach(mapper::restore);
        problems.addAll(mapper.checkConsistency());
        return List.copyOf(problems);
    }

    /** The part of {@code extent} inside the allocatable blocks; the rest is reported. */
    private static List<Extent> inRange(
            BlockAllocator allocator, long inode, Extent extent, List<ConsistencyProblem> problems) {
        long first = Math.max(extent.physical(), allocator.reservedBlocks());
        long end = Math.min(extent.physicalEnd(), allocator.totalBlocks());
        if (extent.physical() < first) {
            problems.add(outOfRange(inode, extent, extent.physical(), Math.min(first, extent.physicalEnd()),
                    "in the reserved area before block " + allocator.reservedBlocks()));
        }
        if (extent.physicalEnd() > end) {
            long from = Math.max(end, extent.physical());
            problems.add(outOfRange(inode, extent, from, extent.physicalEnd(),
                    "past the device end at block " + allocator.totalBlocks()));
        }
        return first < end ? List.of(slice(extent, first, end)) : List.of();
    }

    private static ConsistencyProblem outOfRange(long inode, Extent extent, long from, long to, String where) {
        return new ConsistencyProblem(Kind.OUT_OF_RANGE, from, "blocks " + from + ".." + (to - 1) + " " + where
                + " are mapped by " + new Claim(inode, extent).owner());
    }

    /**
     * The parts of {@code claim}'s extent that no kept claim holds yet; each overlap with a kept
     * claim is reported with both owners.
     */
    private static List<Extent> unclaimed(TreeMap<Long, Claim> kept, Claim claim, List<ConsistencyProblem> problems) {
        Extent extent = claim.extent();
        List<Extent> free = new ArrayList<>();
        long block = extent.physical();
        Map.Entry<Long, Claim> before = kept.floorEntry(block);
        Long from = before != null && before.getValue().extent().physicalEnd() > block ? before.getKey() : kept.ceilingKey(block);
        for (Claim other : from == null ? List.<Claim>of() : kept.tailMap(from, true).values()) {
            Extent taken = other.extent();
            if (taken.physical() >= extent.physicalEnd()) {
                break;
            }
            if (taken.physical() > block) {
                free.add(slice(extent, block, taken.physical()));
            }
            long overlapEnd = Math.min(taken.physicalEnd(), extent.physicalEnd());
            long overlapStart = Math.max(block, taken.physical());
            problems.add(new ConsistencyProblem(Kind.MAPPED_TWICE, overlapStart, "blocks " + overlapStart + ".."
                    + (overlapEnd - 1) + " are mapped by " + other.owner() + " and by " + claim.owner()));
            block = overlapEnd;
        }
        if (block < extent.physicalEnd()) {
            free.add(slice(extent, block, extent.physicalEnd()));
        }
        return free;
    }

    /** Physical blocks {@code [from, to)} of {@code extent}, with their logical blocks. */
    private static Extent slice(Extent extent, long from, long to) {
        return new Extent(extent.logical() + (from - extent.physical()), from, to - from);
    }
}
