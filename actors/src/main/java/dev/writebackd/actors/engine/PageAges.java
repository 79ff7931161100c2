package dev.writebackd.actors.engine;

import dev.writebackd.mpage.FileReads;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;

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
    /** A cached page's place in the order: a doubly linked list, oldest first. */
    private static final class Age {
        private final long page;
        private long epoch;
        private Age older;
        private Age newer;

        Age(long page) {
            this.page = page;
        }
    }

    private final LongMap<Age> ages = new LongMap<>();
    private Age oldest;
    private Age newest;
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
                Age age = ages.get(page);
                if (age == null) {
                    age = new Age(page);
                    ages.put(page, age);
                } else if (age == newest) {
                    age.epoch = epoch;
                    continue;
                } else {
                    unlink(age);
                }
                age.epoch = epoch;
                append(age);
            }
        }
    }

    private void append(Age age) {
        age.older = newest;
        age.newer = null;
        if (newest == null) {
            oldest = age;
        } else {
            newest.newer = age;
        }
        newest = age;
    }

    private void unlink(Age age) {
        if (age.older == null) {
            oldest = age.newer;
        } else {
            age.older.newer = age.newer;
        }
        if (age.newer == null) {
            newest = age.older;
        } else {
            age.newer.older = age.older;
        }
        age.older = null;
        age.newer = null;
    }

    private void forget(Age age) {
        unlink(age);
        ages.remove(age.page);
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
        publish(oldest == null ? CacheBudget.NONE : oldest.epoch);
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
        Age age = oldest;
        while (age != null) {
            Age next = age.newer;
            long page = age.page;
            if (!cache.contains(page)) {
                forget(age);
            } else if (evictable(page)) {
                if (evicted < pages && age.epoch <= maxEpoch) {
                    cache.remove(page);
                    forget(age);
                    evicted++;
                } else {
                    oldestLeft = age.epoch;
                    break;
                }
            }
            age = next;
        }
        published = oldestLeft;
        changed = false;
        budget.evicted(cache.inode(), evicted, oldestLeft);
        return evicted;
    }

    /** Forgets every page (the file is going away). */
    void clear() {
        ages.clear();
        oldest = null;
        newest = null;
        publish(CacheBudget.NONE);
    }

    private boolean evictable(long page) {
        return (cache.flags(page) & BUSY) == 0 && !reads.beingRead(page) && !failedPages.retrying(page);
    }
}
