package dev.writebackd.mpage;

import static dev.writebackd.mpage.ReaderFixture.PAGE;
import static dev.writebackd.mpage.ReaderFixture.cache;
import static dev.writebackd.mpage.ReaderFixture.completeAll;
import static dev.writebackd.mpage.ReaderFixture.drive;
import static dev.writebackd.mpage.ReaderFixture.firstBlock;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.Bio;
import dev.writebackd.error.Errno;
import dev.writebackd.mpage.ReaderFixture.ScriptedMapper;
import dev.writebackd.page.BufferState;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WriteBeginTest {

    private static ByteBuffer bytes(int length, int fill) {
        ByteBuffer b = ByteBuffer.allocate(length);
        for (int i = 0; i < length; i++) {
            b.put(i, (byte) fill);
        }
        return b;
    }

    private static void fill(PageCache cache, long index, int fill) {
        ByteBuffer data = cache.data(index);
        for (int i = 0; i < PAGE; i++) {
            data.put(i, (byte) fill);
        }
    }

    private static boolean all(PageCache cache, long index, int from, int to, int value) {
        ByteBuffer data = cache.data(index);
        for (int i = from; i < to; i++) {
            if (data.get(i) != (byte) value) {
                return false;
            }
        }
        return true;
    }

    private static List<Long> blocks(List<Bio> bios, PageCache cache) {
        return bios.stream().map(bio -> firstBlock(bio, cache)).toList();
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("S6 a page written whole gets no buffers, needs no mapping, and is uptodate and dirty")
    void wholePageWrite(int bs) {
        PageCache cache = cache(bs);
        ScriptedMapper mapper = new ScriptedMapper();

        ReadStep step = new WriteBegin(cache, mapper, 3, 0, PAGE, bytes(PAGE, 7)).step();

        assertThat(step).isEqualTo(new ReadStep.Done(List.of()));
        assertThat(mapper.calls).isEmpty();
        assertThat(cache.buffers(3)).isNull();
        assertThat(cache.has(3, PageFlags.UPTODATE | PageFlags.DIRTY)).isTrue();
        assertThat(all(cache, 3, 0, PAGE, 7)).isTrue();
        assertThat(cache.size()).isEqualTo(4L * PAGE);
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("S6 a page read whole has no buffers, and a partial write over it just copies and dirties the page")
    void partialWriteOverReadPage(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, bpp);
        completeAll(cache, drive(PageReader.readPage(cache, mapper, 0), mapper));
        assertThat(cache.buffers(0)).isNull();
        mapper.calls.clear();

        ReadStep step = new WriteBegin(cache, mapper, 0, 10, 20, bytes(10, 9)).step();

        assertThat(step).isInstanceOf(ReadStep.Done.class);
        assertThat(mapper.calls).isEmpty();
        assertThat(cache.buffers(0)).isNull();
        assertThat(cache.has(0, PageFlags.DIRTY)).isTrue();
        assertThat(all(cache, 0, 10, 20, 9)).isTrue();
        assertThat(cache.size()).isEqualTo(PAGE);
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("S6 a partial write over a page that is not uptodate creates buffers and reads exactly the mapped blocks it does not wholly cover")
    void partialWriteReadsUncoveredBlocks(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, bpp);
        int from = bs / 2;
        int to = bpp == 1 ? PAGE - bs / 4 : PAGE - bs / 2;
        WriteBegin write = new WriteBegin(cache, mapper, 0, from, to, bytes(to - from, 3));

        ReadStep first = write.step();

        assertThat(first).isInstanceOf(ReadStep.AwaitReads.class);
        assertThat(cache.buffers(0)).isNotNull();
        assertThat(blocks(first.bios(), cache)).containsExactlyElementsOf(
                bpp == 1 ? List.of(100L) : List.of(100L, 100L + bpp - 1));
        assertThat(first.bios()).allSatisfy(bio -> assertThat(bio.lengthBytes()).isEqualTo(bs));
        assertThat(write.step()).isEqualTo(new ReadStep.AwaitReads(List.of()));
        assertThat(cache.has(0, PageFlags.DIRTY)).isFalse();

        for (Bio bio : first.bios()) {
            bio.segments().get(0).buffer().put(0, (byte) 1);
            ReadCompletion.complete(cache, bio, null);
        }
        ReadStep done = write.step();

        assertThat(done).isInstanceOf(ReadStep.Done.class);
        assertThat(all(cache, 0, from, to, 3)).isTrue();
        assertThat(cache.data(0).get(0)).isEqualTo((byte) 1);
        assertThat(cache.has(0, PageFlags.DIRTY | PageFlags.UPTODATE)).isTrue();
        assertThat(cache.buffers(0)).as("every block dirty and uptodate: buffers dropped again").isNull();
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("S6 a write of one block keeps buffers: the read blocks are clean and uptodate, the written one dirty")
    void oneBlockWriteKeepsBuffers(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, bpp);
        WriteBegin write = new WriteBegin(cache, mapper, 0, bs, 2 * bs, bytes(bs, 4));

        ReadStep first = write.step();
        assertThat(first.bios()).hasSize(bpp - 1);
        completeAll(cache, first.bios());
        assertThat(write.step()).isInstanceOf(ReadStep.Done.class);

        long[] buffers = cache.buffers(0);
        assertThat(buffers).isNotNull();
        for (int i = 0; i < bpp; i++) {
            assertThat(BufferState.has(buffers[i], BufferState.UPTODATE)).isTrue();
            assertThat(BufferState.has(buffers[i], BufferState.DIRTY)).isEqualTo(i == 1);
        }
        assertThat(cache.has(0, PageFlags.UPTODATE | PageFlags.DIRTY | PageFlags.HAS_BUFFERS)).isTrue();
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("S6 holes and blocks past EOF are zeroed without I/O")
    void holesAndEofZeroed(int bs) {
        int bpp = PAGE / bs;
        PageCache cache = cache(bs);
        cache.setSize(2L * PAGE);
        ScriptedMapper mapper = new ScriptedMapper();
        cache.insert(1);
        fill(cache, 1, 0x77);
        WriteBegin hole = new WriteBegin(cache, mapper, 1, 1, 2, bytes(1, 5));

        assertThat(hole.step()).isEqualTo(new ReadStep.Done(List.of()));
        assertThat(mapper.calls).extracting(call -> call[0]).containsExactly((long) bpp);
        assertThat(cache.data(1).get(1)).isEqualTo((byte) 5);
        assertThat(all(cache, 1, 2, PAGE, 0)).isTrue();
        assertThat(cache.data(1).get(0)).isEqualTo((byte) 0);

        cache.insert(5);
        fill(cache, 5, 0x77);
        mapper.calls.clear();
        assertThat(new WriteBegin(cache, mapper, 5, 100, 200, bytes(100, 6)).step()).isInstanceOf(ReadStep.Done.class);
        assertThat(mapper.calls).isEmpty();
        assertThat(all(cache, 5, 0, 100, 0) && all(cache, 5, 200, PAGE, 0)).isTrue();
        assertThat(cache.size()).isEqualTo(5L * PAGE + 200);
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("S6 a write past a short file's end reads only the block holding EOF and zeroes the rest")
    void readsOnlyInsideEof(int bs) {
        PageCache cache = cache(bs);
        cache.setSize(bs - 10);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, 1);
        WriteBegin write = new WriteBegin(cache, mapper, 0, PAGE - 10, PAGE, bytes(10, 8));

        ReadStep first = write.step();

        assertThat(blocks(first.bios(), cache)).containsExactly(100L);
        completeAll(cache, first.bios());
        assertThat(write.step()).isInstanceOf(ReadStep.Done.class);
        assertThat(cache.size()).isEqualTo(PAGE);
    }

    @Test
    @DisplayName("S6 a map block that is not cached is asked for before the reads, then the write resumes")
    void metadataNeed() {
        PageCache cache = cache(1024);
        cache.setSize(PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, 4).needs(0, 9);
        WriteBegin write = new WriteBegin(cache, mapper, 0, 0, 1024, bytes(1024, 1));

        assertThat(write.step()).isEqualTo(new ReadStep.ReadMetadata(List.of(), 9));
        mapper.metadataRead(9);
        ReadStep reads = write.step();
        assertThat(blocks(reads.bios(), cache)).containsExactly(101L, 102L, 103L);
        completeAll(cache, reads.bios());
        assertThat(write.step()).isInstanceOf(ReadStep.Done.class);
    }

    @Test
    @DisplayName("S6 a failed block read fails the write and leaves the page clean")
    void readFailureFailsWrite() {
        PageCache cache = cache(1024);
        cache.setSize(PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, 4);
        WriteBegin write = new WriteBegin(cache, mapper, 0, 0, 1024, bytes(1024, 1));

        ReadStep reads = write.step();
        ReadCompletion.complete(cache, reads.bios().get(0), Errno.EIO);
        completeAll(cache, reads.bios().subList(1, reads.bios().size()));

        assertThat(write.step()).isEqualTo(new ReadStep.Failed(Errno.EIO));
        assertThat(cache.has(0, PageFlags.DIRTY)).isFalse();
        assertThat(cache.size()).isEqualTo(PAGE);
    }

    @Test
    @DisplayName("S6 a mapper error fails the write with its errno")
    void mapperErrorFailsWrite() {
        PageCache cache = cache(1024);
        cache.setSize(PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, 1).fail(1, Errno.ENOSPC);
        WriteBegin write = new WriteBegin(cache, mapper, 0, 0, 1024, bytes(1024, 1));

        assertThat(write.step()).isEqualTo(new ReadStep.Failed(Errno.ENOSPC));
        assertThat(write.step()).isEqualTo(new ReadStep.Failed(Errno.ENOSPC));
        assertThat(cache.has(0, PageFlags.DIRTY)).isFalse();
    }

    @Test
    @DisplayName("S6 with S5 a partial write over a page under writeback reads into and writes the copy, never the bytes in flight")
    void partialWriteUnderWriteback() {
        PageCache cache = cache(1024);
        cache.setSize(PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, 4);
        cache.insert(0);
        cache.createBuffers(0, 0);
        long[] buffers = cache.buffers(0);
        buffers[0] = BufferState.withBlock(BufferState.MAPPED | BufferState.UPTODATE | BufferState.DIRTY, 100);
        fill(cache, 0, 2);
        cache.markDirty(0);
        cache.clearDirtyForIo(0);
        int inFlight = cache.startWriteback(0);

        WriteBegin write = new WriteBegin(cache, mapper, 0, 2048, 2100, bytes(52, 9));
        ReadStep reads = write.step();

        assertThat(cache.slot(0)).isNotEqualTo(inFlight);
        assertThat(reads.bios()).allSatisfy(bio -> assertThat(bio.segments().get(0).slot()).isEqualTo(cache.slot(0)));
        assertThat(blocks(reads.bios(), cache)).containsExactly(101L, 102L, 103L);
        completeAll(cache, reads.bios());
        assertThat(write.step()).isInstanceOf(ReadStep.Done.class);
        ByteBuffer old = cache.pool().buffer(inFlight);
        assertThat(old.get(2050)).isEqualTo((byte) 2);
        assertThat(cache.data(0).get(2050)).isEqualTo((byte) 9);
    }
}
