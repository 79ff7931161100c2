package dev.writebackd.mpage;

import static dev.writebackd.mpage.ReaderFixture.PAGE;
import static dev.writebackd.mpage.ReaderFixture.cache;
import static dev.writebackd.mpage.ReaderFixture.pattern;
import static dev.writebackd.mpage.ReaderFixture.plant;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.error.Errno;
import dev.writebackd.mpage.ReaderFixture.ScriptedMapper;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The readahead glue: which pages a read asks for, on a recording device (queue depth 1). */
class FileReadsTest {
    private static final long DATA = 1000;
    private static final int FILE_PAGES = 100;

    private MemoryDevice device;
    private PageCache cache;
    private ScriptedMapper mapper;
    private FileReads reads;

    @BeforeEach
    void defaultBlockSize() {
        setUp(1024);
    }

    /** A file of {@value #FILE_PAGES} pages in one run at block {@value #DATA}, blocks of {@code bs}. */
    private void setUp(int bs) {
        int bpp = PAGE / bs;
        device = new MemoryDevice(bs, 8L << 20);
        plant(device, DATA, DATA + (long) FILE_PAGES * bpp);
        cache = cache(bs);
        cache.setSize((long) FILE_PAGES * PAGE);
        mapper = new ScriptedMapper().extent(0, DATA, FILE_PAGES * bpp);
        reads = new FileReads(cache, mapper);
    }

    /** Steps a read to its end, performing each step's bios at once and in order. */
    private ReadStep run(FileReads.Read read) {
        for (int guard = 0; guard < 1000; guard++) {
            ReadStep step = read.step();
            for (Bio bio : step.bios()) {
                reads.complete(bio, device.submit(bio));
            }
            if (step instanceof ReadStep.ReadMetadata need) {
                mapper.metadataRead(need.block());
            } else if (!(step instanceof ReadStep.AwaitReads)) {
                return step;
            }
        }
        throw new AssertionError("read did not finish");
    }

    /** Kibibytes of each data read the device saw, in order. */
    private List<Long> readKib() {
        return device.requests().stream().filter(r -> r.op() == BioOp.READ).map(r -> r.sectorCount() / 2).toList();
    }

    private void assertBytes(ByteBuffer got, long offset) {
        int bs = cache.blockSize();
        for (int i = 0; i < got.limit(); i++) {
            long block = (offset + i) / bs;
            assertThat(got.get(i)).as("byte %d", offset + i).isEqualTo(pattern(DATA + block));
        }
    }

