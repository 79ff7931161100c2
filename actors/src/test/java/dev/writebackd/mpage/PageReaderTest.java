package dev.writebackd.mpage;

import static dev.writebackd.mpage.ReaderFixture.PAGE;
import static dev.writebackd.mpage.ReaderFixture.blocksOf;
import static dev.writebackd.mpage.ReaderFixture.cache;
import static dev.writebackd.mpage.ReaderFixture.completeAll;
import static dev.writebackd.mpage.ReaderFixture.drive;
import static dev.writebackd.mpage.ReaderFixture.firstBlock;
import static dev.writebackd.mpage.ReaderFixture.pagesOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.error.Errno;
import dev.writebackd.mpage.ReaderFixture.ScriptedMapper;
import dev.writebackd.page.BufferState;
import dev.writebackd.page.DirtyLedger;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import dev.writebackd.page.PagePool;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PageReaderTest {

    private static void junk(PageCache cache, long index) {
        ByteBuffer data = cache.data(index);
        for (int i = 0; i < PAGE; i++) {
            data.put(i, (byte) 0x5a);
        }
    }

    private static boolean zeroed(PageCache cache, long index, int from, int to) {
        ByteBuffer data = cache.data(index);
        for (int i = from; i < to; i++) {
            if (data.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("R1 readahead bios carry RAHEAD; a failed readahead page is in error, not uptodate, and a later real read retries it")
    void readaheadFailureIsRetriedByARealRead(int bs) {
        PageCache cache = cache(bs);
        int bpp = PAGE / bs;
        cache.setSize(4L * PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, 4 * bpp);

        List<Bio> bios = drive(PageReader.readahead(cache, mapper, 0, 4), mapper);

        assertThat(bios).singleElement().satisfies(bio -> {
            assertThat(bio.flags()).containsExactly(BioFlag.RAHEAD);
            assertThat(bio.op()).isEqualTo(BioOp.READ);
        });
        assertThat(ReadCompletion.complete(cache, bios.get(0), Errno.EIO)).containsExactly(0L, 1L, 2L, 3L);
        for (long p = 0; p < 4; p++) {
            assertThat(cache.has(p, PageFlags.ERROR)).isTrue();
            assertThat(cache.has(p, PageFlags.UPTODATE)).isFalse();
        }

        List<Bio> retry = drive(PageReader.readPage(cache, mapper, 2), mapper);

        assertThat(cache.has(2, PageFlags.ERROR)).isFalse();
        assertThat(retry).singleElement().satisfies(bio -> {
            assertThat(bio.flags()).isEmpty();
            assertThat(pagesOf(bio)).containsExactly(2L);
            assertThat(firstBlock(bio, cache)).isEqualTo(100 + 2L * bpp);
        });
        completeAll(cache, retry);
        assertThat(cache.has(2, PageFlags.UPTODATE)).isTrue();
    }

    @Test
    @DisplayName("R1 readahead leaves cached pages alone and reads only the missing ones")
    void readaheadSkipsCachedPages() {
        PageCache cache = cache(4096);
        cache.setSize(3L * PAGE);
        cache.insert(1);
        cache.setFlag(1, PageFlags.UPTODATE, true);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, 3);

        PageReader reader = PageReader.readahead(cache, mapper, 0, 3);
        List<Bio> bios = drive(reader, mapper);

        assertThat(reader.reads(1)).isFalse();
        assertThat(bios).extracting(ReaderFixture::pagesOf).containsExactly(List.of(0L), List.of(2L));
    }

    @Test
    @DisplayName("R1 a readahead stops at the last page the page pool could hold")
    void readaheadStopsWhenPoolIsFull() {
        PageCache small = new PageCache(ReaderFixture.INODE, new PagePool(PAGE, 2L * PAGE, PAGE), new DirtyLedger(), 4096);
        small.setSize(4L * PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, 4);

        PageReader reader = PageReader.readahead(small, mapper, 0, 4);
        List<Bio> bios = drive(reader, mapper);

        assertThat(reader.reads(1)).isTrue();
        assertThat(reader.reads(2)).isFalse();
        assertThat(bios).singleElement().satisfies(bio -> assertThat(pagesOf(bio)).containsExactly(0L, 1L));
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("R2 a page that already has buffers is read through the fallback, block by block")
    void pageWithBuffersFallsBack(int bs) {
        PageCache cache = cache(bs);
        int bpp = PAGE / bs;
        cache.setSize(PAGE);
        cache.insert(0);
        cache.createBuffers(0, 0);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, bpp);

        List<Bio> bios = drive(PageReader.readPage(cache, mapper, 0), mapper);

        assertThat(bios).hasSize(bpp).allSatisfy(bio -> assertThat(bio.lengthBytes()).isEqualTo(bs));
        assertThat(bios).extracting(bio -> firstBlock(bio, cache))
                .containsExactlyElementsOf(LongStream.range(100, 100 + bpp).boxed().toList());
        assertThat(Arrays.stream(cache.buffers(0))).allSatisfy(state -> assertThat(BufferState.has(state, BufferState.IN_FLIGHT)).isTrue());
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("R3 the previous mapping is reused while it covers the page; when it runs out get_block is asked again")
    void mappingIsReused(int bs) {
        PageCache cache = cache(bs);
        int bpp = PAGE / bs;
        int first = 2 * bpp - bpp / 2;
        cache.setSize(4L * PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, first).extent(first, 100 + first, 4 * bpp - first);

        List<Bio> bios = drive(PageReader.readahead(cache, mapper, 0, 4), mapper);

        assertThat(mapper.calls).extracting(call -> call[0]).containsExactly(0L, (long) first);
        assertThat(bios).singleElement().satisfies(bio -> assertThat(pagesOf(bio)).containsExactly(0L, 1L, 2L, 3L));
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("R4 get_block is asked once, with create = false, for every block up to min(request end, EOF)")
    void mapsUpToRequestEndOrEof(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(10L * PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, 10 * bpp);
        drive(PageReader.readahead(cache, mapper, 0, 4), mapper);
        assertThat(mapper.calls).containsExactly(new long[] {0, 4L * bpp});

        PageCache shortFile = cache(bs);
        shortFile.setSize(2L * PAGE + 100);
        ScriptedMapper shortMapper = new ScriptedMapper().extent(0, 100, 10 * bpp);
        drive(PageReader.readahead(shortFile, shortMapper, 0, 4), shortMapper);
        assertThat(shortMapper.calls).containsExactly(new long[] {0, 2L * bpp + 1});
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("R4 a mapper that needs a map block gets the ready bios first (never the open one), then the request resumes at the same block")
    void metadataNeedReturnsReadyBiosOnly(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(3L * PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, bpp).extent(bpp, 300, 2 * bpp).needs(2L * bpp, 77);
        PageReader reader = PageReader.readahead(cache, mapper, 0, 3);

        ReadStep first = reader.step();

        assertThat(first).isInstanceOf(ReadStep.ReadMetadata.class);
        assertThat(((ReadStep.ReadMetadata) first).block()).isEqualTo(77);
        assertThat(first.bios()).singleElement().satisfies(bio -> assertThat(pagesOf(bio)).containsExactly(0L));
        assertThat(reader.step()).isInstanceOf(ReadStep.ReadMetadata.class)
                .satisfies(again -> assertThat(again.bios()).isEmpty());

        mapper.metadataRead(77);
        ReadStep done = reader.step();

        assertThat(done).isInstanceOf(ReadStep.Done.class);
        assertThat(done.bios()).singleElement().satisfies(bio -> assertThat(pagesOf(bio)).containsExactly(1L, 2L));
        assertThat(mapper.calls.stream().filter(call -> call[0] == 2L * bpp)).hasSize(3);
        assertThat(reader.step().bios()).isEmpty();
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("R5 unmapped blocks need no I/O: a page ending in a hole reads only up to its first hole")
    void trailingHoleIsNotRead(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, bpp / 2);

        List<Bio> bios = drive(PageReader.readahead(cache, mapper, 0, 1), mapper);

        assertThat(bios).singleElement().satisfies(bio -> {
            assertThat(bio.lengthBytes()).isEqualTo(PAGE / 2);
            assertThat(firstBlock(bio, cache)).isEqualTo(100);
        });
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("R5 blocks past EOF are never mapped nor read")
    void pastEofIsNotRead(int bs) {
        PageCache cache = cache(bs);
        cache.setSize(bs);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, 64);

        List<Bio> bios = drive(PageReader.readahead(cache, mapper, 0, 2), mapper);

        assertThat(mapper.calls).containsExactly(new long[] {0, 1});
        assertThat(bios).singleElement().satisfies(bio -> assertThat(bio.lengthBytes()).isEqualTo(bs));
        assertThat(cache.has(1, PageFlags.UPTODATE)).isTrue();
    }

    @Test
    @DisplayName("R6 block size = page size: an uptodate answer makes the page uptodate without buffers, and the open bio is still submitted")
    void uptodateAnswerWholePage() {
        PageCache cache = cache(4096);
        cache.setSize(3L * PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, 1).extent(1, 101, 1, false, true).extent(2, 102, 1);
        PageReader reader = PageReader.readahead(cache, mapper, 0, 3);

        List<Bio> bios = drive(reader, mapper);

        assertThat(cache.has(1, PageFlags.UPTODATE)).isTrue();
        assertThat(cache.buffers(1)).isNull();
        assertThat(bios).extracting(ReaderFixture::pagesOf).containsExactly(List.of(0L), List.of(2L));
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("R6 an uptodate answer's state (not data) goes into that block's buffer and the page is read block by block without it")
    void uptodateAnswerCopiesState(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, 1).extent(1, 101, bpp - 1, false, true);

        List<Bio> bios = drive(PageReader.readahead(cache, mapper, 0, 1), mapper);

        long[] buffers = cache.buffers(0);
        assertThat(buffers).isNotNull();
        assertThat(BufferState.has(buffers[1], BufferState.MAPPED | BufferState.UPTODATE)).isTrue();
        assertThat(BufferState.block(buffers[1])).isEqualTo(101);
        assertThat(bios).singleElement().satisfies(bio -> assertThat(blocksOf(bio, cache)).containsExactly(100L));
        completeAll(cache, bios);
        assertThat(cache.has(0, PageFlags.UPTODATE)).isTrue();
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("R7 a mapped block after a hole sends the page to the fallback")
    void holeThenDataFallsBack(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(bpp / 2, 200, bpp / 2);

        List<Bio> bios = drive(PageReader.readahead(cache, mapper, 0, 1), mapper);

        assertThat(cache.buffers(0)).isNotNull();
        assertThat(bios).hasSize(bpp / 2).allSatisfy(bio -> assertThat(bio.lengthBytes()).isEqualTo(bs));
        assertThat(bios).extracting(bio -> firstBlock(bio, cache))
                .containsExactlyElementsOf(LongStream.range(200, 200 + bpp / 2).boxed().toList());
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("R7 discontiguous blocks within a page send it to the fallback")
    void discontiguousFallsBack(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, bpp / 2).extent(bpp / 2, 300, bpp / 2);

        List<Bio> bios = drive(PageReader.readahead(cache, mapper, 0, 1), mapper);

        assertThat(bios).hasSize(bpp).allSatisfy(bio -> assertThat(bio.lengthBytes()).isEqualTo(bs));
        assertThat(cache.has(0, PageFlags.HAS_BUFFERS)).isTrue();
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("R8 a page with a hole is zeroed from its first hole to its end")
    void holeTailIsZeroed(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, bpp / 2);
        PageReader reader = PageReader.readahead(cache, mapper, 0, 1);
        junk(cache, 0);

        drive(reader, mapper);

        assertThat(zeroed(cache, 0, PAGE / 2, PAGE)).isTrue();
        assertThat(zeroed(cache, 0, 0, PAGE / 2)).isFalse();
        assertThat(cache.has(0, PageFlags.UPTODATE)).isFalse();
        assertThat(cache.has(0, PageFlags.MAPPED_TO_DISK)).isFalse();
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("R8 an all-hole page is zeroed and uptodate with no I/O; a fully mapped page is mapped-to-disk")
    void allHoleAndFullyMapped(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(2L * PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(bpp, 100, bpp);
        PageReader reader = PageReader.readahead(cache, mapper, 0, 2);
        junk(cache, 0);

        List<Bio> bios = drive(reader, mapper);

        assertThat(cache.has(0, PageFlags.UPTODATE)).isTrue();
        assertThat(zeroed(cache, 0, 0, PAGE)).isTrue();
        assertThat(cache.has(0, PageFlags.HAS_BUFFERS)).isFalse();
        assertThat(cache.has(1, PageFlags.MAPPED_TO_DISK)).isTrue();
        assertThat(bios).singleElement().satisfies(bio -> assertThat(pagesOf(bio)).containsExactly(1L));
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("R9 an open bio that does not end just before the page's first block is submitted first")
    void discontiguousPagesSplitBios(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(3L * PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, 2 * bpp).extent(2L * bpp, 500, bpp);

        List<Bio> bios = drive(PageReader.readahead(cache, mapper, 0, 3), mapper);

        assertThat(bios).extracting(ReaderFixture::pagesOf).containsExactly(List.of(0L, 1L), List.of(2L));
        assertThat(bios).extracting(bio -> firstBlock(bio, cache)).containsExactly(100L, 500L);
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 4096})
    @DisplayName("R10 a read bio holds at most 256 pages; a full bio is submitted and a new one opened")
    void fullBioIsSubmitted(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(300L * PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 1000, 300 * bpp);

        List<Bio> bios = drive(PageReader.readahead(cache, mapper, 0, 300), mapper);

        assertThat(bios).extracting(bio -> bio.segments().size()).containsExactly(256, 44);
        assertThat(firstBlock(bios.get(1), cache)).isEqualTo(1000 + 256L * bpp);
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("R11 a page whose last block ends a boundary run submits the bio at once; without boundary handling it stays open")
    void boundaryEndSubmits(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(4L * PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, 2 * bpp, true, false)
                .extent(2L * bpp, 100 + 2L * bpp, 2 * bpp);

        List<Bio> bios = drive(PageReader.readahead(cache, mapper, 0, 4), mapper);
        assertThat(bios).extracting(ReaderFixture::pagesOf).containsExactly(List.of(0L, 1L), List.of(2L, 3L));

        PageCache other = cache(bs);
        other.setSize(4L * PAGE);
        List<Bio> ignoring = drive(PageReader.readahead(other, mapper, 0, 4, false), mapper);
        assertThat(ignoring).extracting(ReaderFixture::pagesOf).containsExactly(List.of(0L, 1L, 2L, 3L));
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("R11 a boundary run ending inside a page keeps the bio open; a page with a hole submits it at once")
    void boundaryInsidePageAndHole(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(3L * PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, bpp / 2, true, false)
                .extent(bpp / 2, 100 + bpp / 2, bpp + bpp / 2)
                .extent(2L * bpp, 100 + 2L * bpp, bpp / 2);

        List<Bio> bios = drive(PageReader.readahead(cache, mapper, 0, 3), mapper);

        assertThat(bios).extracting(ReaderFixture::pagesOf).containsExactly(List.of(0L, 1L, 2L));
        assertThat(bios.get(0).lengthBytes()).isEqualTo(2L * PAGE + PAGE / 2);

        PageCache holes = cache(bs);
        holes.setSize(2L * PAGE);
        ScriptedMapper holeMapper = new ScriptedMapper().extent(0, 100, bpp / 2).extent(bpp, 100 + bpp / 2, bpp);
        List<Bio> split = drive(PageReader.readahead(holes, holeMapper, 0, 2), holeMapper);
        assertThat(split).extracting(ReaderFixture::pagesOf).containsExactly(List.of(0L), List.of(1L));
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("R12 the fallback submits the open bio before its per-block reads")
    void fallbackSubmitsOpenBioFirst(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(3L * PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, bpp + 1).extent(bpp + 1, 400, 2 * bpp - 1);

        List<Bio> bios = drive(PageReader.readahead(cache, mapper, 0, 3), mapper);

        assertThat(pagesOf(bios.get(0))).containsExactly(0L);
        assertThat(bios.subList(1, 1 + bpp)).allSatisfy(bio -> {
            assertThat(pagesOf(bio)).containsExactly(1L);
            assertThat(bio.lengthBytes()).isEqualTo(bs);
            assertThat(bio.flags()).isEmpty();
        });
        assertThat(bios.subList(1, 1 + bpp)).extracting(bio -> firstBlock(bio, cache))
                .startsWith(100L + bpp, 400L);
        assertThat(pagesOf(bios.get(bios.size() - 1))).containsExactly(2L);
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 4096})
    @DisplayName("R12 the fallback reads nothing when a mapper error leaves the page in error")
    void mapperErrorFallsBackAndFails(int bs) {
        PageCache cache = cache(bs);
        cache.setSize(PAGE);
        ScriptedMapper mapper = new ScriptedMapper().fail(0, Errno.EIO);

        List<Bio> bios = drive(PageReader.readPage(cache, mapper, 0), mapper);

        assertThat(bios).isEmpty();
        assertThat(cache.has(0, PageFlags.ERROR)).isTrue();
        assertThat(cache.has(0, PageFlags.UPTODATE)).isFalse();
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("R13 read completion: success makes every page of the bio uptodate, an error puts them in error")
    void completionMarksPages(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(4L * PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, 2 * bpp).extent(2L * bpp, 900, 2 * bpp);

        List<Bio> bios = drive(PageReader.readahead(cache, mapper, 0, 4), mapper);
        assertThat(bios).hasSize(2);

        assertThat(ReadCompletion.complete(cache, bios.get(0), null)).containsExactly(0L, 1L);
        assertThat(ReadCompletion.complete(cache, bios.get(1), Errno.EIO)).containsExactly(2L, 3L);

        assertThat(cache.has(0, PageFlags.UPTODATE) && cache.has(1, PageFlags.UPTODATE)).isTrue();
        assertThat(cache.has(2, PageFlags.UPTODATE) || cache.has(3, PageFlags.UPTODATE)).isFalse();
        assertThat(cache.has(2, PageFlags.ERROR) && cache.has(3, PageFlags.ERROR)).isTrue();
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("R14 a single-page read uses the same worker: one plain bio for the page, submitted when the request ends")
    void singlePageRead(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(8L * PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, 8 * bpp);
        PageReader reader = PageReader.readPage(cache, mapper, 5);

        ReadStep step = reader.step();

        assertThat(step).isInstanceOf(ReadStep.Done.class);
        assertThat(mapper.calls).containsExactly(new long[] {5L * bpp, bpp});
        assertThat(step.bios()).singleElement().satisfies(bio -> {
            assertThat(bio.flags()).isEmpty();
            assertThat(pagesOf(bio)).containsExactly(5L);
            assertThat(bio.lengthBytes()).isEqualTo(PAGE);
            assertThat(firstBlock(bio, cache)).isEqualTo(100 + 5L * bpp);
        });
        completeAll(cache, step.bios());
        assertThat(drive(PageReader.readPage(cache, mapper, 5), mapper)).isEmpty();
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("B6 per-block read: holes zeroed and uptodate, one bio per mapped block, the page uptodate only once every block is")
    void perBlockRead(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(PAGE);
        cache.insert(0);
        cache.createBuffers(0, 0);
        junk(cache, 0);
        ScriptedMapper mapper = bpp == 1 ? new ScriptedMapper().extent(0, 100, 1)
                : new ScriptedMapper().extent(0, 100, 1).extent(2, 300, bpp - 2);

        List<Bio> bios = drive(PageReader.readPage(cache, mapper, 0), mapper);

        assertThat(bios).hasSize(Math.max(1, bpp - 1)).allSatisfy(bio -> assertThat(bio.lengthBytes()).isEqualTo(bs));
        if (bpp > 1) {
            assertThat(zeroed(cache, 0, bs, 2 * bs)).isTrue();
            assertThat(BufferState.has(cache.buffers(0)[1], BufferState.UPTODATE)).isTrue();
        }
        for (int i = 0; i < bios.size() - 1; i++) {
            assertThat(ReadCompletion.complete(cache, bios.get(i), null)).isEmpty();
        }
        assertThat(cache.has(0, PageFlags.UPTODATE)).isFalse();
        assertThat(ReadCompletion.complete(cache, bios.get(bios.size() - 1), null)).containsExactly(0L);
        assertThat(cache.has(0, PageFlags.UPTODATE)).isTrue();
        assertThat(Arrays.stream(cache.buffers(0))).allSatisfy(state -> assertThat(BufferReader.readInFlight(state)).isFalse());
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("B6 one failed block leaves the page in error and not uptodate")
    void perBlockReadFailure(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(PAGE);
        cache.insert(0);
        cache.createBuffers(0, 0);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, bpp);

        List<Bio> bios = drive(PageReader.readPage(cache, mapper, 0), mapper);
        ReadCompletion.complete(cache, bios.get(0), Errno.EIO);
        completeAll(cache, bios.subList(1, bios.size()));

        assertThat(cache.has(0, PageFlags.ERROR)).isTrue();
        assertThat(cache.has(0, PageFlags.UPTODATE)).isFalse();
        assertThat(BufferState.has(cache.buffers(0)[0], BufferState.UPTODATE)).isFalse();
        assertThat(Arrays.stream(cache.buffers(0)).skip(1))
                .allSatisfy(state -> assertThat(BufferState.has(state, BufferState.UPTODATE)).isTrue());
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("B6 a fallback page whose map block is not cached returns the need first and issues its block reads once mapped")
    void perBlockReadResumesAfterMetadata(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(PAGE);
        cache.insert(0);
        cache.createBuffers(0, 0);
        ScriptedMapper mapper = new ScriptedMapper().extent(bpp - 1, 100 + bpp - 1, 1).needs(bpp - 1, 55);
        if (bpp > 1) {
            mapper.extent(0, 100, bpp - 1);
        }
        PageReader reader = PageReader.readPage(cache, mapper, 0);

        ReadStep need = reader.step();
        assertThat(need).isInstanceOf(ReadStep.ReadMetadata.class);
        assertThat(need.bios()).isEmpty();

        mapper.metadataRead(55);
        ReadStep done = reader.step();
        assertThat(done).isInstanceOf(ReadStep.Done.class);
        assertThat(done.bios()).hasSize(bpp);
    }
}
