package dev.writebackd.mpage;

import static dev.writebackd.mpage.Harness.BACKGROUND;
import static dev.writebackd.mpage.Harness.PAGE;
import static dev.writebackd.mpage.Harness.SYNC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import dev.writebackd.page.PageFlags;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WritebackPassTest {

    private static List<Long> pagesWritten(Harness h) {
        return h.submitted.stream().flatMap(b -> b.bio().segments().stream()).map(Segment::pageIndex).distinct().toList();
    }

    private static List<Long> range(long first, long last) {
        return LongStream.rangeClosed(first, last).boxed().toList();
    }

    @Test
    @DisplayName("C1 a cyclic pass runs from writebackIndex to EOF and never wraps around")
    void cyclicFromWritebackIndex() {
        Harness h = new Harness(4096);
        h.write(0, 9, 1);
        h.cache.setWritebackIndex(5);

        WritePagesReply reply = h.pass(Harness.cyclic(100));

        assertThat(pagesWritten(h)).isEqualTo(range(5, 9));
        assertThat(reply.pagesWritten()).isEqualTo(5);
        assertThat(reply.stillDirty()).isTrue();
        assertThat(h.cache.writebackIndex()).isZero();
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("C1 a ranged pass writes only the pages of its range")
    void rangeOnly(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 9, 1);

        h.pass(Harness.range(true, Long.MAX_VALUE, 2, 4));

        assertThat(h.shapes()).containsExactly(h.pagesBio(2, 3, SYNC));
        assertThat(h.ledger.dirtyPages()).isEqualTo(7);
    }

    @Test
    @DisplayName("C2 a sync pass tags once and writes only the pages dirty at its start, while a writer keeps dirtying")
    void livelockGuard() {
        Harness h = new Harness(4096);
        h.write(0, 9, 1);
        // Page 5 is already in flight and rewritten (S5): the pass must wait for it, giving the
        // concurrent writer a chance between steps.
        h.pass(Harness.range(false, 1, 5, 5));
        h.write(5, 2);
        int[] round = {0};
        h.betweenSteps = need -> {
            round[0]++;
            h.write(10 + round[0], 3); // new pages past the tagged ones
            h.write(1, 4); // a page already written in this pass is dirtied again
            h.write(8, 5); // a tagged page not yet written is rewritten: written once, newest bytes
        };
        h.submitted.clear();

        WritePagesReply reply = h.pass(Harness.all());

        assertThat(h.needs).containsExactly(new WriteNeed.WaitForWriteback(5));
        assertThat(pagesWritten(h)).isEqualTo(range(0, 9));
        assertThat(reply.pagesWritten()).isEqualTo(10);
        assertThat(h.cache.has(11, PageFlags.DIRTY)).isTrue();
        assertThat(h.cache.has(1, PageFlags.DIRTY)).isTrue();
        assertThat(h.cache.has(11, PageFlags.TAG_TOWRITE)).isFalse();
        assertThat(reply.stillDirty()).isTrue();
        h.completeAll();
        assertThat(h.disk(h.mapper.physical(8))[0]).isEqualTo((byte) 5);
    }

    @Test
    @DisplayName("C2 a tagged WB_SYNC_NONE pass visits only the pages tagged at its start")
    void taggedNoneVisitsTaggedOnly() {
        Harness h = new Harness(4096);
        h.write(0, 3, 1);
        h.mapper.needsMetadata(1, 77);
        h.betweenSteps = need -> h.write(2, 2);
        h.cache.clearDirtyForIo(2); // page 2 is clean when the pass starts
        h.cache.startWriteback(2);
        h.cache.endWriteback(2, h.cache.slot(2));

        h.pass(new WritePagesRequest(SyncMode.NONE, 100, 0, WritePagesRequest.WHOLE_FILE_END, false,
                WritebackReason.BACKGROUND, true));

        assertThat(pagesWritten(h)).containsExactly(0L, 1L, 3L);
        assertThat(h.cache.has(2, PageFlags.DIRTY)).isTrue();
    }

    @Test
    @DisplayName("C3 pages no longer dirty are skipped; under writeback they are skipped in WB_SYNC_NONE and waited for in WB_SYNC_ALL")
    void perPageChecks() {
        Harness h = new Harness(4096);
        h.write(0, 5, 1);
        h.pass(Harness.range(false, 1, 3, 3)); // page 3 now under writeback
        h.write(3, 2);
        h.cache.tagToWrite(0, 5);
        h.cache.clearDirtyForIo(4); // tagged, then written by someone else
        h.submitted.clear();

        WritePagesReply none = h.pass(Harness.none(100));

        assertThat(pagesWritten(h)).containsExactly(0L, 1L, 2L, 5L);
        assertThat(none.pagesSkipped()).as("skipped by the chooser, not redirtied by the writer").isZero();
        assertThat(h.cache.has(3, PageFlags.DIRTY)).isTrue();
        assertThat(h.needs).isEmpty();

        h.submitted.clear();
        WritePagesReply all = h.pass(Harness.all());

        assertThat(h.needs).containsExactly(new WriteNeed.WaitForWriteback(3));
        assertThat(pagesWritten(h)).containsExactly(3L);
        assertThat(all.pagesSkipped()).isZero();
        assertThat(h.ledger.dirtyPages()).isZero();
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("C4 a writer error stops a WB_SYNC_NONE pass at once, without charging the page")
    void errorStopsNone(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 5, 1);
        h.mapper.fail(2L * h.blocksPerPage, Errno.ENOSPC);

        WritePagesReply reply = h.pass(Harness.cyclic(100));

        assertThat(pagesWritten(h)).containsExactly(0L, 1L);
        assertThat(reply.firstError()).isEqualTo(Errno.ENOSPC);
        assertThat(reply.nrToWriteLeft()).isEqualTo(98);
        assertThat(reply.pagesWritten()).isEqualTo(2);
        assertThat(h.cache.writebackIndex()).as("C6: failed page + 1").isEqualTo(3);
        assertThat(h.cache.dirtyPages()).isEqualTo(3);
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("C4 a WB_SYNC_ALL pass goes on after an error and returns the first one")
    void errorContinuesAll(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 5, 1);
        h.mapper.fail(2L * h.blocksPerPage, Errno.ENOSPC);
        h.mapper.fail(4L * h.blocksPerPage, Errno.EIO);

        WritePagesReply reply = h.pass(Harness.all());

        assertThat(pagesWritten(h)).containsExactly(0L, 1L, 3L, 5L);
        assertThat(reply.firstError()).isEqualTo(Errno.ENOSPC);
        assertThat(reply.pagesWritten()).isEqualTo(4);
        assertThat(reply.nrToWriteLeft()).isEqualTo(Long.MAX_VALUE - 6);
        assertThat(h.ledger.dirtyPages()).isZero();
    }

    @Test
    @DisplayName("C5 nrToWrite drops per page handed to the writer and stops WB_SYNC_NONE only")
    void nrToWriteStopsNoneOnly() {
        Harness none = new Harness(4096);
        none.write(0, 9, 1);
        none.write(12, 1);
        none.cache.setSize(10 * PAGE); // page 12 lies past EOF: released, but charged
        WritePagesReply n = none.pass(Harness.range(false, 3, 0, 20));
        assertThat(pagesWritten(none)).isEqualTo(range(0, 2));
        assertThat(n.nrToWriteLeft()).isZero();

        Harness all = new Harness(4096);
        all.write(0, 9, 1);
        WritePagesReply a = all.pass(Harness.range(true, 3, 0, 20));
        assertThat(pagesWritten(all)).isEqualTo(range(0, 9));
        assertThat(a.nrToWriteLeft()).isEqualTo(-7);

        Harness released = new Harness(4096);
        released.write(0, 1, 1);
        released.cache.setSize(PAGE);
        WritePagesReply r = released.pass(Harness.range(false, 5, 0, 20));
        assertThat(r.nrToWriteLeft()).as("a page past EOF is charged too").isEqualTo(3);
    }

    @Test
    @DisplayName("C5 a pass entered with nrToWrite <= 0 does nothing: no tagging, no reservation, no writes")
    void nothingToWrite() {
        Harness h = new Harness(4096);
        h.write(0, 3, 1);
        h.cache.setWritebackIndex(2);

        WritePagesReply reply = h.pass(new WritePagesRequest(SyncMode.ALL, 0, 0, 0, true, WritebackReason.FSYNC, true));

        assertThat(h.submitted).isEmpty();
        assertThat(h.mapper.reservations).isEmpty();
        assertThat(h.cache.has(0, PageFlags.TAG_TOWRITE)).isFalse();
        assertThat(h.cache.writebackIndex()).isEqualTo(2);
        assertThat(reply).isEqualTo(new WritePagesReply(0, 0, 0, true, null));
    }

    @Test
    @DisplayName("C6 worked example: pages 0-9, cyclic, nrToWrite 4: 0-3, then 4-7, then 8-9 and the index back at 0")
    void workedExample() {
        Harness h = new Harness(4096);
        h.write(0, 9, 1);
        long[][] expected = {{0, 3}, {4, 7}, {8, 9}};
        long[] index = {3, 7, 0};

        for (int call = 0; call < 3; call++) {
            h.submitted.clear();
            WritePagesReply reply = h.pass(Harness.cyclic(4));

            assertThat(pagesWritten(h)).as("call %d", call + 1).isEqualTo(range(expected[call][0], expected[call][1]));
            assertThat(h.cache.writebackIndex()).as("index after call %d", call + 1).isEqualTo(index[call]);
            assertThat(reply.stillDirty()).isEqualTo(call < 2);
        }
    }

    @Test
    @DisplayName("C6 writebackIndex is stored for whole-range calls ending with nrToWrite > 0, never for partial ranges")
    void writebackIndexOnlyForWholeRanges() {
        Harness whole = new Harness(4096);
        whole.write(0, 4, 1);
        whole.pass(Harness.none(100));
        assertThat(whole.cache.writebackIndex()).as("last page handled").isEqualTo(4);

        Harness used = new Harness(4096);
        used.write(0, 4, 1);
        used.cache.setWritebackIndex(9);
        used.pass(Harness.none(5));
        assertThat(used.cache.writebackIndex()).as("nrToWrite used up").isEqualTo(9);

        Harness partial = new Harness(4096);
        partial.write(0, 4, 1);
        partial.cache.setWritebackIndex(9);
        partial.pass(Harness.range(false, 100, 1, 3));
        assertThat(partial.cache.writebackIndex()).isEqualTo(9);
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("C7 errors are recorded for the mapping by the writer, once each; the chooser only carries them")
    void writerRecordsErrors(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 3, 1);
        h.mapper.fail(h.blocksPerPage, Errno.ENOSPC);
        h.mapper.fail(3L * h.blocksPerPage, Errno.EIO);
        WritebackPass pass = new WritebackPass(h.cache, h.mapper, h.metadata, Harness.all());

        WritebackPass.Step step = pass.step();

        assertThat(step.errors()).containsExactly(Errno.ENOSPC, Errno.EIO);
        assertThat(step.reply().firstError()).isEqualTo(Errno.ENOSPC);
        assertThat(h.cache.has(1, PageFlags.ERROR)).isTrue();
        assertThat(h.cache.has(3, PageFlags.ERROR)).isTrue();
        assertThatThrownBy(pass::step).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("C3 a page under writeback that a WB_SYNC_NONE pass skips stays dirty and the next pass writes it")
    void skippedPagesStayDirty() {
        Harness h = new Harness(4096);
        h.write(0, 2, 1);
        h.pass(Harness.range(false, 1, 1, 1));
        h.write(1, 2); // rewritten while in flight (S5)
        h.submitted.clear();

        WritePagesReply first = h.pass(Harness.none(100));

        assertThat(pagesWritten(h)).containsExactly(0L, 2L);
        assertThat(first.stillDirty()).isTrue();
        assertThat(h.cache.has(1, PageFlags.DIRTY | PageFlags.TAG_DIRTY)).isTrue();
        assertThat(h.ledger.dirtyPages()).isEqualTo(1);

        h.completeAll();
        h.submitted.clear();
        WritePagesReply second = h.pass(Harness.none(100));

        assertThat(pagesWritten(h)).containsExactly(1L);
        assertThat(second.stillDirty()).isFalse();
        h.completeAll();
        assertThat(h.disk(h.mapper.physical(1))[0]).isEqualTo((byte) 2);
    }

    @Test
    @DisplayName("S4 a page the writer finds in flight when the pass resumes is redirtied, counted as skipped, and written by the next pass")
    void redirtiedPageCountsAsSkipped() {
        Harness h = new Harness(4096);
        h.write(0, 2, 1);
        h.mapper.needsMetadata(1, 99); // the pass stops at page 1
        h.betweenSteps = need -> {
            // Meanwhile page 1 is written on its own (to free memory, say) and rewritten (S5).
            PageWriter alone = h.writer(SyncMode.NONE);
            h.writePage(alone, 1);
            h.closeWriter(alone);
            h.write(1, 2);
        };

        WritePagesReply first = h.pass(Harness.none(100));

        assertThat(first.pagesSkipped()).isEqualTo(1);
        assertThat(first.pagesWritten()).isEqualTo(2);
        assertThat(first.nrToWriteLeft()).as("handed to the writer: charged").isEqualTo(97);
        assertThat(first.stillDirty()).isTrue();
        assertThat(h.cache.has(1, PageFlags.DIRTY)).isTrue();

        h.completeAll();
        h.submitted.clear();
        WritePagesReply second = h.pass(Harness.none(100));

        assertThat(pagesWritten(h)).containsExactly(1L);
        assertThat(second.pagesSkipped()).isZero();
        h.completeAll();
        assertThat(h.disk(h.mapper.physical(1))[0]).isEqualTo((byte) 2);
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("C3 a map block to read keeps the open bio open and retries the page after the read")
    void readMetadataKeepsBioOpen(int blockSize) {
        Harness h = new Harness(blockSize);
        h.write(0, 4, 1);
        h.mapper.needsMetadata(2L * h.blocksPerPage + h.blocksPerPage - 1, 99);
        WritebackPass pass = new WritebackPass(h.cache, h.mapper, h.metadata, Harness.none(100));

        WritebackPass.Step first = pass.step();

        assertThat(first.need()).isEqualTo(new WriteNeed.ReadMetadata(99));
        assertThat(first.bios()).isEmpty();
        assertThat(h.cache.has(2, PageFlags.WRITEBACK)).isFalse();
        h.meet(first.need());
        WritebackPass.Step second = pass.step();
        assertThat(second.bios()).extracting(Harness::shape).containsExactly(h.pagesBio(0, 5, BACKGROUND));
        assertThat(second.reply().pagesWritten()).isEqualTo(5);
    }

    @Test
    @DisplayName("C3 a page truncated while the pass waited is skipped")
    void truncatedWhileWaiting() {
        Harness h = new Harness(4096);
        h.write(0, 2, 1);
        h.mapper.needsMetadata(2, 99);
        h.betweenSteps = need -> {
            h.cache.remove(2);
            h.cache.setSize(2 * PAGE);
        };

        WritePagesReply reply = h.pass(Harness.none(100));

        assertThat(pagesWritten(h)).containsExactly(0L, 1L);
        assertThat(reply.pagesWritten()).isEqualTo(2);
        assertThat(h.ledger.dirtyPages()).isZero();
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("W2 delayed allocation: a pass first reserves each run of dirty pages it will write, inside EOF and nrToWrite")
    void reservesRunsBeforeWriting(int blockSize) {
        Harness h = new Harness(blockSize);
        int bpp = h.blocksPerPage;
        h.write(0, 3, 1);
        h.write(6, 7, 1);
        h.write(9, 1);
        h.write(12, 1);
        h.cache.setSize(9L * PAGE + 1000); // page 12 lies past EOF
        long inside9 = (1000 + blockSize - 1) / blockSize;

        h.pass(Harness.all());
        Harness limited = new Harness(blockSize);
        limited.write(0, 3, 1);
        limited.write(6, 7, 1);
        limited.pass(Harness.none(5));

        assertThat(h.mapper.reservations).containsExactly(new TestMapper.Reservation(0, 4L * bpp),
                new TestMapper.Reservation(6L * bpp, 2L * bpp), new TestMapper.Reservation(9L * bpp, inside9));
        assertThat(limited.mapper.reservations).containsExactly(new TestMapper.Reservation(0, 4L * bpp),
                new TestMapper.Reservation(6L * bpp, bpp));
    }

    @Test
    @DisplayName("W2 a failed reservation is not fatal: the pass writes what get_block still maps")
    void failedReservationIsNotFatal() {
        Harness h = new Harness(4096);
        h.mapper.reserveError = Errno.ENOSPC;
        h.write(0, 2, 1);

        WritePagesReply reply = h.pass(Harness.none(100));

        assertThat(reply.firstError()).isNull();
        assertThat(h.shapes()).containsExactly(h.pagesBio(0, 3, BACKGROUND));
    }

    /** Steps {@code pass} to its end, each Unplug met at once; returns the bios per step, and the pages in {@code pages}. */
    private static List<Integer> stepsToTheEnd(WritebackPass pass, List<Long> pages) {
        List<Integer> biosPerStep = new ArrayList<>();
        WritebackPass.Step step;
        do {
            step = pass.step();
            biosPerStep.add(step.bios().size());
            step.bios().forEach(b -> b.bio().segments().forEach(s -> pages.add(s.pageIndex())));
            if (!step.isDone()) {
                assertThat(step.need()).isEqualTo(new WriteNeed.Unplug());
            }
        } while (!step.isDone());
        return biosPerStep;
    }

    @Test
    @DisplayName("W11 a long pass hands out its bios once they hold 4 MiB, in order, and goes on at once")
    void longPassUnplugsByBytes() {
        Harness h = new Harness(4096);
        h.write(0, 1199, 1);
        WritebackPass pass = new WritebackPass(h.cache, h.mapper, h.metadata, Harness.all());
        List<Long> pages = new ArrayList<>();

        List<Integer> biosPerStep = stepsToTheEnd(pass, pages);

        assertThat(biosPerStep).containsExactly(4, 1); // four bios of 256 pages, then the open one of 176
        assertThat(pages).isEqualTo(range(0, 1199));
        assertThat(h.ledger.dirtyPages()).isZero();
    }

    @Test
    @DisplayName("W11 a long pass of small bios hands them out 32 at a time")
    void longPassUnplugsByCount() {
        Harness h = new Harness(4096);
        for (long page = 0; page < 200; page += 2) {
            h.write(page, 1); // every other page: one bio each
        }
        WritebackPass pass = new WritebackPass(h.cache, h.mapper, h.metadata, Harness.all());
        List<Long> pages = new ArrayList<>();

        List<Integer> biosPerStep = stepsToTheEnd(pass, pages);

        assertThat(biosPerStep).containsExactly(WritebackPass.UNPLUG_BIOS, WritebackPass.UNPLUG_BIOS,
                WritebackPass.UNPLUG_BIOS, 4);
        assertThat(pages).isEqualTo(LongStream.iterate(0, p -> p < 200, p -> p + 2).boxed().toList());
    }
}