    @Test
    @DisplayName("A1 a random read with no history reads only what was asked, with no marker")
    void randomReadReadsOnlyTheRequest() {
        FileReads.Read read = reads.read(new ReadaheadWindow(), 50L * PAGE + 10, 100);

        assertThat(run(read)).isInstanceOf(ReadStep.Done.class);

        assertThat(readKib()).containsExactly(4L);
        assertThat(cache.contains(51)).isFalse();
        ByteBuffer got = ByteBuffer.allocate(100);
        assertThat(read.copyTo(got)).isEqualTo(100);
        assertBytes(got.flip(), 50L * PAGE + 10);
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("A2 a read at index 0 opens the first window (one page → 4 pages) with the marker asyncSize pages before its end")
    void firstWindow(int bs) {
        setUp(bs);
        FileReads.Read read = reads.read(new ReadaheadWindow(), 0, 100);

        ReadStep step = read.step();

        assertThat(step).isInstanceOf(ReadStep.AwaitReads.class);
        assertThat(step.bios()).singleElement().satisfies(bio -> {
            assertThat(bio.flags()).containsExactly(BioFlag.RAHEAD);
            assertThat(ReaderFixture.pagesOf(bio)).containsExactly(0L, 1L, 2L, 3L);
        });
        assertThat(reads.marked(1)).isTrue();
        assertThat(reads.beingRead(0)).isTrue();
        assertThat(read.step()).isEqualTo(new ReadStep.AwaitReads(List.of()));

        reads.complete(step.bios().get(0), device.submit(step.bios().get(0)));

        assertThat(reads.beingRead(0)).isFalse();
        assertThat(read.step()).isEqualTo(new ReadStep.Done(List.of()));
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("A3 reading the marked page reads the next window; a cold sequential scan issues 16, 32, 64, 128, 128 KiB reads")
    void sequentialScanRampsUp(int bs) {
        setUp(bs);
        ReadaheadWindow window = new ReadaheadWindow();
        ByteBuffer got = ByteBuffer.allocate(PAGE);

        for (long page = 0; page < 60; page++) {
            FileReads.Read read = reads.read(window, page * PAGE, PAGE);
            assertThat(run(read)).isInstanceOf(ReadStep.Done.class);
            got.clear();
            read.copyTo(got);
            assertBytes(got.flip(), page * PAGE);
        }

        assertThat(readKib()).containsExactly(16L, 32L, 64L, 128L, 128L);
        assertThat(reads.marked(60)).isTrue();
    }

    @Test
    @DisplayName("A3 a read spanning the marker starts the next window ahead of itself")
    void largeReadCrossesMarker() {
        ReadaheadWindow window = new ReadaheadWindow();

        FileReads.Read read = reads.read(window, 0, 8 * PAGE);
        assertThat(run(read)).isInstanceOf(ReadStep.Done.class);

        // 8 pages round to 8 (≤ max/4): a 16-page window marked at page 8, which this read does
        // not reach; the next read does and pushes a 32-page window.
        assertThat(readKib()).containsExactly(64L);
        assertThat(run(reads.read(window, 8L * PAGE, 8 * PAGE))).isInstanceOf(ReadStep.Done.class);
        assertThat(readKib()).containsExactly(64L, 128L);
    }

    @Test
    @DisplayName("A1 cached uptodate pages are served from memory without I/O")
    void cachedPagesAreServed() {
        ReadaheadWindow window = new ReadaheadWindow();
        run(reads.read(window, 0, PAGE));
        device.clearRequests();

        FileReads.Read again = reads.read(new ReadaheadWindow(), 2L * PAGE, 2 * PAGE);

        assertThat(again.step()).isEqualTo(new ReadStep.Done(List.of()));
        assertThat(device.requests()).isEmpty();
        ByteBuffer got = ByteBuffer.allocate(2 * PAGE);
        again.copyTo(got);
        assertBytes(got.flip(), 2L * PAGE);
    }

    @Test
    @DisplayName("R1 a read retries a failed readahead page on its own and succeeds; the failure is reported to no one")
    void readRetriesFailedReadahead() {
        device.failNext(BioOp.READ, Errno.EIO, 1);

        FileReads.Read read = reads.read(new ReadaheadWindow(), 0, PAGE);

        assertThat(run(read)).isInstanceOf(ReadStep.Done.class);
        assertThat(device.requests()).extracting(r -> r.flags().contains(BioFlag.RAHEAD)).containsExactly(true, false);
        assertThat(cache.has(0, PageFlags.UPTODATE)).isTrue();
        assertThat(cache.has(1, PageFlags.ERROR)).as("readahead page nobody asked for").isTrue();
    }

    @Test
    @DisplayName("R13 a page whose real read fails too fails the read with EIO")
    void secondFailureFailsRead() {
        device.failWhen(bio -> bio.op() == BioOp.READ, Errno.EIO);

        FileReads.Read read = reads.read(new ReadaheadWindow(), 0, PAGE);

        assertThat(run(read)).isEqualTo(new ReadStep.Failed(Errno.EIO));
        assertThat(device.requests()).hasSize(2);
        assertThat(read.step()).isEqualTo(new ReadStep.Failed(Errno.EIO));
    }

    @Test
    @DisplayName("R14 a page being read by another request is waited for, not read twice")
    void pageInFlightIsAwaited() {
        FileReads.Read first = reads.read(new ReadaheadWindow(), 0, PAGE);
        ReadStep issued = first.step();
        FileReads.Read second = reads.read(new ReadaheadWindow(), 2L * PAGE, PAGE);

        assertThat(second.step()).isEqualTo(new ReadStep.AwaitReads(List.of()));

        for (Bio bio : issued.bios()) {
            reads.complete(bio, device.submit(bio));
        }
        assertThat(second.step()).isEqualTo(new ReadStep.Done(List.of()));
        assertThat(first.step()).isEqualTo(new ReadStep.Done(List.of()));
        assertThat(device.requests()).hasSize(1);
    }

    @Test
    @DisplayName("R4 a map block the readahead needs is asked for through the read")
    void metadataNeedPassesThrough() {
        mapper.needs(0, 5);

        FileReads.Read read = reads.read(new ReadaheadWindow(), 0, PAGE);

        assertThat(read.step()).isEqualTo(new ReadStep.ReadMetadata(List.of(), 5));
        mapper.metadataRead(5);
        assertThat(run(read)).isInstanceOf(ReadStep.Done.class);
    }

    @Test
    @DisplayName("A2 reads are cut at EOF: the window never reads past it and a read at EOF returns nothing")
    void eofCutsReads() {
        cache.setSize(2L * PAGE + 100);

        FileReads.Read read = reads.read(new ReadaheadWindow(), 0, 10 * PAGE);

        assertThat(read.length()).isEqualTo(2 * PAGE + 100);
        assertThat(run(read)).isInstanceOf(ReadStep.Done.class);
        assertThat(cache.contains(3)).isFalse();
        FileReads.Read atEof = reads.read(new ReadaheadWindow(), 2L * PAGE + 100, PAGE);
        assertThat(atEof.length()).isZero();
        assertThat(atEof.step()).isEqualTo(new ReadStep.Done(List.of()));
    }
}
