package dev.writebackd.mpage;

import static dev.writebackd.mpage.Harness.PAGE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.BioFlag;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockAllocator;
import dev.writebackd.layout.BlockMapper;
import dev.writebackd.layout.Ext2Mapper;
import dev.writebackd.layout.Extent;
import dev.writebackd.layout.ExtentMapper;
import dev.writebackd.layout.MapResult;
import dev.writebackd.layout.MetadataBuffers;
import dev.writebackd.layout.MetadataCache;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A few rules run through the real layouts instead of the fake mapper. */
class RealLayoutWritebackTest {

    private static Harness extentFile(int blockSize) {
        ExtentMapper layout = new ExtentMapper(new BlockAllocator(Harness.DEVICE_BYTES / blockSize), blockSize);
        return new Harness(blockSize, layout, MetadataBuffers.NONE);
    }

    private static long physical(Harness h, long logical) {
        return ((MapResult.Mapped) h.layout.map(h.cache.inode(), logical, 1, false)).physicalBlock();
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("W7 extent layout: 600 pages written in random order land in one run and go out as bios of 256, 256, 88 pages")
    void randomOrderLandsInOneRun(int blockSize) {
        Harness h = extentFile(blockSize);
        List<Long> order = new ArrayList<>(LongStream.range(0, 600).boxed().toList());
        Collections.shuffle(order, new Random(42));
        for (long page : order) {
            h.write(page, (int) (page % 251));
        }

        h.pass(Harness.none(1000));
        h.completeAll();

        ExtentMapper layout = (ExtentMapper) h.layout;
        assertThat(layout.extents(h.cache.inode())).hasSize(1);
        assertThat(h.submitted).extracting(b -> b.bio().segments().size()).containsExactly(256, 256, 88);
        for (int i = 1; i < 3; i++) {
            assertThat(h.submitted.get(i).bio().startSector()).isEqualTo(h.submitted.get(i - 1).bio().endSector());
        }
        for (long page : List.of(0L, 255L, 256L, 599L)) {
            assertThat(h.disk(physical(h, page * h.blocksPerPage))[0]).isEqualTo((byte) (page % 251));
        }
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("W2 extent layout: blocks reserved at the start of a pass stay contiguous while another file allocates during its wait")
    void reservationSurvivesAnotherFilesAllocation(int blockSize) {
        Harness a = extentFile(blockSize);
        Harness b = new Harness(a, 8);
        a.write(5, 0x55);
        a.pass(Harness.range(false, 1, 5, 5)); // page 5 mapped and in flight
        a.write(0, 9, 0xA0); // page 5 rewritten meanwhile (S5)
        b.write(0, 3, 0xB0);
        a.betweenSteps = need -> b.pass(Harness.none(100));

        a.pass(Harness.all());

        assertThat(a.needs).containsExactly(new WriteNeed.WaitForWriteback(5));
        int bpp = a.blocksPerPage;
        assertThat(physical(a, 6L * bpp)).as("page 6 right after page 4").isEqualTo(physical(a, 5L * bpp - 1) + 1);
        List<Extent> files = ((ExtentMapper) a.layout).extents(b.cache.inode());
        assertThat(files).allSatisfy(e -> assertThat(e.physical()).isGreaterThan(physical(a, 10L * bpp - 1)));
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("U3 extent layout: a shrink frees the blocks wholly past the new size and keeps the cut one")
    void truncateFreesBlocks(int blockSize) {
        Harness h = extentFile(blockSize);
        h.write(0, 3, 1);
        h.pass(Harness.all());
        h.completeAll();

        new Truncation(h.cache, h.layout, PAGE + 1500).step();

        long keep = (PAGE + 1500 + blockSize - 1) / blockSize;
        assertThat(((ExtentMapper) h.layout).extents(h.cache.inode()))
                .containsExactly(new Extent(0, physical(h, 0), keep));
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("W9 ext2 layout: the map block after the direct blocks is written after the data it follows (X4, write side)")
    void mapBlockWrittenBehindItsData(int blockSize) {
        MetadataCache metadata = new MetadataCache(blockSize);
        Ext2Mapper layout = new Ext2Mapper(new BlockAllocator(Harness.DEVICE_BYTES / blockSize), blockSize, metadata);
        Harness h = new Harness(blockSize, layout, metadata);
        h.write(0, 16L * blockSize / PAGE - 1, 1); // the first 16 file blocks

        h.pass(Harness.all());
        h.completeAll();

        long first = physical(h, 0);
        long mapBlock = layout.inodePointers(h.cache.inode()).singleIndirect();
        assertThat(mapBlock).as("X3: the map block sits between blocks 11 and 12").isEqualTo(first + 12);
        int spb = blockSize / 512;
        List<long[]> requests = h.device.requests().stream()
                .map(r -> new long[] {r.startSector() / spb - first, r.sectorCount() / spb}).toList();
        if (blockSize == 512) {
            // Blocks 8-15 share a page with the map block between them: that page goes block by block,
            // and the per-block path writes no boundary block; the map block waits for fsync.
            List<long[]> expected = new ArrayList<>();
            expected.add(new long[] {0, 8});
            for (long logical = 8; logical < 16; logical++) {
                expected.add(new long[] {logical < 12 ? logical : logical + 1, 1});
            }
            assertThat(requests).containsExactlyElementsOf(expected);
            assertThat(metadata.isDirty(mapBlock)).isTrue();
        } else {
            assertThat(requests).containsExactly(new long[] {0, 12}, new long[] {13, 4}, new long[] {12, 1});
            assertThat(h.device.requests().get(2).flags()).contains(BioFlag.META);
            assertThat(metadata.isDirty(mapBlock)).isFalse();
        }
        assertThat(h.device.requests()).noneMatch(MemoryDevice.Request::failed);
    }

    /** The extent layout, counting its map(create) calls. */
    private static final class CountingLayout implements BlockMapper {
        final ExtentMapper layout;
        final List<long[]> creates = new ArrayList<>();

        CountingLayout(int blockSize) {
            layout = new ExtentMapper(new BlockAllocator(Harness.DEVICE_BYTES / blockSize), blockSize);
        }

        @Override
        public MapResult map(long inode, long logicalBlock, int maxBlocks, boolean create) {
            if (create) {
                creates.add(new long[] {logicalBlock, maxBlocks});
            }
            return layout.map(inode, logicalBlock, maxBlocks, create);
        }

        @Override
        public Errno reserve(long inode, long firstBlock, long count) {
            return layout.reserve(inode, firstBlock, count);
        }

        @Override
        public long truncate(long inode, long keepBlocks) {
            return layout.truncate(inode, keepBlocks);
        }

        @Override
        public long maxFileBlocks() {
            return layout.maxFileBlocks();
        }
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 4096})
    @DisplayName("W2 extent layout: a run of dirty pages is mapped with one get_block call per bio, not one per block")
    void mapsARunPerBio(int blockSize) {
        CountingLayout counting = new CountingLayout(blockSize);
        Harness h = new Harness(blockSize, counting, MetadataBuffers.NONE);
        h.write(0, 599, 7);

        h.pass(Harness.all());
        h.completeAll();

        int bpp = h.blocksPerPage;
        assertThat(counting.creates).extracting(call -> call[0]).containsExactly(0L, 256L * bpp, 512L * bpp);
        assertThat(counting.creates).extracting(call -> call[1]).containsExactly(256L * bpp, 256L * bpp, 88L * bpp);
        assertThat(h.submitted).extracting(b -> b.bio().segments().size()).containsExactly(256, 256, 88);
        assertThat(counting.layout.extents(h.cache.inode())).containsExactly(
                new Extent(0, physical(h, 0), 600L * bpp));
        assertThat(h.disk(physical(h, 599L * bpp))[0]).isEqualTo((byte) 7);
    }

    @Test
    @DisplayName("C5 extent layout: mapping ahead stops at nrToWrite and at pages that are not dirty")
    void mapsAheadOnlyWhatThePassWrites() {
        CountingLayout counting = new CountingLayout(PAGE);
        Harness h = new Harness(PAGE, counting, MetadataBuffers.NONE);
        h.write(0, 9, 1);
        h.write(12, 39, 2);

        h.pass(Harness.none(30));

        assertThat(counting.creates).extracting(call -> call[0]).containsExactly(0L, 12L);
        assertThat(counting.creates).extracting(call -> call[1]).containsExactly(10L, 20L);
        assertThat(counting.layout.extents(h.cache.inode())).extracting(Extent::count).containsExactly(10L, 20L);
        assertThat(h.cache.has(32, dev.writebackd.page.PageFlags.DIRTY)).isTrue();
    }
}
