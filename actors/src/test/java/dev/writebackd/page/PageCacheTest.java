package dev.writebackd.page;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PageCacheTest {
    private final PagePool pool = new PagePool(4096, 1 << 20, 1 << 16);
    private final DirtyLedger ledger = new DirtyLedger();
    private final PageCache cache = new PageCache(7, pool, ledger, 1024);

    private void dirtyPage(long index, byte fill) {
        if (!cache.contains(index)) {
            cache.insert(index);
        }
        ByteBuffer b = cache.prepareWrite(index);
        for (int i = 0; i < b.limit(); i++) {
            b.put(i, fill);
        }
        cache.setFlag(index, PageFlags.UPTODATE, true);
        cache.markDirty(index);
    }

    @Test
    @DisplayName("S1 clearing dirty for I/O takes the page out of the dirty count but keeps the DIRTY tag")
    void clearDirtyForIoKeepsTag() {
        dirtyPage(3, (byte) 1);
        assertThat(ledger.dirtyPages()).isEqualTo(1);

        assertThat(cache.clearDirtyForIo(3)).isTrue();

        assertThat(ledger.dirtyPages()).isZero();
        assertThat(cache.has(3, PageFlags.DIRTY)).isFalse();
        assertThat(cache.has(3, PageFlags.TAG_DIRTY)).isTrue();
        assertThat(cache.clearDirtyForIo(3)).isFalse();
    }

    @Test
    @DisplayName("S2 starting writeback sets WRITEBACK, clears the DIRTY tag of a clean page and TOWRITE")
    void startWritebackTags() {
        dirtyPage(1, (byte) 1);
        cache.tagToWrite(0, 10);
        cache.clearDirtyForIo(1);

        cache.startWriteback(1);

        int f = cache.flags(1);
        assertThat(PageFlags.has(f, PageFlags.WRITEBACK)).isTrue();
        assertThat(PageFlags.has(f, PageFlags.TAG_DIRTY)).isFalse();
        assertThat(PageFlags.has(f, PageFlags.TAG_TOWRITE)).isFalse();
        assertThat(ledger.writebackPages()).isEqualTo(1);
    }

    @Test
    @DisplayName("S2 a page redirtied before writeback starts keeps its DIRTY tag")
    void startWritebackOnDirtyPageKeepsTag() {
        dirtyPage(1, (byte) 1);
        cache.clearDirtyForIo(1);
        cache.markDirty(1);

        cache.startWriteback(1);

        assertThat(cache.has(1, PageFlags.TAG_DIRTY | PageFlags.DIRTY | PageFlags.WRITEBACK)).isTrue();
    }

    @Test
    @DisplayName("S3 ending writeback clears WRITEBACK and counts the completion")
    void endWriteback() {
        dirtyPage(1, (byte) 1);
        cache.clearDirtyForIo(1);
        int slot = cache.startWriteback(1);

        cache.endWriteback(1, slot);

        assertThat(cache.has(1, PageFlags.WRITEBACK)).isFalse();
        assertThat(ledger.writebackPages()).isZero();
        assertThat(ledger.pagesWritten()).isEqualTo(1);
        assertThatThrownBy(() -> cache.endWriteback(1, slot)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("S4 redirtying a skipped page puts it back in the dirty set")
    void redirty() {
        dirtyPage(2, (byte) 1);
        cache.clearDirtyForIo(2);

        assertThat(cache.markDirty(2)).isTrue();

        assertThat(ledger.dirtyPages()).isEqualTo(1);
        assertThat(cache.next(0, 100, PageFlags.DIRTY)).isEqualTo(2);
    }

    @Test
    @DisplayName("S5 a write to a page under writeback copies it; the bytes in flight never change")
    void stablePages() {
        dirtyPage(5, (byte) 1);
        cache.clearDirtyForIo(5);
        int inFlight = cache.startWriteback(5);
        int usedBefore = pool.usedPages();

        dirtyPage(5, (byte) 2);

        ByteBuffer flying = pool.buffer(inFlight);
        assertThat(flying.get(0)).isEqualTo((byte) 1);
        assertThat(flying.get(4095)).isEqualTo((byte) 1);
        assertThat(cache.data(5).get(0)).isEqualTo((byte) 2);
        assertThat(cache.slot(5)).isNotEqualTo(inFlight);
        assertThat(pool.usedPages()).isEqualTo(usedBefore + 1);
        // Still under writeback while the old copy flies: a second copy may not start.
        assertThat(cache.has(5, PageFlags.WRITEBACK | PageFlags.DIRTY)).isTrue();
        assertThatThrownBy(() -> cache.startWriteback(5)).isInstanceOf(IllegalStateException.class);

        cache.endWriteback(5, inFlight);

        assertThat(pool.usedPages()).isEqualTo(usedBefore);
        assertThat(cache.has(5, PageFlags.DIRTY)).isTrue();
        assertThat(cache.has(5, PageFlags.WRITEBACK)).isFalse();
        // A later write of the copy goes in place.
        int current = cache.slot(5);
        cache.prepareWrite(5);
        assertThat(cache.slot(5)).isEqualTo(current);
    }

    @Test
    @DisplayName("C2 tagging copies DIRTY to TOWRITE only in the range and only for tagged pages")
    void tagToWrite() {
        for (long i : new long[] {0, 5, 1023, 1024, 5000}) {
            dirtyPage(i, (byte) 1);
        }
        cache.insert(7);

        assertThat(cache.tagToWrite(5, 1024)).isEqualTo(3);

        assertThat(cache.next(0, Long.MAX_VALUE, PageFlags.TAG_TOWRITE)).isEqualTo(5);
        assertThat(cache.next(6, Long.MAX_VALUE, PageFlags.TAG_TOWRITE)).isEqualTo(1023);
        assertThat(cache.next(1024, Long.MAX_VALUE, PageFlags.TAG_TOWRITE)).isEqualTo(1024);
        assertThat(cache.next(1025, Long.MAX_VALUE, PageFlags.TAG_TOWRITE)).isEqualTo(-1);
    }

    @Test
    void nextFindsPagesAcrossSparseChunksInIndexOrder() {
        cache.insert(1L << 40);
        cache.insert(3);
        cache.insert(70_000);

        assertThat(cache.next(0, Long.MAX_VALUE, 0)).isEqualTo(3);
        assertThat(cache.next(4, Long.MAX_VALUE, 0)).isEqualTo(70_000);
        assertThat(cache.next(70_001, Long.MAX_VALUE, 0)).isEqualTo(1L << 40);
        assertThat(cache.next(70_001, (1L << 40) - 1, 0)).isEqualTo(-1);
    }

    @Test
    void removeDiscardsDirtyDataAndReturnsMemory() {
        dirtyPage(9, (byte) 1);
        int used = pool.usedPages();

        cache.remove(9);

        assertThat(cache.contains(9)).isFalse();
        assertThat(ledger.dirtyPages()).isZero();
        assertThat(ledger.cachedPages()).isZero();
        assertThat(pool.usedPages()).isEqualTo(used - 1);
    }

    @Test
    void removeRefusesPagesUnderWriteback() {
        dirtyPage(9, (byte) 1);
        cache.clearDirtyForIo(9);
        cache.startWriteback(9);

        assertThatThrownBy(() -> cache.remove(9)).isInstanceOf(IllegalStateException.class);
        assertThat(cache.contains(9)).isTrue();
    }

    @Test
    void insertedPagesAreZeroedEvenWhenTheSlotWasUsedBefore() {
        dirtyPage(1, (byte) 9);
        cache.remove(1);

        ByteBuffer fresh = cache.insert(2);

        for (int i = 0; i < fresh.limit(); i++) {
            assertThat(fresh.get(i)).isZero();
        }
    }

    @Test
    void exhaustedPoolAnswersEnospcAndChangesNothing() {
        PagePool tiny = new PagePool(4096, 8192, 8192);
        PageCache small = new PageCache(1, tiny, ledger, 4096);
        small.insert(0);
        small.insert(1);

        assertThatThrownBy(() -> small.insert(2))
                .isInstanceOf(ErrnoException.class)
                .satisfies(e -> assertThat(((ErrnoException) e).errno()).isEqualTo(Errno.ENOSPC));
        assertThat(small.contains(2)).isFalse();
        assertThat(small.cachedPages()).isEqualTo(2);
    }

    @Test
    void heldPagesLeaveTheDirtyCountUntilRewritten() {
        dirtyPage(4, (byte) 1);

        cache.hold(4);

        assertThat(ledger.dirtyPages()).isZero();
        assertThat(ledger.heldPages()).isEqualTo(1);
        assertThat(cache.next(0, 10, PageFlags.TAG_DIRTY)).isEqualTo(-1);

        cache.markDirty(4);

        assertThat(ledger.heldPages()).isZero();
        assertThat(ledger.dirtyPages()).isEqualTo(1);
    }

    @Test
    @DisplayName("S6 buffers exist only where created, one packed long per block")
    void buffers() {
        cache.insert(0);
        cache.insert(1);

        long[] b = cache.createBuffers(1, BufferState.UPTODATE);

        assertThat(b).hasSize(4);
        assertThat(cache.buffers(0)).isNull();
        assertThat(cache.has(1, PageFlags.HAS_BUFFERS)).isTrue();
        b[2] = BufferState.withBlock(b[2] | BufferState.MAPPED, 12345);
        assertThat(BufferState.block(cache.buffers(1)[2])).isEqualTo(12345);
        assertThat(BufferState.has(cache.buffers(1)[2], BufferState.MAPPED | BufferState.UPTODATE)).isTrue();

        cache.dropBuffers(1);

        assertThat(cache.buffers(1)).isNull();
        assertThat(cache.has(1, PageFlags.HAS_BUFFERS)).isFalse();
    }

    @Test
    @DisplayName("A chunk emptied and filled again answers for its new pages only; next() crosses chunks and gaps")
    void chunksComeAndGo() {
        long far = 3L * PageCache.CHUNK_PAGES + 5;
        cache.insert(5);
        cache.insert(far);
        assertThat(cache.contains(5)).isTrue();
        cache.remove(5); // the chunk of page 5 is gone
        assertThat(cache.contains(5)).isFalse();
        cache.insert(6);
        assertThat(cache.contains(5)).isFalse();
        assertThat(cache.contains(6)).isTrue();
        cache.markDirty(6);
        cache.markDirty(far);

        assertThat(cache.next(0, Long.MAX_VALUE, PageFlags.DIRTY)).isEqualTo(6);
        assertThat(cache.next(7, Long.MAX_VALUE, PageFlags.DIRTY)).isEqualTo(far);
        assertThat(cache.next(7, far - 1, PageFlags.DIRTY)).isEqualTo(-1);
        assertThat(cache.next(far + 1, Long.MAX_VALUE, PageFlags.DIRTY)).isEqualTo(-1);
        assertThat(cache.next(far, far, PageFlags.DIRTY)).isEqualTo(far);
        assertThat(cache.next(7, 6, 0)).isEqualTo(-1);
    }
}
