package dev.writebackd.daemon.bench.jmh;

import dev.writebackd.block.Bio;
import dev.writebackd.layout.BlockAllocator;
import dev.writebackd.layout.ExtentMapper;
import dev.writebackd.layout.MetadataBuffers;
import dev.writebackd.mpage.PageWriter;
import dev.writebackd.mpage.SubmittedBio;
import dev.writebackd.mpage.SyncMode;
import dev.writebackd.mpage.WriteCompletion;
import dev.writebackd.page.DirtyLedger;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import dev.writebackd.page.PagePool;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The page writer building bios (W4–W9: 16384 dirty, mapped, contiguous pages into 64 bios of 256
 * pages) and completion handling (ending writeback of those 64 bios). Each invocation starts from
 * 16384 dirty pages; the scores are per 16384 pages (64 MiB).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class WritebackBenchmark {
    private static final int PAGE = 4096;
    private static final int PAGES = 16384;

    private PageCache cache;
    private ExtentMapper mapper;
    private List<SubmittedBio> bios = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUpTrial() {
        PagePool pool = new PagePool(PAGE, 2L * PAGES * PAGE);
        cache = new PageCache(1, pool, new DirtyLedger(), PAGE);
        mapper = new ExtentMapper(new BlockAllocator(4L * PAGES), PAGE);
        for (long i = 0; i < PAGES; i++) {
            cache.insert(i);
            cache.setFlag(i, PageFlags.UPTODATE, true);
        }
        cache.setSize((long) PAGES * PAGE);
    }

    /** Ends the previous invocation's writeback and dirties every page again. */
    @Setup(Level.Invocation)
    public void redirty() {
        for (SubmittedBio bio : bios) {
            WriteCompletion.complete(cache, MetadataBuffers.NONE, bio, null);
        }
        bios = new ArrayList<>();
        for (long i = 0; i < PAGES; i++) {
            cache.markDirty(i);
        }
    }

    /** Clears each page for I/O and hands it to a page writer; the bios it closes. */
    @Benchmark
    public int pageWriterBuildsBios() {
        writeAll();
        return bios.size();
    }

    /** Writes the pages, then applies the completion of every bio (the measured part is both). */
    @Benchmark
    public int writeAndComplete() {
        writeAll();
        for (SubmittedBio bio : bios) {
            WriteCompletion.complete(cache, MetadataBuffers.NONE, bio, null);
        }
        int n = bios.size();
        bios = new ArrayList<>();
        return n;
    }

    private void writeAll() {
        PageWriter writer = new PageWriter(cache, mapper, MetadataBuffers.NONE, SyncMode.ALL, false, Bio.MAX_SEGMENTS);
        for (long i = 0; i < PAGES; i++) {
            cache.clearDirtyForIo(i);
            writer.write(i);
        }
        writer.submitOpen();
        bios.addAll(writer.takeBios());
    }
}
