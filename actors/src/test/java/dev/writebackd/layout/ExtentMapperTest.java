package dev.writebackd.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.writebackd.error.Errno;
import dev.writebackd.layout.ConsistencyProblem.Kind;
import dev.writebackd.layout.MapResult.Failed;
import dev.writebackd.layout.MapResult.Hole;
import dev.writebackd.layout.MapResult.Mapped;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ExtentMapperTest {
    private static final int PAGE_SIZE = 4096;

    static IntStream blockSizes() {
        return LayoutTesting.blockSizes();
    }

    private static ExtentMapper mapper(int blockSize, long blocks) {
        return new ExtentMapper(new BlockAllocator(blocks), blockSize);
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("W2 create=true allocates on demand and answers isNew only on the first mapping; never boundary or uptodate")
    void isNewOnFirstMappingOnly(int blockSize) {
        ExtentMapper m = mapper(blockSize, 1000);
        int perPage = PAGE_SIZE / blockSize;

        Mapped first = (Mapped) m.map(1, 0, perPage, true);
        assertThat(first).isEqualTo(new Mapped(1, perPage, true, false, false));
        Mapped again = (Mapped) m.map(1, 0, perPage, true);
        assertThat(again).isEqualTo(new Mapped(1, perPage, false, false, false));
        Mapped next = (Mapped) m.map(1, perPage, perPage, true);
        assertThat(next.physicalBlock()).as("right after the preceding extent").isEqualTo(1 + perPage);
        assertThat(next.isNew()).isTrue();
        assertThat(m.extents(1)).containsExactly(new Extent(0, 1, 2L * perPage));
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("R4 create=false answers merged mapped runs up to maxBlocks, and holes up to the next mapped block")
    void readAnswers(int blockSize) {
        ExtentMapper m = mapper(blockSize, 1000);
        assertThat(m.map(1, 0, 64, false)).isEqualTo(new Hole(64));

        m.map(1, 10, 5, true);
        m.map(1, 15, 5, true);
        assertThat(m.map(1, 0, 64, false)).isEqualTo(new Hole(10));
        assertThat(m.map(1, 12, 64, false)).isEqualTo(new Mapped(3, 8, false, false, false));
        assertThat(m.map(1, 12, 4, false)).isEqualTo(new Mapped(3, 4, false, false, false));
        assertThat(m.map(1, 20, 7, false)).isEqualTo(new Hole(7));
        assertThat(m.map(2, 12, 4, false)).as("another file").isEqualTo(new Hole(4));
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("delayed allocation: a chunk's pages mapped in random order land in ONE contiguous run")
    void randomOrderPagesLandInOneRun(int blockSize) {
        ExtentMapper m = mapper(blockSize, 100_000);
        m.map(9, 0, 3, true);
        int perPage = PAGE_SIZE / blockSize;
        int pages = 64;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < pages; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(42));

        assertThat(m.reserve(1, 0, (long) pages * perPage)).isNull();
        assertThat(m.reservations(1)).hasSize(1);
        assertThat(m.map(1, 0, perPage, false)).as("reserved blocks still read as holes").isInstanceOf(Hole.class);
        for (int page : order) {
            Mapped r = (Mapped) m.map(1, (long) page * perPage, perPage, true);
            assertThat(r.isNew()).isTrue();
            assertThat(r.count()).isEqualTo(perPage);
        }
        assertThat(m.extents(1)).containsExactly(new Extent(0, 4, (long) pages * perPage));
        assertThat(m.reservations(1)).isEmpty();
        assertThat(m.checkConsistency()).isEmpty();
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("reserve skips mapped blocks, and grows a file right after its previous extent")
    void reserveSkipsMappedAndGrowsContiguously(int blockSize) {
        ExtentMapper m = mapper(blockSize, 10_000);
        m.map(1, 0, 8, true);
        m.map(1, 12, 2, true);
        assertThat(m.reserve(1, 0, 20)).isNull();
        assertThat(m.reservations(1)).containsExactly(new Extent(8, 11, 4), new Extent(14, 15, 6));
        assertThat(m.reserve(1, 0, 20)).as("nothing left to reserve").isNull();
        assertThat(m.reserve(1, 20, 10)).isNull();
        assertThat(m.reservations(1)).containsExactly(new Extent(8, 11, 4), new Extent(14, 15, 16));
        assertThat(m.checkConsistency()).isEmpty();
    }

    @Test
    @DisplayName("on fragmented free space a reservation takes the fewest runs (longest first)")
    void fewestRunsWhenFragmented() {
        ExtentMapper m = mapper(4096, 200);
        BlockAllocator a = m.allocator();
        a.allocate(1, 199);
        a.release(10, 10);
        a.release(50, 30);
        a.release(100, 50);

        assertThat(m.reserve(1, 0, 80)).isNull();
        assertThat(m.reservations(1)).containsExactly(new Extent(0, 100, 50), new Extent(50, 50, 30));
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("two files reserving chunks alternately still get one long run per chunk")
    void alternatingFilesGetLongRuns(int blockSize) {
        ExtentMapper m = mapper(blockSize, 100_000);
        int chunk = 256;
        for (int round = 0; round < 8; round++) {
            for (long inode = 1; inode <= 2; inode++) {
                assertThat(m.reserve(inode, (long) round * chunk, chunk)).isNull();
                for (long b = (long) round * chunk; b < (long) (round + 1) * chunk; ) {
                    b += ((Mapped) m.map(inode, b, 64, true)).count();
                }
            }
        }
        for (long inode = 1; inode <= 2; inode++) {
            List<Extent> extents = m.extents(inode);
            assertThat(extents).hasSizeLessThanOrEqualTo(8);
            assertThat(extents).allSatisfy(e -> assertThat(e.count()).isGreaterThanOrEqualTo(chunk));
        }
        assertThat(m.checkConsistency()).isEmpty();
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("a full device answers ENOSPC; a reservation that does not fit reserves nothing")
    void enospc(int blockSize) {
        ExtentMapper m = mapper(blockSize, 33);
        assertThat(m.reserve(1, 0, 33)).isEqualTo(Errno.ENOSPC);
        assertThat(m.reservations(1)).isEmpty();
        assertThat(m.allocator().freeBlocks()).isEqualTo(32);

        assertThat(m.map(1, 0, 30, true)).isEqualTo(new Mapped(1, 30, true, false, false));
        assertThat(m.map(2, 0, 30, true)).as("partial run").isEqualTo(new Mapped(31, 2, true, false, false));
        assertThat(m.map(2, 2, 1, true)).isEqualTo(new Failed(Errno.ENOSPC));
        assertThat(m.reserve(3, 0, 1)).isEqualTo(Errno.ENOSPC);
        assertThat(m.inodes()).containsExactly(1, 2);
        assertThat(m.checkConsistency()).isEmpty();
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("files end at 8 TiB: blocks beyond answer EFBIG, runs are cut at the limit")
    void efbig(int blockSize) {
        ExtentMapper m = mapper(blockSize, 1000);
        long max = (1L << 43) / blockSize;
        assertThat(m.maxFileBlocks()).isEqualTo(max);

        assertThat(m.map(1, max, 1, true)).isEqualTo(new Failed(Errno.EFBIG));
        assertThat(m.map(1, max, 1, false)).isEqualTo(new Failed(Errno.EFBIG));
        assertThat(m.reserve(1, max - 4, 5)).isEqualTo(Errno.EFBIG);
        assertThat(m.reserve(1, max - 4, 4)).isNull();
        assertThat(((Mapped) m.map(1, max - 4, 100, true)).count()).isEqualTo(4);
        assertThat(m.map(1, max - 2, 100, false)).isEqualTo(new Mapped(3, 2, false, false, false));
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("U3 truncate frees blocks past the size; they are reused only after commitFrees")
    void truncateFreesPendingCommit(int blockSize) {
        ExtentMapper m = mapper(blockSize, 41);
        m.map(1, 0, 20, true);
        m.reserve(1, 20, 10);
        m.map(2, 0, 10, true);
        assertThat(m.allocator().freeBlocks()).isZero();

        assertThat(m.truncate(1, 5)).isEqualTo(15);
        assertThat(m.extents(1)).containsExactly(new Extent(0, 1, 5));
        assertThat(m.reservations(1)).isEmpty();
        assertThat(m.allocator().freeBlocks()).as("the reservation returns at once").isEqualTo(10);
        assertThat(m.allocator().pendingFreeBlocks()).isEqualTo(15);
        assertThat(m.map(1, 5, 1, false)).isInstanceOf(Hole.class);

        assertThat(m.map(3, 0, 40, true)).isEqualTo(new Mapped(21, 10, true, false, false));
        assertThat(m.map(3, 10, 40, true)).as("freed blocks wait for the commit").isEqualTo(new Failed(Errno.ENOSPC));
        assertThat(m.checkConsistency()).isEmpty();

        m.allocator().commitFrees();
        assertThat(m.map(3, 10, 40, true)).isEqualTo(new Mapped(6, 15, true, false, false));
        assertThat(m.checkConsistency()).isEmpty();
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("U3 deleteFile frees the whole file and forgets it")
    void deleteFile(int blockSize) {
        ExtentMapper m = mapper(blockSize, 100);
        m.map(1, 3, 10, true);
        m.reserve(1, 0, 3);
        assertThat(m.deleteFile(1)).isEqualTo(10);
        assertThat(m.inodes()).isEmpty();
        assertThat(m.extents(1)).isEmpty();
        assertThat(m.allocator().pendingFreeBlocks()).isEqualTo(10);
        assertThat(m.deleteFile(1)).isZero();
        assertThat(m.checkConsistency()).isEmpty();
    }

    @Test
    @DisplayName("the consistency check finds a block mapped twice, a mapped free block, and a leak")
    void consistencyFindsCorruption() {
        ExtentMapper m = mapper(4096, 16);
        m.map(1, 0, 10, true);
        m.reserve(2, 0, 5);
        assertThat(m.allocator().freeBlocks()).isZero();
        assertThat(m.checkConsistency()).isEmpty();

        // Corrupt the allocator: block 3 is freed behind file 1's back, and handed to file 3.
        m.allocator().free(3, 1);
        assertThat(m.checkConsistency()).extracting(ConsistencyProblem::kind, ConsistencyProblem::block)
                .containsExactly(tuple(Kind.MAPPED_BUT_FREE, 3L));
        m.allocator().commitFrees();
        assertThat(m.map(3, 0, 1, true)).isEqualTo(new Mapped(3, 1, true, false, false));
        assertThat(m.checkConsistency()).extracting(ConsistencyProblem::kind, ConsistencyProblem::block)
                .containsExactly(tuple(Kind.MAPPED_TWICE, 3L));

        ExtentMapper leaky = mapper(4096, 100);
        leaky.map(1, 0, 4, true);
        leaky.allocator().markAllocated(90, 2);
        assertThat(leaky.checkConsistency()).extracting(ConsistencyProblem::kind, ConsistencyProblem::block)
                .containsExactly(tuple(Kind.LEAKED, 90L), tuple(Kind.LEAKED, 91L));
        leaky.allocator().free(90, 2);
        assertThat(leaky.checkConsistency()).as("pending frees are not leaks").isEmpty();
    }

    @Test
    @DisplayName("restore puts committed extents back, merged, and marks their blocks allocated")
    void restorePutsCommittedExtentsBack() {
        ExtentMapper m = mapper(4096, 100);

        m.restore(1, List.of(new Extent(4, 24, 4), new Extent(0, 20, 4), new Extent(10, 50, 2)));
        m.restore(2, List.of(new Extent(0, 1, 10)));

        assertThat(m.extents(1)).containsExactly(new Extent(0, 20, 8), new Extent(10, 50, 2));
        assertThat(m.map(1, 2, 10, false)).isEqualTo(new Mapped(22, 6, false, false, false));
        assertThat(m.allocator().freeBlocks()).isEqualTo(99 - 20);
        assertThat(m.checkConsistency()).isEmpty();
        assertThat(m.map(1, 8, 1, true)).as("new blocks go after the preceding extent, never onto restored ones")
                .isEqualTo(new Mapped(28, 1, true, false, false));
    }

    @Test
    @DisplayName("restore refuses overlapping, taken or out-of-range extents and changes nothing")
    void restoreRefusesBadExtents() {
        ExtentMapper m = mapper(4096, 100);
        m.restore(1, List.of(new Extent(0, 10, 5)));

        assertThatThrownBy(() -> m.restore(2, List.of(new Extent(0, 30, 4), new Extent(2, 40, 4))))
                .as("logical overlap").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.restore(2, List.of(new Extent(0, 30, 4), new Extent(8, 32, 4))))
                .as("physical overlap").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.restore(1, List.of(new Extent(4, 60, 1))))
                .as("a block the file maps").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.restore(2, List.of(new Extent(0, 30, 2), new Extent(5, 12, 1))))
                .as("a block another file maps").isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> m.restore(2, List.of(new Extent(0, 98, 3))))
                .as("past the device end").isInstanceOf(IllegalStateException.class);

        assertThat(m.inodes()).containsExactly(1L);
        assertThat(m.extents(1)).containsExactly(new Extent(0, 10, 5));
        assertThat(m.allocator().freeBlocks()).isEqualTo(99 - 5);
        assertThat(m.checkConsistency()).isEmpty();
    }

    @Test
    @DisplayName("the layout factory builds extent and ext2 by name and refuses others")
    void factory() {
        BlockAllocator a = new BlockAllocator(100);
        assertThat(BlockLayout.create("extent", a, 1024, null)).isInstanceOf(ExtentMapper.class);
        BlockLayout ext2 = BlockLayout.create("ext2", a, 1024, new MetadataCache(1024));
        assertThat(ext2).isInstanceOf(Ext2Mapper.class);
        assertThat(ext2.metadataBuffers()).isInstanceOf(MetadataCache.class);
        assertThat(BlockLayout.create("extent", a, 1024, null).metadataBuffers()).isSameAs(MetadataBuffers.NONE);
        assertThatThrownBy(() -> BlockLayout.create("fat", a, 1024, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BlockLayout.create("extent", a, 1000, null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
