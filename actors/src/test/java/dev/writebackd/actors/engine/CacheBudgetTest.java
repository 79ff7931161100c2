package dev.writebackd.actors.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.layout.MetadataCache;
import dev.writebackd.page.DirtyLedger;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PagePool;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Which file the cache budget asks to evict, and how many pages. */
class CacheBudgetTest {
    private record Asked(long inode, long maxEpoch, long pages) {}

    private final DirtyLedger ledger = new DirtyLedger();
    private final List<Asked> asked = new ArrayList<>();

    /** Puts {@code pages} pages in the ledger's cached count. */
    private void cache(int pages) {
        PageCache cache = new PageCache(99, new PagePool(4096, 4L << 20), ledger, 4096);
        for (int i = 0; i < pages; i++) {
            cache.insert(i);
        }
    }

    private CacheBudget budget(long pages, long... inodes) {
        CacheBudget budget = new CacheBudget(ledger, pages, 0, null);
        for (long inode : inodes) {
            budget.register(inode, (maxEpoch, n) -> asked.add(new Asked(inode, maxEpoch, n)));
        }
        return budget;
    }

    @Test
    @DisplayName("under the high water nobody is asked")
    void underTheHighWaterNobodyIsAsked() {
        CacheBudget budget = budget(64, 1);
        budget.oldest(1, 0);
        cache(62);

        budget.check();

        assertThat(budget.highWater()).isEqualTo(62);
        assertThat(asked).isEmpty();
    }

    @Test
    @DisplayName("the file with the oldest pages evicts first, none younger than the next-oldest file's, "
            + "one request at a time")
    void oldestFileFirstOneRequestAtATime() {
        CacheBudget budget = budget(64, 1, 2, 3);
        budget.oldest(1, 7);
        budget.oldest(2, 3);
        budget.oldest(3, 5);
        cache(100);

        budget.check();
        budget.check();

        assertThat(asked).containsExactly(new Asked(2, 5, 40));
        budget.evicted(2, 10, 9); // its next oldest page is younger than file 3's
        assertThat(asked).last().isEqualTo(new Asked(3, 7, 40));
        budget.evicted(3, 0, CacheBudget.NONE); // nothing evictable there
        assertThat(asked).last().isEqualTo(new Asked(1, 9, 40));
        budget.evicted(1, 0, CacheBudget.NONE);
        assertThat(asked).last().isEqualTo(new Asked(2, CacheBudget.NONE, 40));
        budget.evicted(2, 0, CacheBudget.NONE);
        assertThat(asked).hasSize(4).as("nothing evictable anywhere: no more requests");
        assertThat(budget.evictedPages()).isEqualTo(10);
    }

    @Test
    @DisplayName("a file that stops while asked frees the request for the next file")
    void unregisteringTheAskedFileAsksTheNext() {
        CacheBudget budget = budget(64, 1, 2);
        budget.oldest(1, 1);
        budget.oldest(2, 2);
        cache(100);
        budget.check();

        budget.unregister(1);

        assertThat(asked).containsExactly(new Asked(1, 2, 40), new Asked(2, CacheBudget.NONE, 40));
    }

    @Test
    @DisplayName("memory pressure also drops the clean map blocks, never the dirty ones")
    void pressureDropsCleanMapBlocks() {
        MetadataCache metadata = new MetadataCache(4096);
        metadata.install(1, new byte[4096]);
        metadata.install(2, new byte[4096]);
        metadata.markDirty(2);
        CacheBudget budget = new CacheBudget(ledger, 64, 0, metadata);
        cache(10);
        budget.check();
        assertThat(metadata.size()).as("under the budget").isEqualTo(2);

        cache(60);
        budget.check();

        assertThat(metadata.size()).isEqualTo(1);
        assertThat(metadata.isDirty(2)).isTrue();
    }

    @Test
    @DisplayName("a budget below one page is refused")
    void badBudgetIsRefused() {
        assertThatThrownBy(() -> new CacheBudget(ledger, 0, 0, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0 pages");
    }
}
