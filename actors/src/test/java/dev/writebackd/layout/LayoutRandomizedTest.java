package dev.writebackd.layout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.error.Errno;
import dev.writebackd.layout.MapResult.Failed;
import dev.writebackd.layout.MapResult.Hole;
import dev.writebackd.layout.MapResult.Mapped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random maps, reserves, truncates, deletes, commits and (ext2) cold-cache evictions across several
 * files, checked against a model of every file's logical → physical map.
 */
class LayoutRandomizedTest {
    private static final int FILES = 5;
    private static final int OPERATIONS = 1500;

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (String layout : List.of(BlockLayout.EXTENT, BlockLayout.EXT2)) {
            LayoutTesting.blockSizes().forEach(bs -> {
                for (long seed = 1; seed <= 5; seed++) {
                    // Seeds 4 and 5 run on a small device, where ENOSPC is common.
                    cases.add(Arguments.of(layout, bs, seed, seed <= 3 ? 4000 : 200));
                }
            });
        }
        return cases.stream();
    }

    private Random rnd;
    private int p;
    private MetadataCache cache;
    private FakeDevice device;
    private BlockLayout layout;
    private final Map<Long, TreeMap<Long, Long>> model = new HashMap<>();

    @ParameterizedTest(name = "{0}, block size {1}, seed {2}, {3} blocks")
    @MethodSource("cases")
    @DisplayName("U3 random maps, reserves and truncates stay consistent, match the model, and never share a block between files")
    void randomOperations(String name, int blockSize, long seed, long deviceBlocks) {
        rnd = new Random(seed);
        p = blockSize / 4;
        cache = new MetadataCache(blockSize);
        device = new FakeDevice(blockSize, deviceBlocks);
        layout = BlockLayout.create(name, new BlockAllocator(deviceBlocks), blockSize, cache);

        for (int op = 0; op < OPERATIONS; op++) {
            long inode = 1 + rnd.nextInt(FILES);
            int choice = rnd.nextInt(100);
            if (choice < 35) {
                write(inode);
            } else if (choice < 50) {
                read(inode);
            } else if (choice < 62) {
                reserve(inode);
            } else if (choice < 72) {
                truncate(inode);
            } else if (choice < 75) {
                loadMetadata(inode, 0);
                layout.deleteFile(inode);
                model.remove(inode);
            } else if (choice < 85) {
                layout.allocator().commitFrees();
            } else if (choice < 92) {
                LayoutTesting.writeDirtyMetadata(cache, device);
                cache.evictClean();
            }
            if (op % 20 == 0 || choice >= 92) {
                assertConsistent();
            }
        }
        assertConsistent();
        assertMatchesModel();
    }

    private long randomBlock() {
        long max = layout.maxFileBlocks();
        long b = switch (rnd.nextInt(7)) {
            case 0, 1 -> rnd.nextInt(40);
            case 2 -> 12 + p - 20 + rnd.nextInt(40);
            case 3 -> 12 + p + rnd.nextInt(3 * p);
            case 4 -> 12 + p + (long) p * p - 10 + rnd.nextInt(30);
            case 5 -> max - 1 - rnd.nextInt(8);
            default -> rnd.nextInt(100_000);
        };
        return Math.min(b, max - 1);
    }

    private void write(long inode) {
        long block = randomBlock();
        int max = 1 + rnd.nextInt(16);
        MapResult r = LayoutTesting.mapLoading(layout, cache, device, inode, block, max, true);
        if (r instanceof Failed f) {
            assertThat(f.errno()).isEqualTo(Errno.ENOSPC);
            return;
        }
        Mapped m = (Mapped) r;
        assertThat(m.count()).isBetween(1, max);
        assertThat(m.isUptodate()).isFalse();
        TreeMap<Long, Long> file = model.computeIfAbsent(inode, i -> new TreeMap<>());
        for (int i = 0; i < m.count(); i++) {
            Long before = file.get(block + i);
            if (m.isNew()) {
                assertThat(before).as("new block %d was unmapped", block + i).isNull();
                file.put(block + i, m.physicalBlock() + i);
            } else {
                assertThat(before).as("mapped block %d", block + i).isEqualTo(m.physicalBlock() + i);
            }
        }
    }

    private void read(long inode) {
        long block = randomBlock();
        int max = 1 + rnd.nextInt(64);
        MapResult r = LayoutTesting.mapLoading(layout, cache, device, inode, block, max, false);
        TreeMap<Long, Long> file = model.getOrDefault(inode, new TreeMap<>());
        if (r instanceof Hole h) {
            assertThat(h.count()).isBetween(1, max);
            assertThat(file.subMap(block, block + h.count())).as("hole at %d+%d", block, h.count()).isEmpty();
        } else {
            Mapped m = (Mapped) r;
            assertThat(m.isNew()).isFalse();
            assertThat(m.count()).isBetween(1, max);
            for (int i = 0; i < m.count(); i++) {
                assertThat(file.get(block + i)).isEqualTo(m.physicalBlock() + i);
            }
            if (layout instanceof ExtentMapper) {
                assertThat(m.isBoundary()).isFalse();
            }
        }
    }

    private void reserve(long inode) {
        long block = randomBlock();
        long count = Math.min(1 + rnd.nextInt(64), layout.maxFileBlocks() - block);
        Errno e = layout.reserve(inode, block, count);
        assertThat(e).isIn(null, Errno.ENOSPC);
    }

    private void truncate(long inode) {
        TreeMap<Long, Long> file = model.get(inode);
        long keep = file == null || file.isEmpty() || rnd.nextBoolean() ? randomBlock()
                : rnd.nextLong(file.lastKey() + 2);
        loadMetadata(inode, keep);
        long pendingBefore = layout.allocator().pendingFreeBlocks();
        long freed = layout.truncate(inode, keep);
        int dataFreed = 0;
        if (file != null) {
            Map<Long, Long> tail = file.tailMap(keep, true);
            dataFreed = tail.size();
            tail.clear();
        }
        assertThat(layout.allocator().pendingFreeBlocks() - pendingBefore).isEqualTo(freed);
        if (layout instanceof ExtentMapper) {
            assertThat(freed).isEqualTo(dataFreed);
        } else {
            assertThat(freed).as("data blocks and emptied map blocks").isGreaterThanOrEqualTo(dataFreed);
        }
    }

    private void loadMetadata(long inode, long from) {
        LayoutTesting.loadMetadata(layout, cache, device, inode, from);
    }

    private void assertConsistent() {
        for (long inode : layout.inodes()) {
            loadMetadata(inode, 0);
        }
        assertThat(layout.checkConsistency()).isEmpty();
    }

    private void assertMatchesModel() {
        Set<Long> owned = new HashSet<>();
        long total = 0;
        for (long inode = 1; inode <= FILES; inode++) {
            TreeMap<Long, Long> expected = model.getOrDefault(inode, new TreeMap<>());
            TreeMap<Long, Long> actual = new TreeMap<>();
            for (Extent e : layout.extents(inode)) {
                for (long i = 0; i < e.count(); i++) {
                    actual.put(e.logical() + i, e.physical() + i);
                }
            }
            assertThat(actual).as("inode %d", inode).isEqualTo(expected);
            owned.addAll(expected.values());
            total += expected.size();
            if (layout instanceof Ext2Mapper ext2) {
                owned.addAll(ext2.mapBlocks(inode));
                total += ext2.mapBlocks(inode).size();
            }
            for (Extent e : layout.reservations(inode)) {
                for (long i = 0; i < e.count(); i++) {
                    owned.add(e.physical() + i);
                }
                total += e.count();
            }
        }
        assertThat(owned).as("no physical block belongs to two files").hasSize((int) total);
    }
}
