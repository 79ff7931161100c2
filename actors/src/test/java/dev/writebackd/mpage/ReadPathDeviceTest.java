package dev.writebackd.mpage;

import static dev.writebackd.mpage.ReaderFixture.PAGE;
import static dev.writebackd.mpage.ReaderFixture.cache;
import static dev.writebackd.mpage.ReaderFixture.driveOn;
import static dev.writebackd.mpage.ReaderFixture.execute;
import static dev.writebackd.mpage.ReaderFixture.pattern;
import static dev.writebackd.mpage.ReaderFixture.plant;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.error.Errno;
import dev.writebackd.mpage.ReaderFixture.ScriptedMapper;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The read path against a recording memory device: the bytes that land in the cache. */
class ReadPathDeviceTest {

    /** Asserts that block {@code i} of page {@code index} holds {@code expected} throughout. */
    private static void assertBlock(PageCache cache, long index, int i, byte expected) {
        ByteBuffer data = cache.data(index);
        int bs = cache.blockSize();
        for (int off = i * bs; off < (i + 1) * bs; off++) {
            assertThat(data.get(off)).as("page %d block %d byte %d", index, i, off).isEqualTo(expected);
        }
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("R8 B6 a readahead brings in the device's bytes for mapped blocks and zeros for holes and past EOF")
    void readaheadFillsPagesFromDevice(int bs) {
        int bpp = PAGE / bs;
        MemoryDevice device = new MemoryDevice(bs, 4L << 20);
        plant(device, 0, (4L << 20) / bs);
        PageCache cache = cache(bs);
        cache.setSize(4L * PAGE + bs / 2);
        // page 0 contiguous; page 1 split in two runs; page 2 a hole then data; page 3 a hole;
        // page 4 one block straddling EOF.
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 100, bpp);
        long[] expected = new long[5 * bpp];
        Arrays.fill(expected, -1);
        for (int i = 0; i < bpp; i++) {
            expected[i] = 100 + i;
        }
        int half = Math.max(1, bpp / 2);
        mapper.extent(bpp, 300, half);
        for (int i = 0; i < half; i++) {
            expected[bpp + i] = 300 + i;
        }
        if (bpp > 1) {
            mapper.extent(bpp + half, 500, bpp - half);
            for (int i = half; i < bpp; i++) {
                expected[bpp + i] = 500 + i - half;
            }
            mapper.extent(2L * bpp + half, 700, bpp - half);
            for (int i = half; i < bpp; i++) {
                expected[2 * bpp + i] = 700 + i - half;
            }
        }
        mapper.extent(4L * bpp, 900, 1);
        expected[4 * bpp] = 900;

        driveOn(device, cache, PageReader.readahead(cache, mapper, 0, 5), mapper);

        for (long p = 0; p < 5; p++) {
            assertThat(cache.has(p, PageFlags.UPTODATE)).as("page %d uptodate", p).isTrue();
            for (int i = 0; i < bpp; i++) {
                long phys = expected[(int) p * bpp + i];
                assertBlock(cache, p, i, phys < 0 ? 0 : pattern(phys));
            }
        }
        assertThat(device.requests()).allSatisfy(r -> assertThat(r.op()).isEqualTo(BioOp.READ));
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("R1 R13 a readahead the device fails is reported to no one; a later real read of the page retries and succeeds")
    void failedReadaheadThenRealRead(int bs) {
        int bpp = PAGE / bs;
        MemoryDevice device = new MemoryDevice(bs, 1L << 20);
        plant(device, 0, 200);
        PageCache cache = cache(bs);
        cache.setSize(2L * PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 50, 2 * bpp);
        device.failNext(BioOp.READ, Errno.EIO, 1);

        driveOn(device, cache, PageReader.readahead(cache, mapper, 0, 2), mapper);

        assertThat(cache.has(1, PageFlags.ERROR)).isTrue();
        assertThat(cache.has(1, PageFlags.UPTODATE)).isFalse();

        driveOn(device, cache, PageReader.readPage(cache, mapper, 1), mapper);

        assertThat(cache.has(1, PageFlags.UPTODATE)).isTrue();
        assertThat(cache.has(1, PageFlags.ERROR)).isFalse();
        assertBlock(cache, 1, bpp - 1, pattern(50 + 2L * bpp - 1));
        assertThat(device.requests()).hasSize(2);
        assertThat(device.requests().get(1).sectorCount()).isEqualTo(PAGE / 512);
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("S6 a partial write over a cold page reads the uncovered blocks from the device and keeps the written bytes")
    void partialWriteOverDevice(int bs) {
        int bpp = PAGE / bs;
        MemoryDevice device = new MemoryDevice(bs, 1L << 20);
        plant(device, 0, 200);
        PageCache cache = cache(bs);
        cache.setSize(PAGE);
        ScriptedMapper mapper = new ScriptedMapper().extent(0, 10, bpp);
        ByteBuffer src = ByteBuffer.allocate(100);
        WriteBegin write = new WriteBegin(cache, mapper, 0, 1000, 1100, src);

        ReadStep reads = write.step();
        execute(device, cache, reads.bios());
        assertThat(write.step()).isInstanceOf(ReadStep.Done.class);

        ByteBuffer data = cache.data(0);
        for (int off = 0; off < PAGE; off++) {
            byte want = off >= 1000 && off < 1100 ? 0 : pattern(10 + off / bs);
            assertThat(data.get(off)).as("byte %d", off).isEqualTo(want);
        }
        assertThat(device.requests()).as("100 bytes never cover a whole block: every block is read").hasSize(bpp);
    }
}
