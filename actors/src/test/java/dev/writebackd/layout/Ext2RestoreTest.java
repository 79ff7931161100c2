package dev.writebackd.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.layout.ConsistencyProblem.Kind;
import dev.writebackd.layout.Ext2Mapper.InodePointers;
import dev.writebackd.layout.MapResult.Mapped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The ext2 start-up rebuild: committed inode pointers plus the map blocks on the device give back the files and the allocator. */
class Ext2RestoreTest {
    private static final long DEVICE_BLOCKS = 6000;

    private int blockSize;
    private int p;
    private FakeDevice device;
    private Ext2Mapper written;

    static java.util.stream.IntStream blockSizes() {
        return LayoutTesting.blockSizes();
    }

    private void setUp(int size) {
        blockSize = size;
        p = size / 4;
        device = new FakeDevice(size, DEVICE_BLOCKS);
        written = new Ext2Mapper(new BlockAllocator(DEVICE_BLOCKS), size, new MetadataCache(size));
    }

    private Ext2Mapper fresh() {
        return new Ext2Mapper(new BlockAllocator(DEVICE_BLOCKS), blockSize, new MetadataCache(blockSize));
    }

    private void write(long inode, long from, long to) {
        for (long b = from; b < to; ) {
            Mapped m = (Mapped) written.map(inode, b, (int) Math.min(8, to - b), true);
            b += m.count();
        }
    }

    @ParameterizedTest
    @MethodSource("blockSizes")
    void theRebuiltFilesAndAllocatorMatchTheWrittenOnes(int size) {
        setUp(size);
        write(1, 0, 12 + p + 2 * p + 5); // through the double-indirect tree
        write(2, 0, 20); // direct and single-indirect
        write(3, 12 + p + 3, 12 + p + 4); // only a block under the double-indirect tree
        LayoutTesting.writeDirtyMetadata(written.metadataBuffers(), device);
        Map<Long, InodePointers> committed = Map.of(
                1L, written.inodePointers(1), 2L, written.inodePointers(2), 3L, written.inodePointers(3));

        Ext2Mapper restored = fresh();
        List<ConsistencyProblem> problems = Ext2Restore.rebuild(restored, committed, device::submit);

        assertThat(problems).isEmpty();
        assertThat(restored.metadataBuffers().size()).as("map blocks are read again on demand").isZero();
        for (long inode = 1; inode <= 3; inode++) {
            LayoutTesting.loadMetadata(restored, restored.metadataBuffers(), device, inode, 0);
            assertThat(restored.inodePointers(inode)).isEqualTo(written.inodePointers(inode));
            assertThat(restored.extents(inode)).isEqualTo(written.extents(inode));
            assertThat(restored.mapBlocks(inode)).isEqualTo(written.mapBlocks(inode));
        }
        for (long block = 0; block < DEVICE_BLOCKS; block++) {
            assertThat(restored.allocator().isAllocated(block)).as("block %d", block)
                    .isEqualTo(written.allocator().isAllocated(block));
        }
        assertThat(restored.checkConsistency()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("blockSizes")
    void twoInodesReachingOneBlockAreReportedWithBothOwners(int size) {
        setUp(size);
        write(1, 0, 12 + 3);
        LayoutTesting.writeDirtyMetadata(written.metadataBuffers(), device);
        InodePointers first = written.inodePointers(1);
        long shared = first.direct().get(4);
        List<Long> direct = new ArrayList<>(List.of(shared));
        while (direct.size() < 12) {
            direct.add(0L);
        }
        long dataOfOne = first.direct().get(0);
        InodePointers damaged = new InodePointers(direct, dataOfOne, 0, 0); // a data block taken for a map block

        List<ConsistencyProblem> problems = Ext2Restore.rebuild(fresh(), Map.of(1L, first, 2L, damaged), device::submit);

        assertThat(problems).extracting(ConsistencyProblem::kind).containsOnly(Kind.MAPPED_TWICE);
        assertThat(problems).extracting(ConsistencyProblem::block).containsExactlyInAnyOrder(shared, dataOfOne);
        assertThat(problems).allSatisfy(problem -> assertThat(problem.detail())
                .contains("mapped by inode 1 and by inode 2"));
    }

    @ParameterizedTest
    @MethodSource("blockSizes")
    void pointersOutsideTheDeviceAreReportedAndNotFollowed(int size) {
        setUp(size);
        write(1, 0, 12 + 2);
        long single = written.inodePointers(1).singleIndirect();
        LayoutTesting.writeDirtyMetadata(written.metadataBuffers(), device);
        MetadataCache other = new MetadataCache(blockSize);
        other.getOrCreateZeroed(single);
        other.putInt(single, Integer.BYTES, (int) (DEVICE_BLOCKS + 7));
        device.submit(other.writeIfDirty(single)); // the map block now holds a meaningless pointer

        List<ConsistencyProblem> problems = Ext2Restore.rebuild(fresh(),
                Map.of(1L, written.inodePointers(1)), device::submit);

        assertThat(problems).singleElement().satisfies(problem -> {
            assertThat(problem.kind()).isEqualTo(Kind.OUT_OF_RANGE);
            assertThat(problem.block()).isEqualTo(DEVICE_BLOCKS + 7);
            assertThat(problem.detail()).contains("inode 1 logical block 13");
        });
    }

    @ParameterizedTest
    @MethodSource("blockSizes")
    void onlyANewMapperIsRebuilt(int size) {
        setUp(size);
        write(1, 0, 3);
        assertThatThrownBy(() -> Ext2Restore.rebuild(written, Map.of(), device::submit))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
