package dev.writebackd.daemon.bench;

import dev.writebackd.page.DirtyLedger;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import dev.writebackd.page.PagePool;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * What a cached page costs beyond its data: fills one {@link PageCache} with {@code N} dirty,
 * uptodate pages (default 1 M, 4 GiB of page data) and measures the heap it grew by, after full
 * GCs, and the pool's memory beyond {@code N} pages.
 * {@code java -XX:MaxDirectMemorySize=5g -cp writebackd.jar dev.writebackd.daemon.bench.PageMemoryProbe [N]}.
 */
public final class PageMemoryProbe {
    private static final int PAGE = 4096;

    private PageMemoryProbe() {}

    /**
     * The measurement.
     *
     * @param pages pages cached
     * @param heapBytes heap growth while caching them (page states, chunks, tags, pool free list)
     * @param poolBytes pool memory beyond the pages' data (slab alignment)
     */
    public record Result(long pages, long heapBytes, long poolBytes) {
        /** Bytes per page beyond its data. */
        public double bytesPerPage() {
            return (heapBytes + poolBytes) / (double) pages;
        }
    }

    /** Caches {@code pages} pages in one file and measures. */
    public static Result measure(int pages) {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long before = settledHeap(memory);
        PagePool pool = new PagePool(PAGE, (long) pages * PAGE);
        PageCache cache = new PageCache(1, pool, new DirtyLedger(), PAGE);
        for (long i = 0; i < pages; i++) {
            cache.insert(i);
            cache.setFlag(i, PageFlags.UPTODATE, true);
            cache.markDirty(i);
        }
        cache.setSize((long) pages * PAGE);
        long after = settledHeap(memory);
        long slabs = (pool.capacityPages() * PAGE + PagePool.DEFAULT_SLAB_BYTES - 1) / PagePool.DEFAULT_SLAB_BYTES;
        long poolExtra = slabs * PagePool.ALIGNMENT;
        if (cache.cachedPages() != pages) {
            throw new IllegalStateException("cached " + cache.cachedPages() + " of " + pages);
        }
        return new Result(pages, Math.max(0, after - before), poolExtra);
    }

    private static long settledHeap(MemoryMXBean memory) {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    /** Prints the measurement for {@code args[0]} pages (default 1048576). */
    public static void main(String[] args) {
        int pages = args.length > 0 ? Integer.parseInt(args[0]) : 1 << 20;
        Result r = measure(pages);
        System.out.printf(java.util.Locale.ROOT,
                "%d cached pages: heap +%d bytes, pool beyond data %d bytes: %.1f bytes"
                + " per page beyond its %d bytes of data%n", r.pages(), r.heapBytes(), r.poolBytes(), r.bytesPerPage(),
                PAGE);
    }
}
