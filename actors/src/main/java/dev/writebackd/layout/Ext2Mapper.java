package dev.writebackd.layout;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import dev.writebackd.layout.Ext2Geometry.Path;
import dev.writebackd.layout.MapResult.Failed;
import dev.writebackd.layout.MapResult.Hole;
import dev.writebackd.layout.MapResult.Mapped;
import dev.writebackd.layout.MapResult.NeedsMetadata;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code ext2} layout (X1–X3): per file, 12 direct pointers and the roots of a single-, double-
 * and triple-indirect tree, held in memory like the inode; the map blocks themselves live on the
 * device and are read and changed only through the {@link MetadataCache}.
 *
 * <p><b>map.</b> A needed map block that is not cached answers {@link NeedsMetadata}: the caller
 * reads it ({@link MetadataCache#readBio}, the device, {@link MetadataCache#readCompleted}) and asks
 * again. Consecutive pointers with consecutive physical numbers form one run; a run never crosses the
 * last slot of its map block (slot 11 for the direct pointers) and is <em>boundary</em> when it
 * reaches it (X2). A zero pointer answers a hole: the zero run within that map block, or, for a
 * missing map block, everything it would cover (no metadata read). With {@code create = true} the
 * missing map blocks are allocated together with the data, each physically just before the data it
 * maps, created zeroed and dirty in the cache (X3); new data blocks answer {@code isNew} and must be
 * alias-cleaned by the caller (B8).
 *
 * <p><b>reserve</b> is optional: it places a range's unmapped data blocks and the map blocks they
 * need in one run where free space allows, each map block right before the data it maps. Parts of
 * the range under a map block that is not cached are left to on-demand allocation (see
 * {@link #metadataNeeded}). Without a reservation, blocks are allocated next to the file's previous
 * allocation.
 *
 * <p><b>truncate</b> frees the data blocks past the new end and the map blocks that no longer map
 * anything (U3), zeroing their pointers in the cached parents (which become dirty); freed blocks
 * stay pending until {@link BlockAllocator#commitFrees()}, and freed map blocks are forgotten by the
 * cache. It needs every map block covering the truncated range cached: otherwise it throws
 * {@link MetadataNeededException} before changing anything ({@link #metadataNeeded} tells first).
 * The read-only views ({@link #extents}, {@link #mapBlocks}, {@link #checkConsistency}) need the
 * file's map blocks cached likewise.
 *
 * <p>Not thread-safe: one owner per device (the cache it uses is thread-safe).
 */
public final class Ext2Mapper implements BlockLayout {

    /**
     * A read-only copy of a file's in-inode pointers (0 = none).
     *
     * @param direct the 12 direct pointers
     * @param singleIndirect the single-indirect map block
     * @param doubleIndirect the double-indirect map block
     * @param tripleIndirect the triple-indirect map block
     */
    public record InodePointers(List<Long> direct, long singleIndirect, long doubleIndirect, long tripleIndirect) {
        /** Freezes the pointers. */
        public InodePointers {
            direct = List.copyOf(requireNonNull(direct, "direct"));
        }
    }

    /** A file's inode pointers, reservations and allocation hint. */
    private static final class Inode {
        final long[] slots = new long[Ext2Geometry.INODE_SLOTS];
        final RunMap reservedData = new RunMap();
        /** Reserved, not yet created map blocks: map key → physical block. */
        final Map<Long, Long> reservedMaps = new HashMap<>();
        /** The last physical block allocated to the file: the next allocation's goal is after it. */
        long lastPhysical = -1;

        boolean isEmpty() {
            return Arrays.stream(slots).allMatch(s -> s == 0) && reservedData.isEmpty() && reservedMaps.isEmpty();
        }
    }

    /** Where a block's pointer chain ends: the first missing level, or an uncached map block. */
    private static final class Walk {
        final Path path;
        /** Physical map block at each level 1 … depth − 1 (0 where missing). */
        final long[] mapBlocks;
        /** First level whose pointer is zero (depth = the data pointer); depth + 1 if mapped. */
        int firstMissing;
        long data;
        long needs = -1;

        Walk(Path path) {
            this.path = path;
            this.mapBlocks = new long[path.depth()];
        }

        int depth() {
            return path.depth();
        }

        boolean leafExists() {
            return firstMissing >= depth();
        }
    }

    /** What {@link #allocateSequence} handed out. */
    private record Allocation(long[] maps, long dataStart, long dataCount, long last) {}

    /** Receives a file's pointers in logical order; each kind is ignored unless overridden. */
    private interface TreeVisitor {
        default void data(long logical, long physical) {}

        default void mapBlock(long physical, int height, long firstCovered) {}
    }

    private final BlockAllocator allocator;
    private final MetadataCache cache;
    private final Ext2Geometry geometry;
    private final int p;
    private final Map<Long, Inode> inodes = new HashMap<>();

    /**
     * An ext2 layout allocating from {@code allocator}, with blocks of {@code blockSize} bytes, its
     * map blocks cached in {@code cache}.
     *
     * @throws IllegalArgumentException if the device has more blocks than 32-bit pointers reach
     */
    public Ext2Mapper(BlockAllocator allocator, int blockSize, MetadataCache cache) {
        this.allocator = requireNonNull(allocator, "allocator");
        this.cache = requireNonNull(cache, "cache");
        this.geometry = new Ext2Geometry(blockSize);
        this.p = geometry.pointersPerBlock();
        if (cache.blockSize() != blockSize) {
            throw new IllegalArgumentException("cache block size " + cache.blockSize() + " != " + blockSize);
        }
        if (allocator.totalBlocks() > 1L << 32) {
            throw new IllegalArgumentException("ext2 pointers are 32 bits; " + allocator.totalBlocks()
                    + " blocks is too many");
        }
    }

    /** The pointer geometry (X1). */
    public Ext2Geometry geometry() {
        return geometry;
    }

    @Override
    public MapResult map(long inode, long logicalBlock, int maxBlocks, boolean create) {
        BlockSizes.checkMapArgs(logicalBlock, maxBlocks);
        if (logicalBlock >= geometry.maxFileBlocks()) {
            return new Failed(Errno.EFBIG);
        }
        int limit = (int) Math.min(maxBlocks, geometry.maxFileBlocks() - logicalBlock);
        Inode node = inodes.get(inode);
        Walk w = walk(node, logicalBlock);
        if (w.needs >= 0) {
            return new NeedsMetadata(w.needs);
        }
        if (w.data != 0) {
            return mappedRun(node, w, limit);
        }
        if (!create) {
            return new Hole(holeLength(node, w, limit));
        }
        return allocate(inodes.computeIfAbsent(inode, i -> new Inode()), w, limit);
    }

    @Override
    public Errno reserve(long inode, long firstBlock, long count) {
        BlockSizes.checkRange(firstBlock, count);
        if (firstBlock > geometry.maxFileBlocks() - count) {
            return Errno.EFBIG;
        }
        Inode node = inodes.get(inode);
        // The plan, in physical order: data items are logical blocks (>= 0), map items -1 - key.
        List<Long> plan = new ArrayList<>();
        Set<Long> plannedMaps = new LinkedHashSet<>();
        long end = firstBlock + count;
        for (long b = firstBlock; b < end; ) {
            Walk w = walk(node, b);
            long segmentEnd = Math.min(end, b + 1 + geometry.blocksToBoundary(b));
            if (w.needs < 0) {
                List<Long> data = new ArrayList<>();
                for (long d = b; d < segmentEnd; d++) {
                    int slot = w.path.leafSlot() + (int) (d - b);
                    boolean mapped = w.leafExists() && leafPointer(node, w, slot) != 0;
                    if (!mapped && (node == null || node.reservedData.covering(d) == null)) {
                        data.add(d);
                    }
                }
                if (!data.isEmpty()) {
                    for (int level = w.firstMissing; level < w.depth(); level++) {
                        long key = geometry.key(w.path, level);
                        if ((node == null || !node.reservedMaps.containsKey(key)) && plannedMaps.add(key)) {
                            plan.add(-1 - key);
                        }
                    }
                    plan.addAll(data);
                }
            }
            b = segmentEnd;
        }
        if (plan.isEmpty()) {
            return null;
        }
        if (plan.size() > allocator.freeBlocks()) {
            return Errno.ENOSPC;
        }
        Inode n = inodes.computeIfAbsent(inode, i -> new Inode());
        Iterator<Long> items = plan.iterator();
        long left = plan.size();
        long goal = goal(n);
        while (left > 0) {
            // Cannot fail: freeBlocks() covered the whole plan.
            BlockAllocator.Run run = allocator.allocate(goal, left);
            for (long phys = run.start(); phys < run.end(); phys++) {
                long item = items.next();
                if (item < 0) {
                    n.reservedMaps.put(-1 - item, phys);
                } else {
                    n.reservedData.add(new Extent(item, phys, 1));
                }
            }
            left -= run.count();
            goal = run.end();
            n.lastPhysical = run.end() - 1;
        }
        return null;
    }

    @Override
    public long truncate(long inode, long keepBlocks) {
        if (keepBlocks < 0) {
            throw new IllegalArgumentException("truncate to " + keepBlocks + " blocks");
        }
        Inode node = inodes.get(inode);
        if (node == null) {
            return 0;
        }
        long missing = metadataNeeded(inode, keepBlocks, Long.MAX_VALUE - keepBlocks);
        if (missing >= 0) {
            throw new MetadataNeededException(missing);
        }
        long freed = 0;
        for (int slot = (int) Math.min(keepBlocks, Ext2Geometry.DIRECT_BLOCKS); slot < Ext2Geometry.DIRECT_BLOCKS; slot++) {
            if (node.slots[slot] != 0) {
                allocator.free(node.slots[slot], 1);
                node.slots[slot] = 0;
                freed++;
            }
        }
        for (int height = 1; height <= 3; height++) {
            int slot = Ext2Geometry.DIRECT_BLOCKS + height - 1;
            long root = node.slots[slot];
            long base = geometry.indirectStart(height);
            if (root == 0 || keepBlocks >= base + geometry.span(height)) {
                continue;
            }
            freed += truncateBranch(root, height, base, keepBlocks);
            if (isEmptyMapBlock(root)) {
                freeMapBlock(root);
                node.slots[slot] = 0;
                freed++;
            }
        }
        for (Extent e : node.reservedData.removeFrom(keepBlocks)) {
            allocator.release(e.physical(), e.count());
        }
        node.reservedMaps.entrySet().removeIf(e -> {
            if (Ext2Geometry.firstCoveredOfKey(e.getKey()) < keepBlocks) {
                return false;
            }
            allocator.release(e.getValue(), 1);
            return true;
        });
        if (node.isEmpty()) {
            inodes.remove(inode);
        }
        return freed;
    }

    @Override
    public long maxFileBlocks() {
        return geometry.maxFileBlocks();
    }

    /**
     * The first map block of file {@code inode} covering any of {@code [firstBlock, firstBlock +
     * count)} that is not cached, walking every existing map block of that range (what
     * {@link #truncate} needs), or -1.
     */
    @Override
    public long metadataNeeded(long inode, long firstBlock, long count) {
        BlockSizes.checkRange(firstBlock, count);
        Inode node = inodes.get(inode);
        if (node == null || count == 0) {
            return -1;
        }
        long end = count > Long.MAX_VALUE - firstBlock ? Long.MAX_VALUE : firstBlock + count;
        for (int height = 1; height <= 3; height++) {
            long root = node.slots[Ext2Geometry.DIRECT_BLOCKS + height - 1];
            long base = geometry.indirectStart(height);
            if (root != 0 && base < end && firstBlock < base + geometry.span(height)) {
                long missing = uncachedIn(root, height, base, firstBlock, end);
                if (missing >= 0) {
                    return missing;
                }
            }
        }
        return -1;
    }

    @Override
    public String name() {
        return EXT2;
    }

    @Override
    public int blockSize() {
        return geometry.blockSize();
    }

    @Override
    public BlockAllocator allocator() {
        return allocator;
    }

    /** The metadata cache, which is also the metadata buffers of this layout. */
    @Override
    public MetadataCache metadataBuffers() {
        return cache;
    }

    @Override
    public long[] inodes() {
        return inodes.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
    }

    /** A copy of file {@code inode}'s in-inode pointers (all zero for an unknown file). */
    public InodePointers inodePointers(long inode) {
        Inode node = inodes.get(inode);
        long[] slots = node == null ? new long[Ext2Geometry.INODE_SLOTS] : node.slots;
        List<Long> direct = new ArrayList<>();
        for (int i = 0; i < Ext2Geometry.DIRECT_BLOCKS; i++) {
            direct.add(slots[i]);
        }
        return new InodePointers(direct, slots[12], slots[13], slots[14]);
    }

    /**
     * At start-up: file {@code inode}'s committed inode pointers. Nothing is allocated or read:
     * the caller marks the blocks in the allocator and reads map blocks on demand
     * ({@link Ext2Restore}).
     *
     * @throws IllegalStateException if the file is already known
     */
    public void restoreInode(long inode, InodePointers pointers) {
        requireNonNull(pointers, "pointers");
        if (pointers.direct().size() != Ext2Geometry.DIRECT_BLOCKS) {
            throw new IllegalArgumentException(pointers.direct().size() + " direct pointers");
        }
        if (inodes.containsKey(inode)) {
            throw new IllegalStateException("inode " + inode + " is already known");
        }
        Inode node = new Inode();
        for (int i = 0; i < Ext2Geometry.DIRECT_BLOCKS; i++) {
            node.slots[i] = pointers.direct().get(i);
        }
        node.slots[12] = pointers.singleIndirect();
        node.slots[13] = pointers.doubleIndirect();
        node.slots[14] = pointers.tripleIndirect();
        if (!node.isEmpty()) {
            node.lastPhysical = Arrays.stream(node.slots).max().orElse(0);
            inodes.put(inode, node);
        }
    }

    /**
     * File {@code inode}'s map blocks that are cached, parents before children; the subtree of a
     * block that is not cached is skipped (it was never read since the start, so nothing under it
     * changed). What a commit must find clean on the device.
     */
    public List<Long> cachedMapBlocks(long inode) {
        List<Long> blocks = new ArrayList<>();
        Inode node = inodes.get(inode);
        if (node == null) {
            return blocks;
        }
        for (int height = 1; height <= 3; height++) {
            long root = node.slots[Ext2Geometry.DIRECT_BLOCKS + height - 1];
            if (root != 0) {
                collectCached(root, height, blocks);
            }
        }
        return blocks;
    }

    private void collectCached(long block, int height, List<Long> blocks) {
        ByteBuffer buf = cache.lookup(block);
        if (buf == null) {
            return;
        }
        blocks.add(block);
        if (height == 1) {
            return;
        }
        for (int slot = 0; slot < p; slot++) {
            long child = pointer(buf, slot);
            if (child != 0) {
                collectCached(child, height - 1, blocks);
            }
        }
    }

    /**
     * File {@code inode}'s mapped data blocks in logical order, adjacent runs merged.
     *
     * @throws MetadataNeededException if one of the file's map blocks is not cached
     */
    @Override
    public List<Extent> extents(long inode) {
        List<Extent> extents = new ArrayList<>();
        visit(inodes.get(inode), new TreeVisitor() {
            @Override
            public void data(long logical, long physical) {
                int last = extents.size() - 1;
                Extent prev = last < 0 ? null : extents.get(last);
                if (prev != null && prev.logicalEnd() == logical && prev.physicalEnd() == physical) {
                    extents.set(last, new Extent(prev.logical(), prev.physical(), prev.count() + 1));
                } else {
                    extents.add(new Extent(logical, physical, 1));
                }
            }
        });
        return List.copyOf(extents);
    }

    /**
     * File {@code inode}'s map blocks (physical numbers), parents before children, in logical order.
     *
     * @throws MetadataNeededException if one of the file's map blocks is not cached
     */
    public List<Long> mapBlocks(long inode) {
        List<Long> blocks = new ArrayList<>();
        visit(inodes.get(inode), new TreeVisitor() {
            @Override
            public void mapBlock(long physical, int height, long firstCovered) {
                blocks.add(physical);
            }
        });
        return List.copyOf(blocks);
    }

    @Override
    public List<Extent> reservations(long inode) {
        Inode node = inodes.get(inode);
        return node == null ? List.of() : node.reservedData.list();
    }

    /**
     * {@inheritDoc}
     *
     * @throws MetadataNeededException if a file's map block is not cached
     */
    @Override
    public List<ConsistencyProblem> checkConsistency() {
        OwnershipCheck check = new OwnershipCheck(allocator);
        for (long inode : inodes()) {
            Inode node = inodes.get(inode);
            check.claimMapped(inode, extents(inode));
            visit(node, new TreeVisitor() {
                @Override
                public void mapBlock(long physical, int height, long firstCovered) {
                    check.claim(physical, 1, "inode " + inode + " map block of height " + height
                            + " covering from " + firstCovered);
                }
            });
            check.claimReserved(inode, node.reservedData.list());
            for (Map.Entry<Long, Long> e : node.reservedMaps.entrySet()) {
                check.claim(e.getValue(), 1, "inode " + inode + " reserved map block covering from "
                        + Ext2Geometry.firstCoveredOfKey(e.getKey()));
            }
        }
        return check.finish();
    }

    private Walk walk(Inode node, long logical) {
        Walk w = new Walk(geometry.path(logical));
        long ptr = node == null ? 0 : node.slots[w.path.offset(0)];
        for (int level = 1; level < w.depth(); level++) {
            if (ptr == 0) {
                w.firstMissing = level;
                return w;
            }
            w.mapBlocks[level] = ptr;
            ByteBuffer buf = cache.lookup(ptr);
            if (buf == null) {
                w.needs = ptr;
                return w;
            }
            ptr = pointer(buf, w.path.offset(level));
        }
        w.data = ptr;
        w.firstMissing = ptr == 0 ? w.depth() : w.depth() + 1;
        return w;
    }

    private MapResult mappedRun(Inode node, Walk w, int limit) {
        int slot = w.path.leafSlot();
        int slots = geometry.slotsInLeaf(w.path);
        int max = Math.min(limit, slots - slot);
        int count = 1;
        ByteBuffer leaf = leafBuffer(w);
        while (count < max && pointer(node, leaf, slot + count) == w.data + count) {
            count++;
        }
        return new Mapped(w.data, count, false, slot + count == slots, false);
    }

    /** The hole at a zero pointer: what it would cover, plus the zero slots after it in its block. */
    private int holeLength(Inode node, Walk w, int limit) {
        int container = w.firstMissing - 1;
        long coverage = geometry.span(w.depth() - 1 - container);
        long count = coverage - (w.path.logical() - geometry.firstCovered(w.path, w.firstMissing));
        boolean isMapBlock = container >= 1;
        if (isMapBlock || w.depth() == 1) {
            ByteBuffer buf = isMapBlock ? cache.lookup(w.mapBlocks[container]) : null;
            int slots = isMapBlock ? p : Ext2Geometry.DIRECT_BLOCKS;
            for (int s = w.path.offset(container) + 1; s < slots && count < limit; s++) {
                if (pointer(node, buf, s) != 0) {
                    break;
                }
                count += coverage;
            }
        }
        return (int) Math.min(count, limit);
    }

    private MapResult allocate(Inode node, Walk w, int limit) {
        Path path = w.path;
        int depth = w.depth();
        int slot = path.leafSlot();
        long logical = path.logical();
        long wanted = Math.min(limit, geometry.slotsInLeaf(path) - slot);
        if (w.leafExists()) {
            ByteBuffer leaf = leafBuffer(w);
            int zeros = 1;
            while (zeros < wanted && pointer(node, leaf, slot + zeros) == 0) {
                zeros++;
            }
            wanted = zeros;
        }
        Extent reserved = node.reservedData.covering(logical);
        if (reserved != null) {
            wanted = Math.min(wanted, reserved.logicalEnd() - logical);
        } else {
            wanted = Math.min(wanted, node.reservedData.nextCovered(logical) - logical);
        }
        long[] maps = new long[depth];
        int mapsToAllocate = 0;
        for (int level = w.firstMissing; level < depth; level++) {
            Long r = node.reservedMaps.get(geometry.key(path, level));
            if (r == null) {
                mapsToAllocate++;
            } else {
                maps[level] = r;
            }
        }
        long dataStart = reserved == null ? 0 : reserved.physicalOf(logical);
        if (mapsToAllocate > 0 || reserved == null) {
            Allocation a = allocateSequence(goal(node), mapsToAllocate, reserved == null ? wanted : 0);
            if (a == null) {
                if (node.isEmpty()) {
                    inodes.values().remove(node);
                }
                return new Failed(Errno.ENOSPC);
            }
            for (int level = w.firstMissing, i = 0; level < depth; level++) {
                if (maps[level] == 0) {
                    maps[level] = a.maps()[i++];
                }
            }
            if (reserved == null) {
                dataStart = a.dataStart();
                wanted = a.dataCount();
            }
            node.lastPhysical = a.last();
        }
        // Everything is allocated: commit. New map blocks are zeroed and dirty, children linked
        // first, the data pointers next, and the branch spliced into its parent last.
        if (reserved != null) {
            node.reservedData.take(logical, wanted);
        }
        for (int level = w.firstMissing; level < depth; level++) {
            node.reservedMaps.remove(geometry.key(path, level));
            cache.getOrCreateZeroed(maps[level]);
        }
        for (int level = depth - 1; level > w.firstMissing; level--) {
            setPointer(node, maps[level - 1], path.offset(level - 1), maps[level]);
        }
        long leafBlock = depth == 1 ? 0 : w.leafExists() ? w.mapBlocks[depth - 1] : maps[depth - 1];
        for (int i = 0; i < wanted; i++) {
            setPointer(node, leafBlock, slot + i, dataStart + i);
        }
        if (w.firstMissing < depth) {
            int parent = w.firstMissing - 1;
            setPointer(node, parent == 0 ? 0 : w.mapBlocks[parent], path.offset(parent), maps[w.firstMissing]);
        }
        boolean boundary = slot + wanted == geometry.slotsInLeaf(path);
        return new Mapped(dataStart, (int) wanted, true, boundary, false);
    }

    /**
     * Allocates {@code maps} map blocks followed by up to {@code data} data blocks, contiguously
     * where free space allows; the data blocks handed out (at least one if asked for) are one run.
     * Rolls back and answers {@code null} when the device is full.
     */
    private Allocation allocateSequence(long goal, int maps, long data) {
        List<BlockAllocator.Run> taken = new ArrayList<>();
        long[] mapBlocks = new long[maps];
        int m = 0;
        long dataStart = 0;
        long dataCount = 0;
        long g = goal;
        while (m < maps || (data > 0 && dataCount == 0)) {
            BlockAllocator.Run run = allocator.allocate(g, (maps - m) + data);
            if (run == null) {
                for (BlockAllocator.Run r : taken) {
                    allocator.release(r.start(), r.count());
                }
                return null;
            }
            taken.add(run);
            long next = run.start();
            while (m < maps && next < run.end()) {
                mapBlocks[m++] = next++;
            }
            if (m == maps && next < run.end()) {
                dataStart = next;
                dataCount = run.end() - next;
            }
            g = run.end();
        }
        return new Allocation(mapBlocks, dataStart, dataCount, g - 1);
    }

    private long goal(Inode node) {
        return node.lastPhysical < 0 ? -1 : node.lastPhysical + 1;
    }

    /** Frees the data and map blocks under map block {@code block} that map {@code keep} and beyond. */
    private long truncateBranch(long block, int height, long base, long keep) {
        long childSpan = geometry.span(height - 1);
        int first = keep <= base ? 0 : (int) ((keep - base) / childSpan);
        long freed = 0;
        ByteBuffer buf = cache.lookup(block);
        for (int slot = first; slot < p; slot++) {
            long child = pointer(buf, slot);
            if (child == 0) {
                continue;
            }
            if (height == 1) {
                allocator.free(child, 1);
            } else {
                freed += truncateBranch(child, height - 1, base + slot * childSpan, keep);
                if (!isEmptyMapBlock(child)) {
                    continue;
                }
                freeMapBlock(child);
            }
            cache.putInt(block, slot * Integer.BYTES, 0);
            freed++;
        }
        return freed;
    }

    private void freeMapBlock(long block) {
        allocator.free(block, 1);
        // bforget: the freed block's buffer must never be written again.
        cache.cleanAlias(block);
    }

    private boolean isEmptyMapBlock(long block) {
        ByteBuffer buf = cache.lookup(block);
        for (int slot = 0; slot < p; slot++) {
            if (pointer(buf, slot) != 0) {
                return false;
            }
        }
        return true;
    }

    private long uncachedIn(long block, int height, long base, long first, long end) {
        ByteBuffer buf = cache.lookup(block);
        if (buf == null) {
            return block;
        }
        if (height == 1) {
            return -1;
        }
        long childSpan = geometry.span(height - 1);
        int from = first <= base ? 0 : (int) Math.min(p, (first - base) / childSpan);
        int to = (int) Math.min(p - 1, (end - 1 - base) / childSpan);
        for (int slot = from; slot <= to; slot++) {
            long child = pointer(buf, slot);
            if (child != 0) {
                long missing = uncachedIn(child, height - 1, base + slot * childSpan, first, end);
                if (missing >= 0) {
                    return missing;
                }
            }
        }
        return -1;
    }

    private void visit(Inode node, TreeVisitor visitor) {
        if (node == null) {
            return;
        }
        for (int slot = 0; slot < Ext2Geometry.DIRECT_BLOCKS; slot++) {
            if (node.slots[slot] != 0) {
                visitor.data(slot, node.slots[slot]);
            }
        }
        for (int height = 1; height <= 3; height++) {
            long root = node.slots[Ext2Geometry.DIRECT_BLOCKS + height - 1];
            if (root != 0) {
                visitTree(root, height, geometry.indirectStart(height), visitor);
            }
        }
    }

    private void visitTree(long block, int height, long base, TreeVisitor visitor) {
        visitor.mapBlock(block, height, base);
        ByteBuffer buf = cache.lookup(block);
        if (buf == null) {
            throw new MetadataNeededException(block);
        }
        long childSpan = geometry.span(height - 1);
        for (int slot = 0; slot < p; slot++) {
            long child = pointer(buf, slot);
            if (child == 0) {
                continue;
            }
            if (height == 1) {
                visitor.data(base + slot, child);
            } else {
                visitTree(child, height - 1, base + slot * childSpan, visitor);
            }
        }
    }

    /** The leaf container's buffer, or {@code null} for the direct pointers (in the inode). */
    private ByteBuffer leafBuffer(Walk w) {
        return w.depth() == 1 ? null : cache.lookup(w.mapBlocks[w.depth() - 1]);
    }

    private long leafPointer(Inode node, Walk w, int slot) {
        return pointer(node, leafBuffer(w), slot);
    }

    /** Slot {@code slot} of {@code buf}, or of the inode's direct pointers when {@code buf} is null. */
    private static long pointer(Inode node, ByteBuffer buf, int slot) {
        if (buf == null) {
            return node == null ? 0 : node.slots[slot];
        }
        return pointer(buf, slot);
    }

    private static long pointer(ByteBuffer buf, int slot) {
        return Integer.toUnsignedLong(buf.getInt(slot * Integer.BYTES));
    }

    /** Sets slot {@code slot} of map block {@code block}, or of the inode when {@code block} is 0. */
    private void setPointer(Inode node, long block, int slot, long value) {
        if (block == 0) {
            node.slots[slot] = value;
        } else {
            cache.putInt(block, slot * Integer.BYTES, (int) value);
        }
    }
}
