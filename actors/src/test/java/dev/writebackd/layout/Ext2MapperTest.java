package dev.writebackd.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.writebackd.error.Errno;
import dev.writebackd.layout.ConsistencyProblem.Kind;
import dev.writebackd.layout.MapResult.Failed;
import dev.writebackd.layout.MapResult.Hole;
import dev.writebackd.layout.MapResult.Mapped;
import dev.writebackd.layout.MapResult.NeedsMetadata;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class Ext2MapperTest {
    private static final int PAGE_SIZE = 4096;
    private static final long DEVICE_BLOCKS = 5000;

    private int blockSize;
    private int p;
    private MetadataCache cache;
    private FakeDevice device;
    private Ext2Mapper mapper;

    static IntStream blockSizes() {
        return LayoutTesting.blockSizes();
    }

    static Stream<Arguments> blockSizesWithAndWithoutReservation() {
        return blockSizes().boxed().flatMap(bs -> Stream.of(Arguments.of(bs, false), Arguments.of(bs, true)));
    }

    private void setUp(int size) {
        setUp(size, DEVICE_BLOCKS);
    }

    private void setUp(int size, long deviceBlocks) {
        blockSize = size;
        p = size / 4;
        cache = new MetadataCache(size);
        device = new FakeDevice(size, deviceBlocks);
        mapper = new Ext2Mapper(new BlockAllocator(deviceBlocks), size, cache);
    }

    /** Writes file blocks [from, to) page by page, as the page writer does (W2), checking isNew. */
    private List<Mapped> write(long inode, long from, long to) {
        int perPage = PAGE_SIZE / blockSize;
        List<Mapped> answers = new ArrayList<>();
        for (long b = from; b < to; ) {
            int max = (int) Math.min(perPage - b % perPage, to - b);
            Mapped m = (Mapped) mapper.map(inode, b, max, true);
            assertThat(m.isNew()).as("block %d is new", b).isTrue();
            answers.add(m);
            b += m.count();
        }
        return answers;
    }

    /** File 1's single- and double-indirect map blocks and the double's first leaf. */
    private record MapBlocks(long single, long dbl, long leaf) {}

    /**
     * Writes file 1's blocks [0, end), which reach into the double-indirect tree, then its map
     * blocks to the device (they stay cached, clean).
     */
    private MapBlocks writeThroughDoubleIndirect(long end) {
        write(1, 0, end);
        long dbl = mapper.inodePointers(1).doubleIndirect();
        MapBlocks maps = new MapBlocks(mapper.inodePointers(1).singleIndirect(), dbl, pointerIn(dbl, 0));
        LayoutTesting.writeDirtyMetadata(cache, device);
        return maps;
    }

    private long pointerIn(long mapBlock, int slot) {
        ByteBuffer buf = cache.lookup(mapBlock);
        return Integer.toUnsignedLong(buf.getInt(slot * 4));
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("X1 pointer geometry: 12 direct, p = blockSize/4 per map block, max file 12 + p + p² + p³")
    void geometry(int size) {
        setUp(size);
        Ext2Geometry g = mapper.geometry();
        long pp = (long) p * p;
        assertThat(g.pointersPerBlock()).isEqualTo(size / 4);
        assertThat(Ext2Geometry.DIRECT_BLOCKS).isEqualTo(12);
        assertThat(g.indirectStart(1)).isEqualTo(12);
        assertThat(g.indirectStart(2)).isEqualTo(12 + p);
        assertThat(g.indirectStart(3)).isEqualTo(12 + p + pp);
        assertThat(mapper.maxFileBlocks()).isEqualTo(12 + p + pp + pp * p)
                .isLessThanOrEqualTo((1L << 43) / size);
        assertThat(g.offsets(11)).containsExactly(11);
        assertThat(g.offsets(12)).containsExactly(12, 0);
        assertThat(g.offsets(12 + p - 1)).containsExactly(12, p - 1);
        assertThat(g.offsets(12 + p)).containsExactly(13, 0, 0);
        assertThat(g.offsets(12 + p + pp - 1)).containsExactly(13, p - 1, p - 1);
        assertThat(g.offsets(12 + p + pp + p + 2)).containsExactly(14, 0, 1, 2);
        assertThat(g.blocksToBoundary(0)).isEqualTo(11);
        assertThat(g.isLastSlot(11)).isTrue();
        assertThat(g.isLastSlot(12 + p - 1)).isTrue();
        assertThat(g.isLastSlot(12 + p)).isFalse();

        long max = mapper.maxFileBlocks();
        assertThat(mapper.map(1, max, 1, true)).isEqualTo(new Failed(Errno.EFBIG));
        assertThat(mapper.reserve(1, max - 1, 2)).isEqualTo(Errno.EFBIG);
        Mapped last = (Mapped) mapper.map(1, max - 1, 8, true);
        assertThat(last.count()).isEqualTo(1);
        assertThat(last.isBoundary()).as("the last slot of its map block").isTrue();
        assertThat(mapper.mapBlocks(1)).as("triple, double and single map blocks").hasSize(3);
    }

    @ParameterizedTest(name = "block size {0}, reserved first: {1}")
    @MethodSource("blockSizesWithAndWithoutReservation")
    @DisplayName("X3 create=true places each map block physically just before the data it maps")
    void mapBlocksPrecedeTheirData(int size, boolean reserveFirst) {
        setUp(size);
        long end = 12 + p + 20;
        if (reserveFirst) {
            assertThat(mapper.reserve(1, 0, end)).isNull();
            assertThat(mapper.map(1, 0, 1, false)).as("reserved blocks still read as holes").isInstanceOf(Hole.class);
            assertThat(cache.size()).as("map blocks are created when handed out").isZero();
        }
        write(1, 0, end);

        // Relative to the file's first block (1): data 0–11, single map 12, data 13…, as in X4.
        Ext2Mapper.InodePointers ptrs = mapper.inodePointers(1);
        assertThat(ptrs.direct()).containsExactlyElementsOf(LongStream.rangeClosed(1, 12).boxed().toList());
        long single = ptrs.singleIndirect();
        assertThat(single).isEqualTo(13);
        long dbl = ptrs.doubleIndirect();
        assertThat(dbl).isEqualTo(14 + p);
        assertThat(ptrs.tripleIndirect()).isZero();
        long leaf = pointerIn(dbl, 0);
        assertThat(leaf).isEqualTo(15 + p);
        for (int slot = 0; slot < p; slot++) {
            assertThat(pointerIn(single, slot)).isEqualTo(14 + slot);
        }
        for (int slot = 0; slot < p; slot++) {
            assertThat(pointerIn(leaf, slot)).isEqualTo(slot < 20 ? 16 + p + slot : 0);
            assertThat(pointerIn(dbl, slot)).isEqualTo(slot == 0 ? leaf : 0);
        }
        assertThat(mapper.extents(1)).containsExactly(new Extent(0, 1, 12), new Extent(12, 14, p),
                new Extent(12 + p, 16 + p, 20));
        assertThat(mapper.mapBlocks(1)).containsExactly(single, dbl, leaf);
        assertThat(cache.dirtyBlocks()).as("new map blocks are dirty").containsExactly(single, dbl, leaf);
        assertThat(mapper.reservations(1)).isEmpty();
        assertThat(mapper.checkConsistency()).isEmpty();

        // isNew only the first time.
        Mapped again = (Mapped) mapper.map(1, 12, 4, true);
        assertThat(again).isEqualTo(new Mapped(14, 4, false, false, false));
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("X3 new map blocks start zeroed and dirty in the metadata cache")
    void newMapBlocksAreZeroedAndDirty(int size) {
        setUp(size);
        // A stale cached copy of the block that will become the map block must not leak through.
        byte[] stale = new byte[size];
        java.util.Arrays.fill(stale, (byte) 0x5A);
        cache.install(1, stale);

        Mapped m = (Mapped) mapper.map(1, 20, 1, true);
        assertThat(m).isEqualTo(new Mapped(2, 1, true, false, false));
        long single = mapper.inodePointers(1).singleIndirect();
        assertThat(single).isEqualTo(1);
        assertThat(cache.isDirty(single)).isTrue();
        for (int slot = 0; slot < p; slot++) {
            assertThat(pointerIn(single, slot)).isEqualTo(slot == 8 ? 2 : 0);
        }
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("X2 boundary is set on file block 11 and on the last slot of the single-indirect block")
    void boundaryOnLastSlots(int size) {
        setUp(size);
        long end = 12 + p + 20;
        write(1, 0, end);

        assertThat(mapper.map(1, 0, 1000, false)).isEqualTo(new Mapped(1, 12, false, true, false));
        assertThat(mapper.map(1, 0, 8, false)).isEqualTo(new Mapped(1, 8, false, false, false));
        assertThat(mapper.map(1, 11, 1, false)).isEqualTo(new Mapped(12, 1, false, true, false));
        assertThat(mapper.map(1, 12, Integer.MAX_VALUE, false)).isEqualTo(new Mapped(14, p, false, true, false));
        assertThat(mapper.map(1, 12 + p - 4, 100, false)).isEqualTo(new Mapped(14 + p - 4, 4, false, true, false));
        assertThat(mapper.map(1, 12 + p - 4, 3, false)).isEqualTo(new Mapped(14 + p - 4, 3, false, false, false));
        assertThat(mapper.map(1, 12 + p, 1000, false)).isEqualTo(new Mapped(16 + p, 20, false, false, false));

        List<Mapped> written = write(2, 0, 12 + p);
        assertThat(written).filteredOn(Mapped::isBoundary).extracting(Mapped::count).hasSize(2);
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("X2 runs never cross a map block's last slot, even when the physical blocks continue")
    void runsNeverCrossLastSlot(int size) {
        setUp(size);
        // Create the map blocks first, so that data blocks 11|12 and (12+p-1)|(12+p) are allocated
        // physically contiguous afterwards.
        mapper.map(1, 20, 1, true);
        mapper.map(1, 12 + p + 5, 1, true);
        long base = ((Mapped) mapper.map(1, 0, 12, true)).physicalBlock();
        assertThat(mapper.map(1, 12, 8, true)).isEqualTo(new Mapped(base + 12, 8, true, false, false));
        assertThat(mapper.map(1, 0, 100, false)).isEqualTo(new Mapped(base, 12, false, true, false));

        long tail = ((Mapped) mapper.map(1, 12 + p - 2, 2, true)).physicalBlock();
        assertThat(mapper.map(1, 12 + p, 2, true)).isEqualTo(new Mapped(tail + 2, 2, true, false, false));
        assertThat(mapper.map(1, 12 + p - 2, 100, false)).isEqualTo(new Mapped(tail, 2, false, true, false));
        assertThat(mapper.map(1, 12 + p - 2, 100, true)).as("create=true on mapped blocks: same run")
                .isEqualTo(new Mapped(tail, 2, false, true, false));
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("X1 map blocks live on the device: with a cold cache block 12's mapping needs the single-indirect block; after readBio and readCompleted it maps")
    void coldCacheNeedsMetadata(int size) {
        setUp(size);
        MapBlocks maps = writeThroughDoubleIndirect(12 + p + 20);
        assertThat(cache.evictClean()).isEqualTo(3);

        assertThat(mapper.map(1, 0, 100, false)).as("direct blocks need no metadata")
                .isEqualTo(new Mapped(1, 12, false, true, false));
        assertThat(mapper.map(1, 12, 100, false)).isEqualTo(new NeedsMetadata(maps.single()));
        long free = mapper.allocator().freeBlocks();
        assertThat(mapper.map(1, 12, 100, true)).isEqualTo(new NeedsMetadata(maps.single()));
        assertThat(mapper.allocator().freeBlocks()).as("nothing allocated").isEqualTo(free);

        LayoutTesting.readMetadata(cache, device, maps.single());
        assertThat(mapper.map(1, 12, 100, false)).isEqualTo(new Mapped(14, Math.min(100, p), false, p <= 100, false));

        assertThat(mapper.map(1, 12 + p, 8, false)).isEqualTo(new NeedsMetadata(maps.dbl()));
        LayoutTesting.readMetadata(cache, device, maps.dbl());
        assertThat(mapper.map(1, 12 + p, 8, false)).isEqualTo(new NeedsMetadata(maps.leaf()));
        LayoutTesting.readMetadata(cache, device, maps.leaf());
        assertThat(mapper.map(1, 12 + p, 8, false)).isEqualTo(new Mapped(16 + p, 8, false, false, false));
        assertThat(device.submitted()).hasSize(6);
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("R5 a zero pointer is a hole up to the end of its zero run; a missing map block covers its whole range")
    void holes(int size) {
        setUp(size);
        assertThat(mapper.map(1, 0, 100, false)).isEqualTo(new Hole(12));
        assertThat(mapper.map(1, 12, Integer.MAX_VALUE, false)).isEqualTo(new Hole(p));
        assertThat(mapper.map(1, 12 + p + 5, Integer.MAX_VALUE, false)).isEqualTo(new Hole(p * p - 5));
        assertThat(mapper.map(1, 12 + p + (long) p * p, 64, false)).isEqualTo(new Hole(64));

        mapper.map(1, 3, 1, true);
        mapper.map(1, 12, 1, true);
        mapper.map(1, 20, 1, true);
        mapper.map(1, 12 + p + 1, 1, true);
        cache.evictClean();
        LayoutTesting.writeDirtyMetadata(cache, device);
        cache.evictClean();
        assertThat(cache.size()).isZero();

        assertThat(mapper.map(1, 4, 100, false)).isEqualTo(new Hole(8));
        assertThat(mapper.map(1, 0, 100, false)).isEqualTo(new Hole(3));
        assertThat(LayoutTesting.mapLoading(mapper, cache, device, 1, 13, 100, false)).isEqualTo(new Hole(7));
        assertThat(mapper.map(1, 21, Integer.MAX_VALUE, false)).isEqualTo(new Hole(12 + p - 21));
        assertThat(LayoutTesting.mapLoading(mapper, cache, device, 1, 12 + p, 100, false)).isEqualTo(new Hole(1));
        assertThat(mapper.map(1, 12 + p + 2, Integer.MAX_VALUE, false)).isEqualTo(new Hole(p - 2));
        assertThat(mapper.map(1, 12 + 2L * p, Integer.MAX_VALUE, false))
                .as("missing leaves: zero slots of the double-indirect block").isEqualTo(new Hole((p - 1) * p));
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("ext2 reserve places data and the map blocks it needs in one run, map block first")
    void reserveIsContiguous(int size) {
        setUp(size);
        mapper.map(1, 0, 5, true);
        long free = mapper.allocator().freeBlocks();
        assertThat(mapper.reserve(1, 0, 12 + p + 3)).isNull();
        assertThat(mapper.reservations(1)).containsExactly(new Extent(5, 6, 7), new Extent(12, 14, p),
                new Extent(12 + p, 16 + p, 3));
        assertThat(mapper.allocator().freeBlocks()).isEqualTo(free - (7 + p + 3 + 3));
        assertThat(mapper.checkConsistency()).isEmpty();

        assertThat(mapper.map(1, 12 + p, 8, true)).isEqualTo(new Mapped(16 + p, 3, true, false, false));
        assertThat(mapper.inodePointers(1).doubleIndirect()).isEqualTo(14 + p);
        assertThat(mapper.checkConsistency()).isEmpty();

        assertThat(mapper.truncate(1, 0)).as("5 + 3 data, 2 map blocks").isEqualTo(10);
        assertThat(mapper.reservations(1)).isEmpty();
        assertThat(mapper.inodes()).isEmpty();
        assertThat(mapper.allocator().freeBlocks()).isEqualTo(free + 5 - 10);
        assertThat(mapper.checkConsistency()).isEmpty();
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("U3 ext2 truncate frees data past the size and map blocks that map nothing; reuse waits for commitFrees")
    void truncateFreesDataAndEmptyMapBlocks(int size) {
        setUp(size);
        MapBlocks maps = writeThroughDoubleIndirect(12 + p + 20);

        assertThat(mapper.truncate(1, 12 + p)).as("20 data, leaf and double").isEqualTo(22);
        assertThat(mapper.inodePointers(1).doubleIndirect()).isZero();
        assertThat(cache.lookup(maps.dbl())).as("freed map blocks are forgotten").isNull();
        assertThat(cache.lookup(maps.leaf())).isNull();
        assertThat(mapper.allocator().isPendingFree(maps.leaf())).isTrue();
        assertThat(mapper.map(1, 12 + p, 1, false)).isInstanceOf(Hole.class);

        assertThat(mapper.truncate(1, 14)).isEqualTo(p - 2);
        assertThat(mapper.inodePointers(1).singleIndirect()).isEqualTo(maps.single());
        assertThat(cache.isDirty(maps.single())).as("zeroed pointers dirty the kept map block").isTrue();
        assertThat(pointerIn(maps.single(), 1)).isEqualTo(15);
        assertThat(pointerIn(maps.single(), 2)).isZero();

        assertThat(mapper.truncate(1, 12)).as("2 data and the now empty single block").isEqualTo(3);
        assertThat(mapper.inodePointers(1).singleIndirect()).isZero();
        assertThat(mapper.truncate(1, 5)).isEqualTo(7);
        assertThat(mapper.extents(1)).containsExactly(new Extent(0, 1, 5));
        assertThat(mapper.checkConsistency()).isEmpty();

        BlockAllocator allocator = mapper.allocator();
        assertThat(allocator.pendingFreeBlocks()).isEqualTo(22 + p - 2 + 3 + 7);
        // Use up every free block (deliberately leaked): only the pending frees are left.
        while (allocator.allocate(-1, allocator.freeBlocks() + 1) != null) {
            continue;
        }
        assertThat(mapper.map(2, 0, 4, true)).as("freed blocks are not reused before the commit")
                .isEqualTo(new Failed(Errno.ENOSPC));
        allocator.commitFrees();
        Mapped reused = (Mapped) mapper.map(2, 0, 4, true);
        assertThat(reused.physicalBlock()).as("and are after").isBetween(6L, 16L + p + 20);
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("U3 a sparse file's map block that maps nothing below the new size is freed too")
    void sparseMapBlockIsFreed(int size) {
        setUp(size);
        mapper.map(1, 20, 1, true);
        mapper.map(1, 21, 1, true);
        assertThat(mapper.truncate(1, 21)).isEqualTo(1);
        assertThat(mapper.inodePointers(1).singleIndirect()).isNotZero();
        assertThat(mapper.truncate(1, 15)).isEqualTo(2);
        assertThat(mapper.inodePointers(1).singleIndirect()).isZero();
        assertThat(mapper.inodes()).isEmpty();
        assertThat(mapper.checkConsistency()).isEmpty();
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("U3 truncate over uncached map blocks asks for them first and changes nothing meanwhile")
    void truncateNeedsMapBlocksCached(int size) {
        setUp(size);
        MapBlocks maps = writeThroughDoubleIndirect(12 + p + 4);
        cache.evictClean();
        long free = mapper.allocator().freeBlocks();

        assertThat(mapper.metadataNeeded(1, 0, 12)).as("direct blocks only").isEqualTo(-1);
        assertThat(mapper.metadataNeeded(1, 12 + p, 1)).isEqualTo(maps.dbl());
        assertThatThrownBy(() -> mapper.truncate(1, 12 + p))
                .isInstanceOfSatisfying(MetadataNeededException.class,
                        e -> assertThat(e.block()).isEqualTo(maps.dbl()));
        assertThat(mapper.allocator().pendingFreeBlocks()).isZero();
        assertThat(mapper.allocator().freeBlocks()).isEqualTo(free);

        LayoutTesting.readMetadata(cache, device, maps.dbl());
        assertThat(mapper.metadataNeeded(1, 12 + p, Long.MAX_VALUE - 12 - p)).isEqualTo(maps.leaf());
        LayoutTesting.loadMetadata(mapper, cache, device, 1, 12 + p);
        assertThat(mapper.truncate(1, 12 + p)).isEqualTo(6);
        assertThatThrownBy(() -> mapper.deleteFile(1)).isInstanceOf(MetadataNeededException.class);
        LayoutTesting.loadMetadata(mapper, cache, device, 1, 0);
        assertThat(mapper.deleteFile(1)).isEqualTo(12 + p + 1);
        assertThat(mapper.inodes()).isEmpty();
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("ext2 answers ENOSPC without leaking map blocks when the data does not fit")
    void enospcRollsBack(int size) {
        setUp(size, 14);
        write(1, 0, 12);
        assertThat(mapper.allocator().freeBlocks()).isEqualTo(1);
        assertThat(mapper.map(1, 12, 1, true)).as("map block fits, data does not").isEqualTo(new Failed(Errno.ENOSPC));
        assertThat(mapper.allocator().freeBlocks()).isEqualTo(1);
        assertThat(mapper.inodePointers(1).singleIndirect()).isZero();
        assertThat(cache.size()).isZero();
        assertThat(mapper.reserve(1, 12, 1)).isEqualTo(Errno.ENOSPC);
        assertThat(mapper.map(2, 0, 1, true)).isEqualTo(new Mapped(13, 1, true, false, false));
        assertThat(mapper.checkConsistency()).isEmpty();
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("the ext2 consistency check finds a map block handed to another file")
    void consistencyFindsDoubleMappedMapBlock(int size) {
        setUp(size, 16);
        write(1, 0, 14);
        assertThat(mapper.allocator().freeBlocks()).isZero();
        long single = mapper.inodePointers(1).singleIndirect();
        assertThat(mapper.checkConsistency()).isEmpty();

        mapper.allocator().free(single, 1);
        mapper.allocator().commitFrees();
        assertThat(mapper.map(2, 0, 1, true)).isEqualTo(new Mapped(single, 1, true, false, false));
        assertThat(mapper.checkConsistency()).extracting(ConsistencyProblem::kind, ConsistencyProblem::block)
                .containsExactly(tuple(Kind.MAPPED_TWICE, single));
    }
}
