package dev.writebackd.actors.engine;

import dev.writebackd.mpage.FileReads;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One file's cached pages in the order they were last touched, each with the {@link CacheBudget}
 * epoch of that touch, and the eviction of its clean pages, oldest first.
 *
 * <p>The order is a hint kept beside the page cache, which stays the truth: a page truncated away
 * is forgotten when eviction next passes it. Never evicted: pages dirty, tagged for writeback,
 * under writeback, held after a failed write ({@code sticky}), waiting for a {@code redirty} retry,
 * or with a read in flight (the page lock). Single-threaded: owned by the file's actor, which only
 * evicts between page operations.
 */
final class PageAges {
    private static final int BUSY = PageFlags.DIRTY | PageFlags.TAG_DIRTY | PageFlags.TAG_TOWRITE
            | PageFlags.WRITEBACK | PageFlags.HELD | PageFlags.COPIED;

    private final PageCache cache;
    private final FileReads reads;
    private final FailedPages failedPages;
    private final CacheBudget budget;
    private final LinkedHashMap<Long, Long> ages = new LinkedHashMap<>();
    private long published = -1;
    /** Pages were touched or cleaned since the budget last heard from this file. */
    private boolean changed;

    PageAges(PageCache cache, FileReads reads, FailedPages failedPages, CacheBudget budget) {
        this.cache = cache;
        this.reads = reads;
        this.failedPages = failedPages;
        this.budget = budget;
    }

    /** Pages {@code first} to {@code last} were just read, written or read ahead: they are the newest. */
    void touch(long first, long last) {
        if (last < first) {
            return;
        }
        changed = true;
        long epoch = budget.touch(last - first + 1);
        for (long page = first; page <= last; page++) {
            if (cache.contains(page)) {
                ages.remove(page);
                ages.put(page, epoch);
            }
        }
    }

    /** Pages' writeback ended: some may be evictable now. */
    void cleaned() {
        changed = true;
    }

    /**
     * Tells the budget the epoch of the oldest page that may be evictable, if pages were touched or
     * cleaned since it last heard: after an eviction found nothing evictable, only such a change
     * makes it worth asking again.
     */
    void publish() {
        if (!changed) {
            return;
        }
        changed = false;
        Long head = ages.isEmpty() ? null : ages.values().iterator().next();
        publish(head == null ? CacheBudget.NONE : head);
    }

    private void publish(long oldest) {
        if (oldest != published) {
            published = oldest;
            budget.oldest(cache.inode(), oldest);
        }
    }

    /**
     * Evicts up to {@code pages} clean pages last touched no later than {@code maxEpoch}, oldest
     * first, returning their slots to the pool, and answers the budget.
     *
     * @return the pages evicted
     */
    long evict(long maxEpoch, long pages) {
        long evicted = 0;
        long oldestLeft = CacheBudget.NONE;
        Iterator<Map.Entry<Long, Long>> it = ages.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, Long> entry = it.next();
            long page = entry.getKey();
            if (!cache.contains(page)) {
                it.remove();
            } else if (evictable(page)) {
                if (evicted < pages && entry.getValue() <= maxEpoch) {
                    cache.remove(page);
                    it.remove();
                    evicted++;
                } else {
                    oldestLeft = entry.getValue();
                    break;
                }
            }
        }
        published = oldestLeft;
        changed = false;
        budget.evicted(cache.inode(), evicted, oldestLeft);
        return evicted;
    }

    /** Forgets every page (the file is going away). */
    void clear() {
        ages.clear();
        publish(CacheBudget.NONE);
    }

    private boolean evictable(long page) {
        return (cache.flags(page) & BUSY) == 0 && !reads.beingRead(page) && !failedPages.retrying(page);
    }
}
