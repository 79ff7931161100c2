package dev.writebackd.mpage;

import static dev.writebackd.mpage.Harness.BACKGROUND;
import static dev.writebackd.mpage.Harness.PAGE;
import static dev.writebackd.mpage.Harness.SYNC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.BioFlag;
import dev.writebackd.error.Errno;
import dev.writebackd.page.BufferState;
import dev.writebackd.page.PageFlags;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BufferWriterTest {
    private static final long DIRTY_UNMAPPED = BufferState.DIRTY | BufferState.UPTODATE;

    private static long mappedDirty(Harness h, long logical) {
        return BufferState.withBlock(BufferState.MAPPED | BufferState.DIRTY | BufferState.UPTODATE,
                h.mapper.physical(logical));
    }

    /** Page {@code index} with every buffer dirty but unmapped (stores through a mapping): W1 sends it here. */
    private static long[] dirtyUnmappedBuffers(Harness h, long index) {
        long[] states = new long[h.blocksPerPage];
        java.util.Arrays.fill(states, DIRTY_UNMAPPED);
        return h.buffers(index, states);
    }

    private static List<Harness.Shape> blockBios(Harness h, long index, int from, int to, java.util.Set<BioFlag> flags) {
        List<Harness.Shape> out = new ArrayList<>();
        for (int j = from; j < to; j++) {
            out.add(h.blockBio(index, j, flags));
        }
        return out;
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("B1 a page wholly past EOF is released by the per-block path: nothing mapped, nothing written")
    void pastEofReleased(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(3, 1);
        dirtyUnmappedBuffers(h, 3);
        h.cache.setSize(PAGE);

        PageWriter.Result result = h.writePage(h.writer(SyncMode.NONE), 3);

        assertThat(result).isEqualTo(PageWriter.Result.RELEASED);
        assertThat(h.submitted).isEmpty();
        assertThat(h.mapper.calls).isEmpty();
        assertThat(h.cache.has(3, PageFlags.WRITEBACK)).isFalse();
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("B1 a straddling page written block by block is zeroed past i_size every time")
    void straddlingZeroedEveryTime(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(1, 0x22);
        h.cache.setSize(PAGE + 1500);
        int insideEof = (1500 + blockSize - 1) / blockSize;
        for (int round = 0; round < 2; round++) {
            dirtyUnmappedBuffers(h, 1);
            h.scribble(1, 1500, 0x77);
            h.submitted.clear();

            h.writePage(h.writer(SyncMode.NONE), 1);
            h.completeAll();

            assertThat(h.shapes()).containsExactlyElementsOf(blockBios(h, 1, 0, insideEof, java.util.Set.of()));
            for (int j = 0; j < insideEof; j++) {
                byte[] block = h.disk(h.mapper.physical(h.blocksPerPage + j));
                for (int i = 0; i < blockSize; i++) {
                    int pos = j * blockSize + i;
                    assertThat(block[i]).as("byte %d, round %d", pos, round).isEqualTo((byte) (pos < 1500 ? 0x22 : 0));
                }
            }
            h.cache.markDirty(1);
        }
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("B2 buffers past EOF are cleaned and never written; unmapped dirty ones are mapped with create and alias-cleaned")
    void buffersPastEofCleanedOthersMapped(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(1, 1);
        h.cache.setSize(PAGE + 1500);
        long[] buffers = dirtyUnmappedBuffers(h, 1);
        int bpp = h.blocksPerPage;
        int insideEof = (1500 + blockSize - 1) / blockSize;

        h.writePage(h.writer(SyncMode.NONE), 1);

        List<TestMapper.MapCall> calls = new ArrayList<>();
        List<Long> cleaned = new ArrayList<>();
        for (int j = 0; j < insideEof; j++) {
            calls.add(new TestMapper.MapCall(bpp + j, 1, true));
            cleaned.add(h.mapper.physical(bpp + j));
        }
        assertThat(h.mapper.calls).containsExactlyElementsOf(calls);
        assertThat(h.metadata.aliasesCleaned).containsExactlyElementsOf(cleaned);
        assertThat(h.shapes()).containsExactlyElementsOf(blockBios(h, 1, 0, insideEof, java.util.Set.of()));
        for (int j = 0; j < bpp; j++) {
            assertThat(BufferState.has(buffers[j], BufferState.DIRTY)).as("buffer %d dirty", j).isFalse();
            assertThat(BufferState.has(buffers[j], BufferState.MAPPED)).as("buffer %d mapped", j).isEqualTo(j < insideEof);
        }
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("B3 in WB_SYNC_NONE a page whose blocks still have a write in flight is skipped and redirtied; sync mode waits")
    void inFlightWriteSkippedOrWaitedFor(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 1);
        long[] buffers = dirtyUnmappedBuffers(h, 0);
        h.writePage(h.writer(SyncMode.NONE), 0);
        assertThat(BufferState.has(buffers[0], BufferState.IN_FLIGHT)).isTrue();
        h.write(0, 2); // S5: a copy is dirtied while the old one is in flight
        for (int j = 0; j < buffers.length; j++) {
            buffers[j] |= BufferState.DIRTY;
        }
        int before = h.submitted.size();

        PageWriter.Result skipped = h.writePage(h.writer(SyncMode.NONE), 0);

        assertThat(skipped).isEqualTo(PageWriter.Result.REDIRTIED);
        assertThat(h.submitted).hasSize(before);
        assertThat(h.cache.has(0, PageFlags.DIRTY)).as("S4 redirtied").isTrue();
        assertThat(h.ledger.dirtyPages()).isEqualTo(1);

        PageWriter sync = h.writer(SyncMode.ALL);
        PageWriter.Result waiting = h.writePage(sync, 0);
        assertThat(waiting.need()).isEqualTo(new WriteNeed.WaitForWriteback(0));
        h.meet(waiting.need());
        assertThat(h.writePage(sync, 0)).isEqualTo(PageWriter.Result.WRITTEN);
        h.closeWriter(sync);
        assertThat(h.submitted).hasSize(before + 1).last().extracting(Harness::shape)
                .isEqualTo(h.pagesBio(0, 1, SYNC));
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("B4 one single-block bio per dirty buffer; the page ends writeback with its last buffer")
    void oneBioPerBufferPageEndsWithTheLast(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 1);
        int bpp = h.blocksPerPage;
        long[] states = new long[bpp];
        for (int j = 0; j < bpp; j++) {
            states[j] = j == 1 ? BufferState.UPTODATE | BufferState.MAPPED : mappedDirty(h, j);
        }
        states[1] = BufferState.withBlock(states[1], h.mapper.physical(1));
        states[bpp - 1] = BufferState.withBlock(states[bpp - 1], 30_000); // discontiguous: W1 gives up
        long[] buffers = h.buffers(0, states);

        h.pass(Harness.none(10));

        List<Harness.Shape> expected = new ArrayList<>();
        for (int j = 0; j < bpp; j++) {
            if (j != 1) {
                long block = j == bpp - 1 ? 30_000 : h.mapper.physical(j);
                expected.add(new Harness.Shape(dev.writebackd.block.BioOp.WRITE, block * (blockSize / 512),
                        List.of(blockSize), BACKGROUND, List.of(0L)));
            }
        }
        assertThat(h.shapes()).containsExactlyElementsOf(expected);
        assertThat(h.submitted).extracting(SubmittedBio::buffer).doesNotContain(1);
        for (int i = 0; i < h.submitted.size(); i++) {
            assertThat(h.cache.has(0, PageFlags.WRITEBACK)).as("under writeback before completion %d", i).isTrue();
            h.complete(h.submitted.get(i));
        }
        assertThat(h.cache.has(0, PageFlags.WRITEBACK)).isFalse();
        for (long state : buffers) {
            assertThat(state & (BufferState.IN_FLIGHT | BufferState.DIRTY)).isZero();
        }
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("B4 a failed buffer write marks the buffer write-error, the page in error, and records EIO")
    void failedBufferWrite(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 1);
        long[] buffers = dirtyUnmappedBuffers(h, 0);
        long failing = h.mapper.physical(1) * (blockSize / 512);
        h.device.failWhen(bio -> bio.startSector() == failing, Errno.ENOSPC);

        h.pass(Harness.none(10));
        h.completeAll();

        assertThat(h.errors).containsExactly(Errno.EIO);
        for (int j = 0; j < buffers.length; j++) {
            assertThat(BufferState.has(buffers[j], BufferState.WRITE_ERROR)).as("buffer %d", j).isEqualTo(j == 1);
        }
        assertThat(h.cache.flags(0) & (PageFlags.ERROR | PageFlags.WRITEBACK | PageFlags.DIRTY)).isEqualTo(PageFlags.ERROR);
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("B5 get_block failing part-way: mapped dirty buffers are still written, the rest cleaned, the error recorded and returned")
    void mappingFailsPartWay(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 1);
        int bpp = h.blocksPerPage;
        int failAt = bpp / 2;
        h.mapper.fail(failAt, Errno.ENOSPC);
        if (bpp >= 4) {
            h.mapper.allocated(bpp - 1, 1); // allocated beyond the failure, never asked for: not written
        }

        PageWriter.Result result = h.writePage(h.writer(SyncMode.NONE), 0);

        assertThat(result).isEqualTo(PageWriter.Result.failed(Errno.ENOSPC));
        assertThat(h.errors).containsExactly(Errno.ENOSPC);
        assertThat(h.mapper.calls).extracting(TestMapper.MapCall::logical).as("get_block stops at the failing block")
                .contains((long) failAt).allMatch(logical -> logical <= failAt);
        List<Harness.Shape> expected = blockBios(h, 0, 0, failAt, java.util.Set.of());
        long[] buffers = h.cache.buffers(0);
        assertThat(h.shapes()).containsExactlyElementsOf(expected);
        for (long state : buffers) {
            assertThat(BufferState.has(state, BufferState.DIRTY)).isFalse();
        }
        assertThat(h.cache.has(0, PageFlags.ERROR)).isTrue();
        assertThat(h.cache.has(0, PageFlags.WRITEBACK)).isEqualTo(failAt > 0);
        h.completeAll();
        assertThat(h.cache.has(0, PageFlags.WRITEBACK)).isFalse();
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {1024, 2048})
    @DisplayName("B5 buffers already mapped after the failing one are written too")
    void mappedBuffersAfterTheFailureAreWritten(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 1);
        int bpp = h.blocksPerPage;
        long[] states = new long[bpp];
        java.util.Arrays.fill(states, DIRTY_UNMAPPED);
        states[bpp - 1] = mappedDirty(h, bpp - 1);
        h.buffers(0, states);
        h.mapper.fail(0, Errno.ENOSPC);

        h.writePage(h.writer(SyncMode.NONE), 0);

        assertThat(h.shapes()).containsExactly(h.blockBio(0, bpp - 1, java.util.Set.of()));
        assertThat(h.errors).containsExactly(Errno.ENOSPC);
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("B7 the dirty map block after a boundary is written only once the data bio completed successfully")
    void boundaryWriteFollowsCompletedData(int blockSize) {
        Harness h = new Harness(blockSize);
        int bpp = h.blocksPerPage;
        long last = bpp - 1L;
        long boundary = h.mapper.physical(last);
        h.mapper.boundary(last);
        for (int j = 0; j < bpp; j++) {
            h.mapper.place(bpp + j, boundary + 2 + j); // the map block sits between, as in ext2 (X3)
        }
        h.metadata.dirty.add(boundary + 1);
        h.write(0, 1, 1);

        h.pass(Harness.all());

        assertThat(h.submitted).extracting(SubmittedBio::boundaryBlock).containsExactly(boundary, 0L);
        assertThat(h.metadata.writesIssued).as("nothing before the data completed").isEmpty();
        h.complete(h.submitted.get(0));
        assertThat(h.metadata.writesIssued).containsExactly(boundary + 1);
        assertThat(h.submitted).hasSize(3);
        SubmittedBio mapBlock = h.submitted.get(2);
        assertThat(mapBlock.kind()).isEqualTo(SubmittedBio.Kind.METADATA);
        assertThat(mapBlock.bio().startSector()).isEqualTo((boundary + 1) * (blockSize / 512));
        assertThat(h.device.requests().get(2).startSector()).isEqualTo((boundary + 1) * (blockSize / 512));
        h.completeAll();
        assertThat(h.metadata.completions).containsExactly((boundary + 1) + " ok");
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("B7 after a failed data bio the map block is not written")
    void noBoundaryWriteAfterFailedData(int blockSize) {
        Harness h = new Harness(blockSize);
        long last = h.blocksPerPage - 1L;
        h.mapper.boundary(last);
        h.metadata.dirty.add(h.mapper.physical(last) + 1);
        h.device.failWhen(bio -> true, Errno.EIO);
        h.write(0, 1);

        h.pass(Harness.all());
        h.completeAll();

        assertThat(h.metadata.writesIssued).isEmpty();
        assertThat(h.metadata.dirty).containsExactly(h.mapper.physical(last) + 1);
        assertThat(h.errors).containsExactly(Errno.EIO);
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("B7 a failed map-block write is reported for the file")
    void failedMapBlockWrite(int blockSize) {
        Harness h = new Harness(blockSize);
        long last = h.blocksPerPage - 1L;
        long mapBlock = h.mapper.physical(last) + 1;
        h.mapper.boundary(last);
        h.metadata.dirty.add(mapBlock);
        h.device.failWhen(bio -> bio.flags().contains(BioFlag.META), Errno.EIO);
        h.write(0, 1);

        h.pass(Harness.all());
        h.completeAll();

        assertThat(h.metadata.completions).containsExactly(mapBlock + " failed");
        assertThat(h.errors).containsExactly(Errno.EIO);
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("B8 a new block's metadata alias is cleaned; a write of it in flight is waited for before the data goes out")
    void aliasWriteInFlightIsWaitedFor(int blockSize) {
        Harness h = new Harness(blockSize);
        long alias = h.mapper.physical(h.blocksPerPage - 1);
        h.metadata.cached.add(alias);
        h.metadata.inFlight.add(alias);
        h.write(0, 1);
        WritebackPass pass = new WritebackPass(h.cache, h.mapper, h.metadata, Harness.none(10));

        WritebackPass.Step first = pass.step();

        assertThat(first.need()).isEqualTo(new WriteNeed.WaitForMetadataWrite(alias));
        assertThat(first.bios()).isEmpty();
        assertThat(h.cache.has(0, PageFlags.WRITEBACK)).isFalse();
        assertThat(h.metadata.cached).doesNotContain(alias);
        h.meet(first.need());
        WritebackPass.Step second = pass.step();
        assertThat(second.isDone()).isTrue();
        assertThat(second.bios()).extracting(Harness::shape).containsExactly(h.pagesBio(0, 1, BACKGROUND));
        assertThat(h.metadata.aliasesCleaned).containsOnlyOnceElementsOf(
                java.util.stream.LongStream.range(0, h.blocksPerPage).map(h.mapper::physical).boxed().toList());
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("B8 the per-block path cleans aliases of the blocks it allocates and waits for one in flight")
    void perBlockPathCleansAliases(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 1);
        long[] buffers = dirtyUnmappedBuffers(h, 0);
        long alias = h.mapper.physical(0);
        h.metadata.inFlight.add(alias);
        PageWriter writer = h.writer(SyncMode.ALL);

        PageWriter.Result first = h.writePage(writer, 0);

        assertThat(first.need()).isEqualTo(new WriteNeed.WaitForMetadataWrite(alias));
        assertThat(BufferState.block(buffers[0])).as("mapped before the wait").isEqualTo(alias);
        h.meet(first.need());
        assertThat(h.writePage(writer, 0)).isEqualTo(PageWriter.Result.WRITTEN);
        assertThat(h.shapes()).containsExactlyElementsOf(blockBios(h, 0, 0, h.blocksPerPage, SYNC));
        assertThat(h.metadata.aliasesCleaned).containsExactlyElementsOf(
                java.util.stream.LongStream.range(0, h.blocksPerPage).map(h.mapper::physical).boxed().toList());
    }
}
