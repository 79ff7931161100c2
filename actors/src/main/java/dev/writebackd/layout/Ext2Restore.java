package dev.writebackd.layout;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.ConsistencyProblem.Kind;
import dev.writebackd.layout.Ext2Mapper.InodePointers;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The start-up rebuild of the {@code ext2} layout, like a file-system check: every file's committed
 * inode pointers go back into a fresh {@link Ext2Mapper}, its map blocks are read from the device
 * and walked, and the allocator is rebuilt from what the trees reach — data blocks and map blocks.
 *
 * <p>Problems are reported, not repaired; the engine refuses to start on any:
 *
 * <ul>
 *   <li>{@link Kind#MAPPED_TWICE}: a block reached twice (two files, or twice in one file, or as
 *       data and as a map block). The first claim (lower inode, then tree order) keeps it.
 *   <li>{@link Kind#OUT_OF_RANGE}: a pointer into the reserved area or past the device end (a map
 *       block holding garbage, say); such a pointer is not followed.
 *   <li>whatever {@link Ext2Mapper#checkConsistency()} then finds, when nothing was found before.
 * </ul>
 *
 * <p>The map blocks are read into the mapper's {@link MetadataCache} for the walk and evicted
 * afterwards, so the running engine reads them again on demand. Plain and single-threaded.
 */
public final class Ext2Restore {
    private final Ext2Mapper mapper;
    private final MetadataCache cache;
    private final BlockAllocator allocator;
    private final Function<Bio, Errno> device;
    private final int pointersPerBlock;
    /** Physical block → the inode that claimed it first. */
    private final Map<Long, Long> owners = new HashMap<>();
    private final List<ConsistencyProblem> problems = new ArrayList<>();

    private Ext2Restore(Ext2Mapper mapper, Function<Bio, Errno> device) {
        this.mapper = mapper;
        this.cache = mapper.metadataBuffers();
        this.allocator = mapper.allocator();
        this.device = device;
        this.pointersPerBlock = mapper.geometry().pointersPerBlock();
    }

    /**
     * Restores {@code committed} (inode → its committed pointers) into {@code mapper}, which must be
     * new, reading map blocks through {@code device} (a synchronous {@code BlockDevice::submit}).
     *
     * @return the problems found, empty when the files and the device agree
     * @throws IllegalArgumentException when the mapper is not new
     * @throws IllegalStateException when a map block cannot be read
     */
    public static List<ConsistencyProblem> rebuild(
            Ext2Mapper mapper, Map<Long, InodePointers> committed, Function<Bio, Errno> device) {
        requireNonNull(mapper, "mapper");
        requireNonNull(committed, "committed");
        requireNonNull(device, "device");
        BlockAllocator allocator = mapper.allocator();
        if (mapper.inodes().length > 0
                || allocator.freeBlocks() != allocator.totalBlocks() - allocator.reservedBlocks()) {
            throw new IllegalArgumentException("the mapper to rebuild must be new");
        }
        Ext2Restore restore = new Ext2Restore(mapper, device);
        new TreeMap<>(committed).forEach(restore::restoreFile);
        restore.owners.keySet().stream().sorted().forEach(block -> allocator.markAllocated(block, 1));
        if (restore.problems.isEmpty()) {
            restore.problems.addAll(mapper.checkConsistency());
        }
        restore.cache.evictClean();
        return List.copyOf(restore.problems);
    }

    private void restoreFile(long inode, InodePointers pointers) {
        List<Long> direct = new ArrayList<>(pointers.direct());
        for (int slot = 0; slot < direct.size(); slot++) {
            if (direct.get(slot) != 0 && !claim(direct.get(slot), inode, "direct pointer " + slot)) {
                direct.set(slot, 0L);
            }
        }
        long[] roots = {pointers.singleIndirect(), pointers.doubleIndirect(), pointers.tripleIndirect()};
        for (int height = 1; height <= 3; height++) {
            long root = roots[height - 1];
            if (root == 0) {
                continue;
            }
            long base = mapper.geometry().indirectStart(height);
            if (claim(root, inode, "map block of height " + height + " covering from " + base)) {
                walk(inode, root, height, base);
            } else {
                roots[height - 1] = 0;
            }
        }
        mapper.restoreInode(inode, new InodePointers(direct, roots[0], roots[1], roots[2]));
    }

    /** Claims everything map block {@code block} (already claimed) points at, reading it first. */
    private void walk(long inode, long block, int height, long base) {
        ByteBuffer buf = read(inode, block);
        long childSpan = mapper.geometry().span(height - 1);
        for (int slot = 0; slot < pointersPerBlock; slot++) {
            long child = Integer.toUnsignedLong(buf.getInt(slot * Integer.BYTES));
            if (child == 0) {
                continue;
            }
            long first = base + slot * childSpan;
            if (height == 1) {
                claim(child, inode, "logical block " + first);
            } else if (claim(child, inode, "map block of height " + (height - 1) + " covering from " + first)) {
                walk(inode, child, height - 1, first);
            }
        }
    }

    private ByteBuffer read(long inode, long block) {
        ByteBuffer cached = cache.lookup(block);
        if (cached != null) {
            return cached;
        }
        Bio bio = cache.readBio(block);
        Errno error = bio == null ? Errno.EIO : device.apply(bio);
        if (bio != null) {
            cache.readCompleted(block, error == null);
        }
        ByteBuffer read = cache.lookup(block);
        if (read == null) {
            throw new IllegalStateException("map block " + block + " of inode " + inode + " cannot be read: " + error);
        }
        return read;
    }

    /**
     * File {@code inode} claims {@code block} as {@code what}.
     *
     * @return {@code true} if the claim holds; {@code false} after reporting why not
     */
    private boolean claim(long block, long inode, String what) {
        String owner = "inode " + inode + " " + what;
        if (block < allocator.reservedBlocks() || block >= allocator.totalBlocks()) {
            problems.add(new ConsistencyProblem(Kind.OUT_OF_RANGE, block, "block " + block + " of " + owner
                    + " lies outside the allocatable blocks [" + allocator.reservedBlocks() + ", "
                    + allocator.totalBlocks() + ")"));
            return false;
        }
        Long first = owners.putIfAbsent(block, inode);
        if (first != null) {
            problems.add(new ConsistencyProblem(Kind.MAPPED_TWICE, block, "block " + block + " is mapped by inode "
                    + first + " and by " + owner));
            return false;
        }
        return true;
    }
}
