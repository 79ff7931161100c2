package dev.writebackd.daemon.bench.jmh;

import dev.writebackd.page.DirtyLedger;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import dev.writebackd.page.PagePool;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The page chooser's tag work over a file of 1 M page indexes (4 GiB): tagging dirty pages
 * TOWRITE (C2, tag_pages_for_writeback) and walking the tagged pages in index order (the lookups of
 * write_cache_pages). Every {@code stride}-th page is cached and dirty; {@code stride = 1} holds
 * 1 M pages (4 GiB of pool memory: run with {@code -jvmArgs -XX:MaxDirectMemorySize=5g}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PageChooserBenchmark {
    private static final int PAGE = 4096;
    private static final long RANGE = 1L << 20;

    @Param({"16"})
    int stride;

    private PageCache cache;

    @Setup
    public void setUp() {
        long pages = RANGE / stride;
        PagePool pool = new PagePool(PAGE, pages * PAGE + (64L << 20));
        cache = new PageCache(1, pool, new DirtyLedger(), PAGE);
        for (long i = 0; i < RANGE; i += stride) {
            cache.insert(i);
            cache.setFlag(i, PageFlags.UPTODATE, true);
            cache.markDirty(i);
        }
        cache.setSize(RANGE * PAGE);
    }

    /** Tags every dirty page TOWRITE, then walks them all; the tag stays set for the next round. */
    @Benchmark
    public long tagAndWalk() {
        cache.tagToWrite(0, RANGE - 1);
        long found = 0;
        for (long i = cache.next(0, RANGE - 1, PageFlags.TAG_TOWRITE); i >= 0;
                i = i + 1 < RANGE ? cache.next(i + 1, RANGE - 1, PageFlags.TAG_TOWRITE) : -1) {
            found++;
        }
        return found;
    }

    /** Walks the DIRTY tag alone, as background writeback does. */
    @Benchmark
    public long walkDirty() {
        long found = 0;
        for (long i = cache.next(0, RANGE - 1, PageFlags.TAG_DIRTY); i >= 0;
                i = i + 1 < RANGE ? cache.next(i + 1, RANGE - 1, PageFlags.TAG_DIRTY) : -1) {
            found++;
        }
        return found;
    }
}
