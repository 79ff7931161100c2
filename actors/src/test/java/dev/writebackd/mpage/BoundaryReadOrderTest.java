package dev.writebackd.mpage;

import static dev.writebackd.mpage.ReaderFixture.PAGE;
import static dev.writebackd.mpage.ReaderFixture.cache;
import static dev.writebackd.mpage.ReaderFixture.execute;
import static dev.writebackd.mpage.ReaderFixture.pattern;
import static dev.writebackd.mpage.ReaderFixture.plant;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.layout.BlockAllocator;
import dev.writebackd.layout.Ext2Mapper;
import dev.writebackd.layout.MapResult;
import dev.writebackd.layout.MetadataCache;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * X4: the order in which the device sees the reads of an ext2 file's first 16 blocks when its map
 * block is not cached — recorded by a memory device, bios performed one at a time in the order
 * the reader's steps return them, the map block read when the reader asks for it.
 */
class BoundaryReadOrderTest {
    private static final long INODE = ReaderFixture.INODE;
    private static final long DEVICE_BLOCKS = 4096;
    private static final int FILE_BLOCKS = 16;

    private MemoryDevice device;
    private MetadataCache metadata;
    private Ext2Mapper ext2;
    private PageCache cache;
    private long firstBlock;

    /** Writes a 16-block ext2 file (X3 places its map block after data block 11), then empties the metadata cache. */
    private void setUp(int bs) {
        device = new MemoryDevice(bs, DEVICE_BLOCKS * bs);
        metadata = new MetadataCache(bs);
        ext2 = new Ext2Mapper(new BlockAllocator(DEVICE_BLOCKS), bs, metadata);
        for (long b = 0; b < FILE_BLOCKS; ) {
            MapResult.Mapped run = (MapResult.Mapped) ext2.map(INODE, b, (int) (FILE_BLOCKS - b), true);
            plant(device, run.physicalBlock(), run.physicalBlock() + run.count());
            b += run.count();
        }
        for (long block : metadata.dirtyBlocks()) {
            Bio write = metadata.writeIfDirty(block);
            metadata.writeCompleted(block, device.submit(write) == null);
        }
        assertThat(metadata.evictClean()).as("cold metadata cache").isEqualTo(1);
        device.clearRequests();
        firstBlock = ext2.inodePointers(INODE).direct().get(0);
        cache = cache(bs);
        cache.setSize((long) FILE_BLOCKS * bs);
    }

    /** Reads the whole file at queue depth 1 and returns each request's blocks, relative to the file's first. */
    private List<List<Long>> readAll(boolean boundaryHandling) {
        PageReader reader = PageReader.readahead(cache, ext2, 0, FILE_BLOCKS * cache.blockSize() / PAGE, boundaryHandling);
        while (true) {
            ReadStep step = reader.step();
            execute(device, cache, step.bios());
            if (!(step instanceof ReadStep.ReadMetadata need)) {
                break;
            }
            Bio read = metadata.readBio(need.block());
            assertThat(read.flags()).contains(BioFlag.META);
            metadata.readCompleted(need.block(), device.submit(read) == null);
        }
        List<List<Long>> requests = new ArrayList<>();
        int sectorsPerBlock = cache.blockSize() / 512;
        for (MemoryDevice.Request r : device.requests()) {
            long start = r.startSector() / sectorsPerBlock - firstBlock;
            requests.add(LongStream.range(start, start + r.sectorCount() / sectorsPerBlock).boxed().toList());
        }
        return requests;
    }

    private static List<Long> range(long from, long toInclusive) {
        return LongStream.rangeClosed(from, toInclusive).boxed().toList();
    }

    private void assertFileRead() {
        int bs = cache.blockSize();
        for (long page = 0; page < (long) FILE_BLOCKS * bs / PAGE; page++) {
            assertThat(cache.has(page, PageFlags.UPTODATE)).as("page %d uptodate", page).isTrue();
            ByteBuffer data = cache.data(page);
            for (int i = 0; i < PAGE; i += bs) {
                long fileBlock = (page * PAGE + i) / bs;
                long physical = firstBlock + fileBlock + (fileBlock >= 12 ? 1 : 0);
                assertThat(data.get(i)).as("file block %d", fileBlock).isEqualTo(pattern(physical));
            }
        }
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {1024, 2048, 4096})
    @DisplayName("X4 with boundary handling the device sees data blocks 0–11, then the map block 12, then 13, 14, …")
    void boundaryPutsMapBlockAfterItsData(int bs) {
        setUp(bs);

        List<List<Long>> requests = readAll(true);

        assertThat(requests).containsExactly(range(0, 11), List.of(12L), range(13, 16));
        assertFileRead();
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {1024, 2048, 4096})
    @DisplayName("X4 without boundary handling the map block 12 goes first, then 0–11, then 13, 14, …")
    void withoutBoundaryMapBlockGoesFirst(int bs) {
        setUp(bs);

        List<List<Long>> requests = readAll(false);

        assertThat(requests).containsExactly(List.of(12L), range(0, 11), range(13, 16));
        assertFileRead();
    }

    @ParameterizedTest(name = "boundary handling {0}")
    @ValueSource(booleans = {true, false})
    @DisplayName("X4 R7 at 512-byte blocks the page of file blocks 8–15 straddles the map block and is read block by block")
    void straddlingPageFallsBack(boolean boundaryHandling) {
        setUp(512);

        List<List<Long>> requests = readAll(boundaryHandling);

        assertThat(requests).containsExactly(List.of(12L), range(0, 7), List.of(8L), List.of(9L), List.of(10L),
                List.of(11L), List.of(13L), List.of(14L), List.of(15L), List.of(16L));
        assertThat(cache.has(0, PageFlags.HAS_BUFFERS)).isFalse();
        assertThat(cache.has(1, PageFlags.HAS_BUFFERS)).as("fallback page").isTrue();
        assertFileRead();
    }
}
