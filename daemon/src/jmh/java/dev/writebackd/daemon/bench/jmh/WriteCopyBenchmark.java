package dev.writebackd.daemon.bench.jmh;

import dev.writebackd.actors.engine.WriteData;
import dev.writebackd.page.DirtyLedger;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import dev.writebackd.page.PagePool;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
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
 * Copying a write into pages: {@link WriteData#copyOf} (the caller-side copy into pool pages, the
 * one copy a write makes) and a page-cache write of one page (prepare, copy, mark dirty) into a
 * cache that already holds the page.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class WriteCopyBenchmark {
    private static final int PAGE = 4096;
    private static final int PAGES = 16384;

    @Param({"4096", "65536"})
    int writeBytes;

    private PagePool pool;
    private PageCache cache;
    private ByteBuffer source;
    private final SplittableRandom random = new SplittableRandom(1);

    @Setup
    public void setUp() {
        pool = new PagePool(PAGE, 2L * PAGES * PAGE + (64L << 20));
        cache = new PageCache(1, pool, new DirtyLedger(), PAGE);
        for (long i = 0; i < PAGES; i++) {
            cache.insert(i);
            cache.setFlag(i, PageFlags.UPTODATE, true);
        }
        cache.setSize((long) PAGES * PAGE);
        byte[] bytes = new byte[writeBytes];
        random.nextBytes(bytes);
        source = ByteBuffer.wrap(bytes);
    }

    /** The caller-side copy of a write into pool pages, and handing the pages back. */
    @Benchmark
    public int writeDataCopy() {
        WriteData staged = WriteData.copyOf(pool, (long) random.nextInt(PAGES) * PAGE, source);
        int chunks = staged.chunks();
        staged.releaseAll();
        return chunks;
    }

    /** One page-aligned write copied into cached pages and marked dirty. */
    @Benchmark
    public long pageCacheWrite() {
        int pages = writeBytes / PAGE;
        long first = random.nextInt(PAGES - pages + 1);
        ByteBuffer from = source.duplicate();
        for (int i = 0; i < pages; i++) {
            ByteBuffer page = cache.prepareWrite(first + i);
            page.put(0, from, i * PAGE, PAGE);
            cache.markDirty(first + i);
        }
        return cache.dirtyPages();
    }
}
