package dev.writebackd.mpage;

import static dev.writebackd.mpage.Harness.PAGE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.page.BufferState;
import dev.writebackd.page.PageFlags;
import java.nio.ByteBuffer;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TruncationTest {

    /** A file of {@code pages} full pages filled with 0x11, written back and clean. */
    private static Harness cleanFile(int blockSize, int pages) {
        Harness h = new Harness(blockSize);
        h.write(0, pages - 1, 0x11);
        h.pass(Harness.all());
        h.completeAll();
        h.submitted.clear();
        return h;
    }

    private static Optional<WriteNeed> truncate(Harness h, long size) {
        return new Truncation(h.cache, h.mapper, size).step();
    }

    private static void assertBytes(ByteBuffer page, int from, int to, int value) {
        for (int i = from; i < to; i++) {
            assertThat(page.get(i)).as("byte %d", i).isEqualTo((byte) value);
        }
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("U1 shrinking inside a block zeroes the page from the new size and dirties it; the block's tail is zeroed on the device")
    void shrinkZeroesAndDirtiesThePartialPage(int blockSize) {
        Harness h = cleanFile(blockSize, 3);
        long size = PAGE + 1500;

        assertThat(truncate(h, size)).isEmpty();

        assertBytes(h.cache.data(1), 0, 1500, 0x11);
        assertBytes(h.cache.data(1), 1500, PAGE, 0);
        assertThat(h.cache.has(1, PageFlags.DIRTY)).isTrue();
        h.pass(Harness.all());
        h.completeAll();
        int lastBlock = 1500 / blockSize;
        byte[] cut = h.disk(h.mapper.physical(h.blocksPerPage + lastBlock));
        for (int i = 0; i < blockSize; i++) {
            int pos = lastBlock * blockSize + i;
            assertThat(cut[i]).as("byte %d on the device", pos).isEqualTo((byte) (pos < 1500 ? 0x11 : 0));
        }
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024})
    @DisplayName("U1 shrinking to a block boundary inside a page zeroes the page but has no block tail to rewrite")
    void shrinkToBlockBoundary(int blockSize) {
        Harness h = cleanFile(blockSize, 2);

        truncate(h, 2048);

        assertBytes(h.cache.data(0), 2048, PAGE, 0);
        assertThat(h.cache.has(0, PageFlags.DIRTY)).isFalse();
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("U1 U4 a shrink leaves the blocks past the cut of a page without buffers clean: growing again before writeback allocates nothing past it")
    void shrinkThenGrowAllocatesNothingPastTheCut(int blockSize) {
        Harness h = cleanFile(blockSize, 3);
        long size = PAGE + 1500;

        truncate(h, size);
        truncate(h, 3L * PAGE);
        h.mapper.calls.clear();
        h.pass(Harness.all());
        h.completeAll();

        long keep = (size + blockSize - 1) / blockSize;
        assertThat(h.mapper.createdBlocks()).as("blocks mapped for writing").allSatisfy(b -> assertThat(b).isLessThan(keep));
        assertThat(h.mapper.map(Harness.INODE, keep, 1, false)).isInstanceOf(dev.writebackd.layout.MapResult.Hole.class);
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("U1 a second shrink into an earlier block of the same page zeroes that block's tail on the device too")
    void secondShrinkIntoTheSamePage(int blockSize) {
        Harness h = cleanFile(blockSize, 3);

        truncate(h, PAGE + blockSize + 100);
        truncate(h, PAGE + 100);
        truncate(h, 3L * PAGE);
        h.pass(Harness.all());
        h.completeAll();

        byte[] cut = h.disk(h.mapper.physical(h.blocksPerPage));
        for (int i = 0; i < blockSize; i++) {
            assertThat(cut[i]).as("byte %d of the cut block on the device", i).isEqualTo((byte) (i < 100 ? 0x11 : 0));
        }
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024})
    @DisplayName("U1 U4 a dirty page without buffers shrunk to a block boundary keeps only the blocks before it dirty")
    void dirtyPageShrunkToBlockBoundary(int blockSize) {
        Harness h = cleanFile(blockSize, 2);
        h.write(0, 0x22);

        truncate(h, 2048);
        truncate(h, 2L * PAGE);
        h.mapper.calls.clear();
        h.pass(Harness.all());
        h.completeAll();

        int kept = 2048 / blockSize;
        assertThat(h.mapper.createdBlocks()).allSatisfy(b -> assertThat(b).isLessThan(kept));
        for (int j = 0; j < kept; j++) {
            assertThat(h.disk(h.mapper.physical(j))[0]).as("block %d", j).isEqualTo((byte) 0x22);
        }
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048})
    @DisplayName("U1 with buffers: the cut block is dirtied, the buffers past the new size forget their blocks")
    void shrinkWithBuffers(int blockSize) {
        Harness h = cleanFile(blockSize, 1);
        int bpp = h.blocksPerPage;
        long[] states = new long[bpp];
        for (int j = 0; j < bpp; j++) {
            states[j] = BufferState.withBlock(BufferState.MAPPED | BufferState.UPTODATE, h.mapper.physical(j));
        }
        long[] buffers = h.buffers(0, states);
        long size = blockSize + 100;

        assertThat(truncate(h, size)).isEmpty();

        assertThat(buffers[1] & (BufferState.MAPPED | BufferState.DIRTY)).isEqualTo(BufferState.MAPPED | BufferState.DIRTY);
        assertThat(BufferState.has(buffers[0], BufferState.DIRTY)).isFalse();
        for (int j = 2; j < bpp; j++) {
            assertThat(buffers[j] & (BufferState.MAPPED | BufferState.DIRTY)).as("buffer %d", j).isZero();
            assertThat(BufferState.block(buffers[j])).isZero();
        }
        h.pass(Harness.all());
        assertThat(h.shapes()).containsExactly(h.blockBio(0, 1, Harness.SYNC));
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("U1 a partial page that is not cached is read first; one under writeback is waited for")
    void partialPageReadOrWaitedFor(int blockSize) {
        Harness h = cleanFile(blockSize, 3);
        h.cache.remove(1); // evicted
        Truncation truncation = new Truncation(h.cache, h.mapper, PAGE + 1500);

        assertThat(truncation.step()).contains(new WriteNeed.ReadPage(1));
        assertThat(h.cache.size()).as("nothing changed yet").isEqualTo(3L * PAGE);
        h.cache.insert(1).put(0, (byte) 0x11).put(3000, (byte) 0x11); // the read
        h.cache.setFlag(1, PageFlags.UPTODATE, true);
        assertThat(truncation.step()).isEmpty();
        assertThat(h.cache.data(1).get(3000)).isZero();
        assertThat(h.cache.has(1, PageFlags.DIRTY)).isTrue();

        Harness busy = cleanFile(blockSize, 3);
        busy.write(1, 0x22);
        busy.pass(Harness.all());
        Truncation waiting = new Truncation(busy.cache, busy.mapper, PAGE + 1500);
        assertThat(waiting.step()).contains(new WriteNeed.WaitForWriteback(1));
        busy.completeAll();
        assertThat(waiting.step()).isEmpty();
        assertBytes(busy.cache.data(1), 1500, PAGE, 0);
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("U2 pages wholly past the new size leave the cache, their dirty data discarded; one under writeback is waited for")
    void pagesPastTheNewSizeLeave(int blockSize) {
        Harness h = cleanFile(blockSize, 2);
        h.write(2, 5, 0x33);
        h.pass(Harness.range(true, 1, 4, 4)); // page 4 in flight
        h.write(4, 0x44);
        Truncation truncation = new Truncation(h.cache, h.mapper, 2L * PAGE);

        assertThat(truncation.step()).contains(new WriteNeed.WaitForWriteback(4));
        assertThat(h.cache.contains(2)).isFalse();
        assertThat(h.cache.contains(4)).isTrue();
        assertThat(h.mapper.truncations).as("U3 waits for the pages").isEmpty();
        h.completeAll();
        assertThat(truncation.step()).isEmpty();

        assertThat(h.cache.cachedPages()).isEqualTo(2);
        assertThat(h.ledger.dirtyPages()).isZero();
        assertThat(h.cache.size()).isEqualTo(2L * PAGE);
        assertThat(h.pass(Harness.all()).pagesWritten()).as("discarded, never written").isZero();
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("U3 blocks wholly past the new size are freed once the pages are gone")
    void blocksPastTheNewSizeFreed(int blockSize) {
        Harness h = cleanFile(blockSize, 3);

        truncate(h, PAGE + 1500);

        long keep = (PAGE + 1500 + blockSize - 1) / blockSize;
        assertThat(h.mapper.truncations).containsExactly(keep);
        assertThat(h.mapper.isAllocated(keep - 1)).isTrue();
        assertThat(h.mapper.isAllocated(keep)).isFalse();
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("U4 growing creates a hole: nothing allocated, no pages, the old last page reads zeros past the old end and is dirtied so the device's block tail is zeroed too")
    void growCreatesAHole(int blockSize) {
        Harness h = cleanFile(blockSize, 2);
        truncate(h, PAGE + 1500);
        h.pass(Harness.all());
        h.completeAll();
        h.scribble(1, 1500, 0x66); // a store past EOF through a mapping
        h.mapper.calls.clear();

        assertThat(truncate(h, 5L * PAGE)).isEmpty();

        assertThat(h.cache.size()).isEqualTo(5L * PAGE);
        assertThat(h.mapper.calls).isEmpty();
        assertThat(h.mapper.reservations).hasSize(2);
        assertThat(h.cache.next(2, Long.MAX_VALUE, 0)).isEqualTo(-1);
        assertBytes(h.cache.data(1), 0, 1500, 0x11);
        assertBytes(h.cache.data(1), 1500, PAGE, 0);
        assertThat(h.cache.has(1, PageFlags.DIRTY)).isTrue(); // 1500 cuts a block of every size
        long firstNew = (PAGE + 1500 + blockSize - 1) / blockSize;
        assertThat(h.mapper.map(Harness.INODE, firstNew, 1, false)).isInstanceOf(dev.writebackd.layout.MapResult.Hole.class);
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("U4 growing past an old end that cuts a block of an uncached page reads that page first: the device may hold bytes past the old end")
    void growReadsTheUncachedOldLastPage(int blockSize) {
        Harness h = cleanFile(blockSize, 2);
        truncate(h, PAGE + 1500);
        h.pass(Harness.all());
        h.completeAll();
        h.cache.remove(1);

        Truncation grow = new Truncation(h.cache, h.mapper, 5L * PAGE);

        assertThat(grow.step()).contains(new WriteNeed.ReadPage(1));
        assertThat(h.cache.size()).isEqualTo(PAGE + 1500); // nothing changed until the page is read
    }

    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("U4 growing waits for a write of the old last page in flight before zeroing its tail")
    void growWaitsForTheOldLastPage(int blockSize) {
        Harness h = cleanFile(blockSize, 2);
        h.cache.setSize(PAGE + 1500);
        h.write(1, 0x22);
        h.cache.setSize(PAGE + 1500);
        h.pass(Harness.all()); // page 1 in flight, zeroed past 1500 (W4)
        h.scribble(1, 1500, 0x66); // never done to a page in flight; shows the wait happens first
        Truncation grow = new Truncation(h.cache, h.mapper, 4L * PAGE);

        assertThat(grow.step()).contains(new WriteNeed.WaitForWriteback(1));
        assertThat(h.cache.size()).isEqualTo(PAGE + 1500);
        h.completeAll();
        assertThat(grow.step()).isEmpty();
        assertBytes(h.cache.data(1), 1500, PAGE, 0);
        assertThat(h.cache.size()).isEqualTo(4L * PAGE);
    }

    @Test
    @DisplayName("U4 growing to the same size or shrinking to a page boundary leaves no page to zero")
    void noPartialPage() {
        Harness h = cleanFile(4096, 3);

        assertThat(truncate(h, 3L * PAGE)).isEmpty();
        assertThat(truncate(h, 2L * PAGE)).isEmpty();

        assertThat(h.cache.cachedPages()).isEqualTo(2);
        assertThat(h.cache.dirtyPages()).isZero();
        assertThat(h.mapper.truncations).containsExactly(2L);
    }
}
