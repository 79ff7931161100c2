package dev.writebackd.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.writebackd.layout.ConsistencyProblem.Kind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class StartupCheckTest {
    private static final int BLOCK = 4096;

    @Test
    @DisplayName("committed extents rebuild the maps and the allocator; consistent records report nothing")
    void consistentRecordsRebuildCleanly() {
        ExtentMapper mapper = new ExtentMapper(new BlockAllocator(100), BLOCK);

        List<ConsistencyProblem> problems = StartupCheck.rebuild(mapper, Map.of(
                1L, List.of(new Extent(4, 14, 4), new Extent(0, 10, 4)),
                2L, List.of(new Extent(0, 1, 9)),
                3L, List.of()));

        assertThat(problems).isEmpty();
        assertThat(mapper.extents(1)).containsExactly(new Extent(0, 10, 8));
        assertThat(mapper.extents(2)).containsExactly(new Extent(0, 1, 9));
        assertThat(mapper.allocator().freeBlocks()).isEqualTo(99 - 17);
        assertThat(mapper.allocator().isFree(18)).isTrue();
    }

    @Test
    @DisplayName("a block mapped by two files is reported once with both owners; the lower inode keeps it")
    void blocksMappedByTwoFilesAreReportedWithBothOwners() {
        ExtentMapper mapper = new ExtentMapper(new BlockAllocator(100), BLOCK);

        List<ConsistencyProblem> problems = StartupCheck.rebuild(mapper, Map.of(
                2L, List.of(new Extent(0, 12, 5)),
                1L, List.of(new Extent(0, 10, 5))));

        assertThat(problems).singleElement().satisfies(problem -> {
            assertThat(problem.kind()).isEqualTo(Kind.MAPPED_TWICE);
            assertThat(problem.block()).isEqualTo(12);
            assertThat(problem.detail()).contains("blocks 12..14", "inode 1 logical", "inode 2 logical");
        });
        assertThat(mapper.extents(1)).containsExactly(new Extent(0, 10, 5));
        assertThat(mapper.extents(2)).as("a hole where the blocks are contested").containsExactly(new Extent(3, 15, 2));
        assertThat(mapper.allocator().isAllocated(12)).isTrue();
        assertThat(mapper.checkConsistency()).isEmpty();
    }

    @Test
    @DisplayName("a block mapped twice within one file is reported with both of its logical runs")
    void blocksMappedTwiceByOneFileAreReported() {
        ExtentMapper mapper = new ExtentMapper(new BlockAllocator(100), BLOCK);

        List<ConsistencyProblem> problems = StartupCheck.rebuild(mapper, Map.of(
                3L, List.of(new Extent(0, 20, 2), new Extent(5, 21, 2))));

        assertThat(problems).extracting(ConsistencyProblem::kind, ConsistencyProblem::block)
                .containsExactly(tuple(Kind.MAPPED_TWICE, 21L));
        assertThat(problems.get(0).detail()).contains("inode 3 logical 0+2", "inode 3 logical 5+2");
        assertThat(mapper.extents(3)).containsExactly(new Extent(0, 20, 2), new Extent(6, 22, 1));
    }

    @Test
    @DisplayName("blocks past the device end or in its reserved area are reported and left out")
    void outOfRangeBlocksAreReported() {
        ExtentMapper mapper = new ExtentMapper(new BlockAllocator(100, 4), BLOCK);

        List<ConsistencyProblem> problems = StartupCheck.rebuild(mapper, Map.of(
                1L, List.of(new Extent(0, 98, 4)),
                2L, List.of(new Extent(0, 2, 4)),
                3L, List.of(new Extent(0, 200, 1))));

        assertThat(problems).extracting(ConsistencyProblem::kind, ConsistencyProblem::block).containsExactly(
                tuple(Kind.OUT_OF_RANGE, 100L),
                tuple(Kind.OUT_OF_RANGE, 2L),
                tuple(Kind.OUT_OF_RANGE, 200L));
        assertThat(problems.get(0).detail()).contains("blocks 100..101", "past the device end", "inode 1");
        assertThat(problems.get(1).detail()).contains("blocks 2..3", "reserved area", "inode 2");
        assertThat(mapper.extents(1)).containsExactly(new Extent(0, 98, 2));
        assertThat(mapper.extents(2)).containsExactly(new Extent(2, 4, 2));
        assertThat(mapper.extents(3)).isEmpty();
        assertThat(mapper.checkConsistency()).isEmpty();
    }

    @Test
    @DisplayName("the mapper to rebuild must be new")
    void refusesAMapperInUse() {
        ExtentMapper mapper = new ExtentMapper(new BlockAllocator(100), BLOCK);
        mapper.map(1, 0, 1, true);

        assertThatThrownBy(() -> StartupCheck.rebuild(mapper, Map.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
