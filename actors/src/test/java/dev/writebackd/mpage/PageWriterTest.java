package dev.writebackd.mpage;

import static dev.writebackd.mpage.Harness.BACKGROUND;
import static dev.writebackd.mpage.Harness.PAGE;
import static dev.writebackd.mpage.Harness.SYNC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.block.BioOp;
import dev.writebackd.error.Errno;
import dev.writebackd.page.BufferState;
import dev.writebackd.page.PageFlags;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PageWriterTest {

    private static long mappedDirty(Harness h, long logical) {
        return BufferState.withBlock(BufferState.MAPPED | BufferState.DIRTY | BufferState.UPTODATE,
                h.mapper.physical(logical));
    }

    /** Ways a page with buffers fails W1, with the buffers the per-block path then writes. */
    enum Confusion {
        UNMAPPED_DIRTY_BUFFER, HOLE_BEFORE_DATA, CLEAN_MAPPED_BUFFER, NOT_UPTODATE_BUFFER, DISCONTIGUOUS, ALL_UNMAPPED;

        long[] states(Harness h) {
            int bpp = h.blocksPerPage;
            long[] s = new long[bpp];
            for (int j = 0; j < bpp; j++) {
                s[j] = mappedDirty(h, j);
            }
            switch (this) {
                case UNMAPPED_DIRTY_BUFFER -> s[bpp - 1] = BufferState.DIRTY | BufferState.UPTODATE;
                case HOLE_BEFORE_DATA -> s[0] = BufferState.UPTODATE;
                case CLEAN_MAPPED_BUFFER -> s[1] &= ~BufferState.DIRTY;
                case NOT_UPTODATE_BUFFER -> s[1] &= ~BufferState.UPTODATE;
                case DISCONTIGUOUS -> s[1] = BufferState.withBlock(s[1], 9000);
                case ALL_UNMAPPED -> java.util.Arrays.fill(s, BufferState.UPTODATE);
            }
            return s;
        }

        List<Integer> written(int bpp) {
            return switch (this) {
                case HOLE_BEFORE_DATA -> IntStream.range(1, bpp).boxed().toList();
                case CLEAN_MAPPED_BUFFER -> IntStream.range(0, bpp).filter(j -> j != 1).boxed().toList();
                case ALL_UNMAPPED -> List.of();
                default -> IntStream.range(0, bpp).boxed().toList();
            };
        }
    }

    static Stream<Arguments> confusions() {
        return Stream.of(512, 1024, 2048).flatMap(bs -> Stream.of(Confusion.values()).map(c -> Arguments.of(bs, c)));
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("W1 a page whose buffers are all mapped, dirty, uptodate and consecutive joins the multi-page bio")
    void mappedBuffersJoinTheBio(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 2, 1);
        long[] states = new long[h.blocksPerPage];
        for (int j = 0; j < states.length; j++) {
            states[j] = mappedDirty(h, h.blocksPerPage + j);
        }
        h.buffers(1, states);

        h.pass(Harness.none(100));

        assertThat(h.shapes()).containsExactly(h.pagesBio(0, 3, BACKGROUND));
    }

    @ParameterizedTest(name = "block {0}: {1}")
    @MethodSource("confusions")
    @DisplayName("W1 a page with buffers that are not one dirty mapped run goes to the per-block path")
    void confusedBuffersFallBack(int blockSize, Confusion confusion) {
        Harness h = new Harness(blockSize);
        h.write(0, 1);
        long[] states = confusion.states(h);
        h.buffers(0, states);

        h.pass(Harness.none(100));

        List<Harness.Shape> expected = new ArrayList<>();
        for (int j : confusion.written(h.blocksPerPage)) {
            long block = j == 1 && confusion == Confusion.DISCONTIGUOUS ? 9000 : h.mapper.physical(j);
            expected.add(new Harness.Shape(BioOp.WRITE, block * (blockSize / 512), List.of(blockSize), BACKGROUND, List.of(0L)));
        }
        assertThat(h.shapes()).containsExactlyElementsOf(expected);
        assertThat(h.submitted).allSatisfy(b -> assertThat(b.kind()).isEqualTo(SubmittedBio.Kind.BUFFER));
        assertThat(h.cache.has(0, PageFlags.WRITEBACK)).isEqualTo(!expected.isEmpty());
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("W2 a page without buffers is mapped block by block with create, up to the last block inside i_size")
    void mapsBlockByBlockUpToEof(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 1, 1);
        h.cache.setSize(PAGE + 1500);

        h.pass(Harness.none(100));

        int bpp = h.blocksPerPage;
        long insidePage1 = (1500 + blockSize - 1) / blockSize;
        List<TestMapper.MapCall> expected = new ArrayList<>();
        for (long b = 0; b < bpp + insidePage1; b++) {
            expected.add(new TestMapper.MapCall(b, 1, true));
        }
        assertThat(h.mapper.calls).containsExactlyElementsOf(expected);
        assertThat(h.metadata.aliasesCleaned).containsExactlyElementsOf(
                expected.stream().map(c -> h.mapper.physical(c.logical())).toList());
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("W2 an already allocated block is not new: no alias cleaning")
    void allocatedBlocksAreNotCleaned(int blockSize) {
        Harness h = new Harness(blockSize);
        h.mapper.allocated(0, h.blocksPerPage);
        h.write(0, 1);

        h.pass(Harness.none(100));

        assertThat(h.metadata.aliasesCleaned).isEmpty();
        assertThat(h.shapes()).containsExactly(h.pagesBio(0, 1, BACKGROUND));
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("W2 a failed or unmapped get_block answer sends the page to the per-block path")
    void failedMappingFallsBack(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 1, 1);
        h.mapper.fail(h.blocksPerPage, Errno.EIO);

        WritePagesReply reply = h.pass(Harness.all());

        assertThat(h.cache.buffers(1)).as("the fallback gave the page buffers").isNotNull();
        assertThat(h.errors).containsExactly(Errno.EIO);
        assertThat(reply.firstError()).isEqualTo(Errno.EIO);
        assertThat(h.shapes()).containsExactly(h.pagesBio(0, 1, SYNC));
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("W3 a page wholly past EOF allocates nothing and is not written")
    void pagePastEofIsNotWritten(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 1);
        h.write(5, 2);
        h.cache.setSize(PAGE);

        WritePagesReply reply = h.pass(Harness.none(100));

        assertThat(h.mapper.calls).allSatisfy(c -> assertThat(c.logical()).isLessThan(h.blocksPerPage));
        assertThat(h.mapper.reservations).containsExactly(new TestMapper.Reservation(0, h.blocksPerPage));
        assertThat(h.shapes()).containsExactly(h.pagesBio(0, 1, BACKGROUND));
        assertThat(h.cache.flags(5) & (PageFlags.DIRTY | PageFlags.WRITEBACK)).isZero();
        assertThat(reply.pagesWritten()).isEqualTo(1);
        assertThat(reply.nrToWriteLeft()).as("the released page is charged").isEqualTo(98);
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("W4 a page straddling EOF is zeroed past i_size on every writeback; only blocks inside EOF are written")
    void straddlingPageZeroedEveryTime(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 1, 0x11);
        long size = PAGE + 1500;
        h.cache.setSize(size);
        h.scribble(1, 1500, 0x77);
        int insideEof = (1500 + blockSize - 1) / blockSize;
        int length = Math.min(PAGE, insideEof * blockSize);

        for (int round = 0; round < 2; round++) {
            h.submitted.clear();
            h.pass(Harness.none(100));
            h.completeAll();

            long firstBlock = h.mapper.physical(round == 0 ? 0 : h.blocksPerPage);
            assertThat(h.shapes()).containsExactly(new Harness.Shape(BioOp.WRITE, firstBlock * (blockSize / 512),
                    round == 0 ? List.of(PAGE, length) : List.of(length), BACKGROUND, round == 0 ? List.of(0L, 1L) : List.of(1L)));
            for (int j = 0; j < length / blockSize; j++) {
                byte[] block = h.disk(h.mapper.physical(h.blocksPerPage + j));
                for (int i = 0; i < blockSize; i++) {
                    int pos = j * blockSize + i;
                    assertThat(block[i]).as("byte %d of page 1, round %d", pos, round).isEqualTo((byte) (pos < 1500 ? 0x11 : 0));
                }
            }
            if (round == 0) {
                h.scribble(1, 1500, 0x66); // stores past EOF through a mapping, then the page is redirtied
                h.cache.markDirty(1);
            }
        }
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("W5 an open bio not ending just before the page's first block is submitted first")
    void discontiguityStartsANewBio(int blockSize) {
        Harness h = new Harness(blockSize);
        int bpp = h.blocksPerPage;
        for (int j = 0; j < bpp; j++) {
            h.mapper.place(2L * bpp + j, 50_000 + j);
        }
        h.write(0, 4, 1);

        h.pass(Harness.none(100));

        assertThat(h.shapes()).containsExactly(h.pagesBio(0, 2, BACKGROUND), h.pagesBio(2, 1, BACKGROUND),
                h.pagesBio(3, 2, BACKGROUND));
        assertThat(h.submitted.get(1).bio().startSector()).isEqualTo(50_000L * (blockSize / 512));
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("W6 a bio starts at firstBlock * (blockSize / 512), is flagged from the request and holds max-bio-segments pages")
    void bioStartFlagsAndSegments(int blockSize) {
        Harness sync = new Harness(blockSize);
        sync.write(0, 9, 1);
        sync.pass(Harness.all(), 4);
        Harness background = new Harness(blockSize);
        background.write(0, 0, 1);
        background.pass(Harness.cyclic(10));
        Harness plain = new Harness(blockSize);
        plain.write(0, 0, 1);
        plain.pass(Harness.range(false, 10, 0, 0));

        assertThat(sync.shapes()).containsExactly(sync.pagesBio(0, 4, SYNC), sync.pagesBio(4, 4, SYNC), sync.pagesBio(8, 2, SYNC));
        assertThat(sync.submitted.get(0).bio().startSector()).isEqualTo(1000L * (blockSize / 512));
        assertThat(background.shapes()).containsExactly(background.pagesBio(0, 1, BACKGROUND));
        assertThat(plain.shapes()).containsExactly(plain.pagesBio(0, 1, Set.of()));
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("W7 600 contiguous dirty pages go out as bios of 256, 256 and 88 pages")
    void fullBiosAreSubmitted(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 599, 1);

        WritePagesReply reply = h.pass(Harness.all());

        assertThat(h.shapes()).containsExactly(h.pagesBio(0, 256, SYNC), h.pagesBio(256, 256, SYNC), h.pagesBio(512, 88, SYNC));
        assertThat(reply.pagesWritten()).isEqualTo(600);
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("W8 a page in the bio has its buffers cleaned up to the first unmapped one and is under writeback")
    void pageInBioIsCleanedAndUnderWriteback(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 1);
        int bpp = h.blocksPerPage;
        long[] states = new long[bpp];
        for (int j = 0; j < bpp / 2; j++) {
            states[j] = mappedDirty(h, j);
        }
        for (int j = bpp / 2; j < bpp; j++) {
            states[j] = BufferState.UPTODATE;
        }
        long[] buffers = h.buffers(0, states);

        PageWriter writer = h.writer(SyncMode.NONE);
        assertThat(h.writePage(writer, 0)).isEqualTo(PageWriter.Result.WRITTEN);

        for (int j = 0; j < bpp; j++) {
            assertThat(BufferState.has(buffers[j], BufferState.DIRTY)).as("buffer %d dirty", j).isFalse();
        }
        assertThat(h.cache.has(0, PageFlags.WRITEBACK)).isTrue();
        assertThat(h.cache.flags(0) & (PageFlags.DIRTY | PageFlags.TAG_DIRTY)).isZero();
        assertThat(h.ledger.writebackPages()).isEqualTo(1);
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("W9 a page whose last block is a boundary submits the bio at once, carrying its boundary block")
    void boundaryPageSubmitsTheBio(int blockSize) {
        Harness h = new Harness(blockSize);
        int bpp = h.blocksPerPage;
        long lastOfPage1 = 2L * bpp - 1;
        h.mapper.boundary(lastOfPage1);
        h.write(0, 3, 1);

        PageWriter writer = h.writer(SyncMode.NONE);
        h.writePage(writer, 0);
        assertThat(h.submitted).isEmpty();
        h.writePage(writer, 1);
        assertThat(h.submitted).hasSize(1);
        h.writePage(writer, 2);
        h.writePage(writer, 3);
        h.closeWriter(writer);

        assertThat(h.shapes()).containsExactly(h.pagesBio(0, 2, Set.of()), h.pagesBio(2, 2, Set.of()));
        assertThat(h.submitted.get(0).boundaryBlock()).isEqualTo(h.mapper.physical(lastOfPage1));
        assertThat(h.submitted.get(1).boundaryBlock()).isZero();
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("W9 a boundary on a block other than the page's last keeps the bio open and writes no map block")
    void boundaryInsideThePageIsNotThePagesBoundary(int blockSize) {
        Harness h = new Harness(blockSize);
        h.mapper.boundary(h.blocksPerPage); // first block of page 1
        h.write(0, 2, 1);

        h.pass(Harness.none(100));

        assertThat(h.shapes()).containsExactly(h.pagesBio(0, 3, BACKGROUND));
        assertThat(h.submitted.get(0).boundaryBlock()).isZero();
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("W9 a partially mapped page submits the bio at once; with block size = page size a straddling page does not")
    void partiallyMappedPageSubmitsTheBio(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 1, 1);
        h.cache.setSize(PAGE + 100);

        PageWriter writer = h.writer(SyncMode.NONE);
        h.writePage(writer, 0);
        h.writePage(writer, 1);

        if (blockSize == PAGE) {
            assertThat(h.submitted).as("fully mapped: the bio stays open").isEmpty();
            h.closeWriter(writer);
        }
        int tail = blockSize == PAGE ? PAGE : blockSize;
        assertThat(h.shapes()).containsExactly(new Harness.Shape(BioOp.WRITE, h.mapper.physical(0) * (blockSize / 512),
                List.of(PAGE, tail), Set.of(), List.of(0L, 1L)));
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("W9 with buffers, clean unmapped buffers ending a page inside EOF submit the bio at once")
    void unmappedTailBuffersSubmitTheBio(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 1, 1);
        h.buffers(0, mappedDirty(h, 0), BufferState.UPTODATE);

        PageWriter writer = h.writer(SyncMode.NONE);
        h.writePage(writer, 0);

        assertThat(h.shapes()).containsExactly(new Harness.Shape(BioOp.WRITE, h.mapper.physical(0) * (blockSize / 512),
                List.of(blockSize), Set.of(), List.of(0L)));
        h.writePage(writer, 1);
        h.closeWriter(writer);
        assertThat(h.submitted).hasSize(2);
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("W10 the fallback submits the open bio first, then writes the page block by block")
    void fallbackSubmitsOpenBioFirst(int blockSize) {
        Harness h = new Harness(blockSize);
        int bpp = h.blocksPerPage;
        h.write(0, 3, 1);
        long[] states = new long[bpp];
        for (int j = 0; j < bpp; j++) {
            states[j] = mappedDirty(h, 2L * bpp + j);
        }
        states[1] = BufferState.withBlock(states[1], 9000);
        h.buffers(2, states);

        h.pass(Harness.none(100));

        List<Harness.Shape> expected = new ArrayList<>();
        expected.add(h.pagesBio(0, 2, BACKGROUND));
        for (int j = 0; j < bpp; j++) {
            expected.add(j == 1 ? new Harness.Shape(BioOp.WRITE, 9000L * (blockSize / 512), List.of(blockSize), BACKGROUND, List.of(2L))
                    : h.blockBio(2, j, BACKGROUND));
        }
        expected.add(h.pagesBio(3, 1, BACKGROUND));
        assertThat(h.shapes()).containsExactlyElementsOf(expected);
    }

    @Test
    @DisplayName("W11 a pass submits its last open bio at the end and returns the chunk's bios together")
    void passSubmitsLastBioAtTheEnd() {
        Harness h = new Harness(4096);
        h.write(0, 9, 1);
        WritebackPass pass = new WritebackPass(h.cache, h.mapper, h.metadata, Harness.none(100));

        WritebackPass.Step step = pass.step();

        assertThat(step.isDone()).isTrue();
        assertThat(step.bios()).extracting(Harness::shape).containsExactly(h.pagesBio(0, 10, BACKGROUND));
        assertThat(step.reply().pagesWritten()).isEqualTo(10);
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("W12 completion ends writeback of every page; on error each page is marked and the error returned")
    void completionEndsWriteback(int blockSize) {
        Harness ok = new Harness(blockSize);
        ok.write(0, 3, 1);
        ok.pass(Harness.none(100));
        WriteCompletion.Completed done = ok.complete(ok.submitted.get(0));

        assertThat(done.mappingError()).isNull();
        assertThat(done.failedPages()).isEmpty();
        assertThat(ok.cache.writebackPages()).isZero();
        assertThat(ok.ledger.pagesWritten()).isEqualTo(4);

        Harness failing = new Harness(blockSize);
        failing.device.failWhen(bio -> true, Errno.ENOSPC);
        failing.write(0, 3, 1);
        failing.pass(Harness.none(100));
        done = failing.complete(failing.submitted.get(0));

        assertThat(done.mappingError()).isEqualTo(Errno.ENOSPC);
        assertThat(done.failedPages()).containsExactly(0L, 1L, 2L, 3L);
        for (long i = 0; i < 4; i++) {
            // E5, the linux policy: in error, clean, uptodate, no longer under writeback.
            assertThat(failing.cache.flags(i) & (PageFlags.ERROR | PageFlags.UPTODATE | PageFlags.DIRTY | PageFlags.WRITEBACK))
                    .isEqualTo(PageFlags.ERROR | PageFlags.UPTODATE);
        }
        assertThat(failing.ledger.dirtyPages()).isZero();
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("W13 bios are clipped at the device end: the part inside is written, every page still ends writeback")
    void biosClippedAtDeviceEnd(int blockSize) {
        long deviceBlocks = Harness.DEVICE_BYTES / blockSize;
        int bpp = PAGE / blockSize;
        TestMapper mapper = new TestMapper(deviceBlocks - 2L * bpp); // pages 0-1 fit, 2-3 run past the end
        for (int j = 0; j < bpp; j++) {
            mapper.place(5L * bpp + j, deviceBlocks + 10 + j); // page 5 starts past the end
        }
        Harness h = new Harness(blockSize, mapper, new TestMetadata(blockSize));
        h.write(0, 3, 0x5A);
        h.write(5, 0x5B);

        h.pass(Harness.all());
        h.completeAll();

        assertThat(h.shapes()).containsExactly(h.pagesBio(0, 4, SYNC), h.pagesBio(5, 1, SYNC));
        assertThat(h.device.requests()).extracting(r -> r.result()).containsExactly(null, Errno.EIO);
        assertThat(h.disk(deviceBlocks - 1)[blockSize - 1]).isEqualTo((byte) 0x5A);
        assertThat(h.cache.writebackPages()).isZero();
        assertThat(h.errors).containsExactly(Errno.EIO);
        assertThat(h.cache.has(5, PageFlags.ERROR)).isTrue();
        assertThat(h.cache.has(3, PageFlags.ERROR)).isFalse();
    }

    @Test
    @DisplayName("W6 the configured max-bio-segments must lie within 1..256")
    void maxSegmentsValidated() {
        Harness h = new Harness(4096);
        assertThatThrownBy(() -> new PageWriter(h.cache, h.mapper, h.metadata, SyncMode.NONE, false, 257))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PageWriter(h.cache, h.mapper, h.metadata, SyncMode.NONE, false, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
