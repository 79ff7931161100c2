package dev.writebackd.layout;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.DeviceLimits;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.MapResult.Failed;
import dev.writebackd.layout.MapResult.Hole;
import dev.writebackd.layout.MapResult.Mapped;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The default {@code extent} layout: per file, a sorted map of extents (logical run → physical
 * run) held in memory and persisted by the engine; no metadata on the device besides the header.
 *
 * <p>Delayed allocation: {@link #reserve} places a chunk's unmapped blocks in one contiguous run
 * where free space allows (else in the fewest runs), starting right after the file's previous
 * extent so that a file grows contiguously whatever order its pages were written in. The
 * reservations live in memory only; {@code map(…, create = true)} hands them out and answers
 * {@code isNew}. Blocks that nobody reserved are allocated on demand, again right after the
 * preceding extent.
 *
 * <p>Answers are never boundary (there are no map blocks to read) and never uptodate. Files are
 * limited to 8 TiB ({@code Failed(EFBIG)} beyond); a full device answers {@code Failed(ENOSPC)}.
 * Truncated blocks are freed pending the next {@link BlockAllocator#commitFrees()} (U3); dropped
 * reservations return to the allocator at once, as they were never visible.
 *
 * <p>Not thread-safe: the mapper and its allocator are owned by one owner per device.
 */
public final class ExtentMapper implements BlockLayout {

    /** A file's block map and its unused reservations. */
    private static final class FileMap {
        final RunMap mapped = new RunMap();
        final RunMap reserved = new RunMap();

        boolean isEmpty() {
            return mapped.isEmpty() && reserved.isEmpty();
        }
    }

    private final BlockAllocator allocator;
    private final int blockSize;
    private final long maxFileBlocks;
    private final Map<Long, FileMap> files = new HashMap<>();

    /** An extent layout allocating from {@code allocator}, with blocks of {@code blockSize} bytes. */
    public ExtentMapper(BlockAllocator allocator, int blockSize) {
        this.allocator = requireNonNull(allocator, "allocator");
        this.blockSize = BlockSizes.check(blockSize);
        this.maxFileBlocks = DeviceLimits.maxFileBlocks(blockSize);
    }

    @Override
    public MapResult map(long inode, long logicalBlock, int maxBlocks, boolean create) {
        BlockSizes.checkMapArgs(logicalBlock, maxBlocks);
        if (logicalBlock >= maxFileBlocks) {
            return new Failed(Errno.EFBIG);
        }
        int limit = (int) Math.min(maxBlocks, maxFileBlocks - logicalBlock);
        FileMap file = files.get(inode);
        Extent mapped = file == null ? null : file.mapped.covering(logicalBlock);
        if (mapped != null) {
            return new Mapped(mapped.physicalOf(logicalBlock), mappedRun(file, logicalBlock, limit), false, false, false);
        }
        if (!create) {
            long next = file == null ? Long.MAX_VALUE : file.mapped.nextCovered(logicalBlock);
            return new Hole((int) Math.min(limit, next - logicalBlock));
        }
        FileMap f = files.computeIfAbsent(inode, i -> new FileMap());
        Extent reserved = f.reserved.covering(logicalBlock);
        if (reserved != null) {
            long count = Math.min(limit, reserved.logicalEnd() - logicalBlock);
            long physical = reserved.physicalOf(logicalBlock);
            f.reserved.take(logicalBlock, count);
            f.mapped.add(new Extent(logicalBlock, physical, count));
            return new Mapped(physical, (int) count, true, false, false);
        }
        long nextOwned = Math.min(f.mapped.nextCovered(logicalBlock), f.reserved.nextCovered(logicalBlock));
        long wanted = Math.min(limit, nextOwned - logicalBlock);
        BlockAllocator.Run run = allocator.allocate(goal(f, logicalBlock), wanted);
        if (run == null) {
            if (f.isEmpty()) {
                files.remove(inode);
            }
            return new Failed(Errno.ENOSPC);
        }
        f.mapped.add(new Extent(logicalBlock, run.start(), run.count()));
        return new Mapped(run.start(), (int) run.count(), true, false, false);
    }

    @Override
    public Errno reserve(long inode, long firstBlock, long count) {
        BlockSizes.checkRange(firstBlock, count);
        if (firstBlock > maxFileBlocks - count) {
            return Errno.EFBIG;
        }
        FileMap file = files.get(inode);
        long needed = 0;
        for (long b = firstBlock; b < firstBlock + count; ) {
            long gapEnd = gapEnd(file, b, firstBlock + count);
            needed += gapEnd - b;
            b = gapEnd == b ? skipOwned(file, b) : gapEnd;
        }
        if (needed == 0) {
            return null;
        }
        if (needed > allocator.freeBlocks()) {
            return Errno.ENOSPC;
        }
        FileMap f = files.computeIfAbsent(inode, i -> new FileMap());
        long goal = -1;
        long runNext = 0;
        long runLeft = 0;
        for (long b = firstBlock; b < firstBlock + count; ) {
            long gapEnd = gapEnd(f, b, firstBlock + count);
            if (gapEnd == b) {
                b = skipOwned(f, b);
                continue;
            }
            if (goal < 0) {
                goal = goal(f, b);
            }
            while (b < gapEnd) {
                if (runLeft == 0) {
                    // Cannot fail: freeBlocks() covered every block still needed.
                    BlockAllocator.Run run = allocator.allocate(goal, needed);
                    runNext = run.start();
                    runLeft = run.count();
                    goal = run.end();
                }
                long take = Math.min(runLeft, gapEnd - b);
                f.reserved.add(new Extent(b, runNext, take));
                b += take;
                runNext += take;
                runLeft -= take;
                needed -= take;
            }
        }
        return null;
    }

    @Override
    public long truncate(long inode, long keepBlocks) {
        if (keepBlocks < 0) {
            throw new IllegalArgumentException("truncate to " + keepBlocks + " blocks");
        }
        FileMap file = files.get(inode);
        if (file == null) {
            return 0;
        }
        long freed = 0;
        for (Extent e : file.mapped.removeFrom(keepBlocks)) {
            allocator.free(e.physical(), e.count());
            freed += e.count();
        }
        for (Extent e : file.reserved.removeFrom(keepBlocks)) {
            allocator.release(e.physical(), e.count());
        }
        if (file.isEmpty()) {
            files.remove(inode);
        }
        return freed;
    }

    @Override
    public long maxFileBlocks() {
        return maxFileBlocks;
    }

    @Override
    public String name() {
        return EXTENT;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public BlockAllocator allocator() {
        return allocator;
    }

    @Override
    public MetadataBuffers metadataBuffers() {
        return MetadataBuffers.NONE;
    }

    @Override
    public long[] inodes() {
        return files.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
    }

    @Override
    public List<Extent> extents(long inode) {
        FileMap file = files.get(inode);
        return file == null ? List.of() : file.mapped.list();
    }

    @Override
    public List<Extent> reservations(long inode) {
        FileMap file = files.get(inode);
        return file == null ? List.of() : file.reserved.list();
    }

    @Override
    public List<ConsistencyProblem> checkConsistency() {
        OwnershipCheck check = new OwnershipCheck(allocator);
        for (long inode : inodes()) {
            FileMap file = files.get(inode);
            check.claimMapped(inode, file.mapped.list());
            check.claimReserved(inode, file.reserved.list());
        }
        return check.finish();
    }

    /** The length of the mapped run at {@code block}, merging touching extents, at most {@code limit}. */
    private static int mappedRun(FileMap file, long block, int limit) {
        Extent e = file.mapped.covering(block);
        long count = e.logicalEnd() - block;
        while (count < limit) {
            Extent next = file.mapped.covering(block + count);
            if (next == null || next.physical() != e.physicalEnd()) {
                break;
            }
            count += next.count();
            e = next;
        }
        return (int) Math.min(count, limit);
    }

    /** Where to allocate for {@code block}: right after the extent (mapped or reserved) before it. */
    private static long goal(FileMap file, long block) {
        Extent mapped = file.mapped.before(block);
        Extent reserved = file.reserved.before(block);
        Extent prev = mapped == null ? reserved
                : reserved == null || mapped.logical() > reserved.logical() ? mapped : reserved;
        return prev == null ? -1 : prev.physicalEnd();
    }

    /** The end of the unowned gap starting at {@code block} (== block if it is owned), cut at {@code end}. */
    private static long gapEnd(FileMap file, long block, long end) {
        if (file == null) {
            return end;
        }
        return Math.min(end, Math.min(file.mapped.nextCovered(block), file.reserved.nextCovered(block)));
    }

    /** The first block after the mapped or reserved extent that owns {@code block}. */
    private static long skipOwned(FileMap file, long block) {
        Extent e = file.mapped.covering(block);
        return (e != null ? e : file.reserved.covering(block)).logicalEnd();
    }
}
