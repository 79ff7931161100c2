package dev.writebackd.actors.engine;

import dev.writebackd.layout.MetadataCache;
import dev.writebackd.page.DirtyLedger;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The device's cache budget: decides which file evicts how many clean pages when the cache holds
 * more than it should. The files' actors do the evicting, in batches ({@link Evictor}).
 *
 * <p><b>Least recently used, by epochs.</b> A device-wide clock advances by one for every page a
 * file touches (reads, writes, readahead); an epoch is {@code 1/16} of the budget's worth of
 * touches. Each file keeps its pages in the order it last touched them, stamped with the epoch
 * ({@link PageAges}), and publishes the epoch of its oldest page that may be evictable. Least
 * recently used rather than oldest inserted, because a file read over and over should keep its
 * pages while a file written once and forgotten gives its up; epochs make it cheap: one counter
 * for all files, and a file's order changes only on its own thread.
 *
 * <p><b>Rounds.</b> When the cache holds more than {@code highWater} pages, the file with the
 * oldest epoch is asked to evict, oldest first, enough pages to reach {@code lowWater}, but none
 * younger than the next-oldest file's epoch (so the order is kept across files). One request is
 * in flight at a time; its answer ({@link #evicted}) starts the next round while the cache is still
 * above the high water. A file with nothing evictable (dirty, under writeback, held, being read)
 * publishes "none" and is skipped until it publishes again. The high water is below the budget
 * by a headroom (a readahead window and a write) and a batch of {@code 1/32} of the budget, so the
 * pages one operation inserts before the next round stay within the budget; the pool is as large as
 * the budget, and an operation that finds it full fails with ENOSPC. Memory pressure also drops the clean
 * map blocks of the device's {@link MetadataCache}, if it has one.
 *
 * <p>Thread-safe: shared by every inode actor of the device, which call it from their own threads;
 * its methods are short and never block on I/O.
 */
public final class CacheBudget {
    /** No evictable page. */
    public static final long NONE = Long.MAX_VALUE;

    /** What a file does when asked to evict (its actor's mailbox). */
    public interface Evictor {
        /** Evict up to {@code pages} clean pages last touched no later than {@code maxEpoch}, oldest first. */
        void evict(long maxEpoch, long pages);
    }

    private static final class Member {
        final Evictor evictor;
        long oldest = NONE;

        Member(Evictor evictor) {
            this.evictor = evictor;
        }
    }

    private final DirtyLedger ledger;
    private final MetadataCache metadataCache;
    private final long budgetPages;
    private final long highWater;
    private final long lowWater;
    private final long epochPages;
    private final AtomicLong clock = new AtomicLong();
    private final Map<Long, Member> members = new HashMap<>();
    private long asked = -1;
    private long evictedPages;

    /**
     * A budget of {@code budgetPages} pages on {@code ledger}'s cached count.
     *
     * @param headroomPages pages kept free below the budget for what one operation inserts before
     *     the next round can start (a readahead window, a write): at most a quarter of the budget
     * @param metadataCache the device's map-block cache, or {@code null}
     * @throws IllegalArgumentException if the budget is not positive or the headroom negative
     */
    public CacheBudget(DirtyLedger ledger, long budgetPages, long headroomPages, MetadataCache metadataCache) {
        if (budgetPages < 1 || headroomPages < 0) {
            throw new IllegalArgumentException("cache budget of " + budgetPages + " pages, headroom " + headroomPages);
        }
        this.ledger = java.util.Objects.requireNonNull(ledger, "ledger");
        this.metadataCache = metadataCache;
        this.budgetPages = budgetPages;
        long batch = Math.max(1, budgetPages / 32);
        this.highWater = Math.max(1, budgetPages - Math.min(headroomPages, budgetPages / 4) - batch);
        this.lowWater = Math.max(0, highWater - batch);
        this.epochPages = Math.max(1, budgetPages / 16);
    }

    /** The budget in pages. */
    public long budgetPages() {
        return budgetPages;
    }

    /** Cached pages below which eviction stops. */
    public long lowWater() {
        return lowWater;
    }

    /** Cached pages above which eviction starts. */
    public long highWater() {
        return highWater;
    }

    /** Pages evicted since start. */
    public synchronized long evictedPages() {
        return evictedPages;
    }

    /** Advances the clock by {@code pages} touched pages; answers their epoch. */
    long touch(long pages) {
        return clock.addAndGet(pages) / epochPages;
    }

    synchronized void register(long inode, Evictor evictor) {
        members.put(inode, new Member(evictor));
    }

    synchronized void unregister(long inode) {
        members.remove(inode);
        if (asked == inode) {
            asked = -1;
            check();
        }
    }

    /** File {@code inode}'s oldest page that may be evictable was last touched in {@code epoch} ({@link #NONE}). */
    synchronized void oldest(long inode, long epoch) {
        Member member = members.get(inode);
        if (member != null) {
            member.oldest = epoch;
        }
    }

    /** File {@code inode} answered its request: {@code pages} evicted, {@code oldest} now its oldest. */
    synchronized void evicted(long inode, long pages, long oldest) {
        evictedPages += pages;
        oldest(inode, oldest);
        if (asked == inode) {
            asked = -1;
        }
        check();
    }

    /** Starts a round if the cache is above the high water and no request is in flight. Cheap when under. */
    void check() {
        if (ledger.cachedPages() <= highWater) {
            return;
        }
        synchronized (this) {
            long need = ledger.cachedPages() - lowWater;
            if (asked >= 0 || need <= 0) {
                return;
            }
            if (metadataCache != null) {
                metadataCache.evictClean();
            }
            long first = -1;
            long firstEpoch = NONE;
            long secondEpoch = NONE;
            for (Map.Entry<Long, Member> entry : members.entrySet()) {
                long epoch = entry.getValue().oldest;
                if (epoch < firstEpoch) {
                    secondEpoch = firstEpoch;
                    firstEpoch = epoch;
                    first = entry.getKey();
                } else if (epoch < secondEpoch) {
                    secondEpoch = epoch;
                }
            }
            if (first < 0) {
                return; // nothing evictable anywhere: the next touch or clean page starts again
            }
            asked = first;
            members.get(first).evictor.evict(secondEpoch, need);
        }
    }
}
