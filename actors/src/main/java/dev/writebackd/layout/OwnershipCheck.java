package dev.writebackd.layout;

import dev.writebackd.layout.ConsistencyProblem.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects every block that the files claim (mapped, reserved, map blocks) and compares the claims
 * with the allocator: the shared half of both layouts' consistency checks. One bit per device
 * block; single use, single-threaded.
 */
final class OwnershipCheck {
    private final BlockAllocator allocator;
    private final long[] claimed;
    private final List<ConsistencyProblem> problems = new ArrayList<>();

    OwnershipCheck(BlockAllocator allocator) {
        this.allocator = allocator;
        this.claimed = new long[(int) ((allocator.totalBlocks() + Long.SIZE - 1) / Long.SIZE)];
    }

    /** File {@code inode} claims the physical blocks its {@code extents} map. */
    void claimMapped(long inode, List<Extent> extents) {
        claimAll(inode, "mapped", extents);
    }

    /** File {@code inode} claims the physical blocks its {@code extents} reserve. */
    void claimReserved(long inode, List<Extent> extents) {
        claimAll(inode, "reserved", extents);
    }

    private void claimAll(long inode, String how, List<Extent> extents) {
        for (Extent e : extents) {
            claim(e.physical(), e.count(), "inode " + inode + " " + how + " " + e);
        }
    }

    /** {@code owner} claims physical blocks {@code [start, start + count)}. */
    void claim(long start, long count, String owner) {
        for (long b = start; b < start + count; b++) {
            if (b < allocator.reservedBlocks() || b >= allocator.totalBlocks()) {
                problems.add(new ConsistencyProblem(Kind.OUT_OF_RANGE, b, owner));
                continue;
            }
            int w = (int) (b >>> 6);
            long bit = 1L << (b & 63);
            if ((claimed[w] & bit) != 0) {
                problems.add(new ConsistencyProblem(Kind.MAPPED_TWICE, b, owner + " claims a block already claimed"));
            } else {
                claimed[w] |= bit;
                if (!allocator.isAllocated(b)) {
                    String state = allocator.isPendingFree(b) ? "pending free" : "free";
                    problems.add(new ConsistencyProblem(Kind.MAPPED_BUT_FREE, b, owner + " claims a " + state + " block"));
                }
            }
        }
    }

    /** The problems found, after adding every allocated block that nobody claimed. */
    List<ConsistencyProblem> finish() {
        for (long b = allocator.reservedBlocks(); b < allocator.totalBlocks(); b++) {
            if ((claimed[(int) (b >>> 6)] & (1L << (b & 63))) == 0 && allocator.isAllocated(b)) {
                problems.add(new ConsistencyProblem(Kind.LEAKED, b, "allocated, but no file maps or reserves it"));
            }
        }
        return List.copyOf(problems);
    }
}
