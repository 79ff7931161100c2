package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.array;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.persist.PersistenceConfig;
import dev.writebackd.actors.persist.StripedWorkload;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.config.Settings;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many files, many concurrent writers through the engine's API, with every writeback mechanism
 * running (small thresholds and intervals so periodic and background writeback, and periodic
 * commits, really happen) and random fsyncs; the files must equal the model byte for byte, read
 * from the cache and again from a fresh engine on the same device and journal.
 *
 * <p>The seed is printed on failure; {@code -Dwritebackd.test.seed=...} repeats a run.
 */
class EngineConcurrencyTest {
    private static final int FILES = 100;
    private static final int FILE_BYTES = 4 * StripedWorkload.ROUND; // 48 KiB: 12 pages, 32 stripes
    private static final int STEPS_PER_WRITER = 600;
    private static final String SETTINGS = """
            writebackd.page-cache.cache-budget = 16 MiB
            writebackd.writeback {
              dirty-background-bytes = 256 KiB
              dirty-bytes = 1 MiB
              dirty-expire-interval = 200 ms
              writeback-interval = 100 ms
              commit-interval = 300 ms
              min-chunk = 64 KiB
            }
            """;

    @TempDir
    Path dataDir;

    private final MemoryDevice device = new MemoryDevice(PAGE, 64L << 20);

    private Engine start() {
        try {
            return Engine.start(Settings.load(ConfigFactory.parseString(SETTINGS)), device,
                    PersistenceConfig.prepare(dataDir));
        } catch (java.io.IOException | java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    @DisplayName("100 files × 8 writers on their own stripes, with periodic and background writeback, commits and random fsyncs: every file equals the model, from the cache and from a fresh engine")
    void concurrentWritersMatchTheModel() throws Exception {
        long seed = Long.getLong("writebackd.test.seed", System.nanoTime());
        try {
            run(seed);
        } catch (Throwable e) {
            throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
        }
    }

    private void run(long seed) throws Exception {
        byte[][] model = new byte[FILES][FILE_BYTES];
        AtomicIntegerArray sizes = new AtomicIntegerArray(FILES);
        Engine engine = start();
        try {
            for (int f = 0; f < FILES; f++) {
                join(engine.close(join(engine.open(StripedWorkload.name(f), true))));
            }
            ExecutorService writers = Executors.newFixedThreadPool(StripedWorkload.WRITERS);
            int fsyncs = 0;
            try {
                List<Future<Integer>> done = new ArrayList<>();
                for (int w = 0; w < StripedWorkload.WRITERS; w++) {
                    int writer = w;
                    done.add(writers.submit(() -> write(engine, seed, writer, model, sizes)));
                }
                for (Future<Integer> writer : done) {
                    fsyncs += writer.get(120, TimeUnit.SECONDS);
                }
            } finally {
                writers.shutdownNow();
            }

            EngineStats stats = join(engine.stats());
            assertThat(stats.backgroundPasses()).as("background writeback ran").isPositive();
            assertThat(stats.periodicPasses()).as("periodic writeback ran").isPositive();
            assertThat(stats.periodicCommits()).as("periodic commits ran").isPositive();
            assertThat(fsyncs).as("fsyncs ran").isPositive();
            assertMatchesModel(engine, model, sizes, "from the cache");
        } finally {
            join(engine.shutdown());
        }

        Engine fresh = start();
        try {
            assertMatchesModel(fresh, model, sizes, "from a fresh engine");
        } finally {
            join(fresh.shutdown());
        }
    }

    /** One writer's steps, each answered before the next; the model learns each write. Answers the fsyncs made. */
    private static int write(Engine engine, long seed, int writer, byte[][] model, AtomicIntegerArray sizes) {
        Handle[] handles = new Handle[FILES];
        for (int f = 0; f < FILES; f++) {
            handles[f] = join(engine.open(StripedWorkload.name(f), false));
        }
        StripedWorkload steps = new StripedWorkload(seed, writer, FILES, FILE_BYTES, 100);
        int fsyncs = 0;
        for (int n = 0; n < STEPS_PER_WRITER; n++) {
            StripedWorkload.Step step = steps.next();
            if (step.isFsync()) {
                join(engine.fsync(handles[step.file()]));
                fsyncs++;
                continue;
            }
            WriteResult written = join(engine.write(handles[step.file()], step.offset(), ByteBuffer.wrap(step.data())));
            assertThat(written.bytesWritten()).isEqualTo(step.data().length);
            System.arraycopy(step.data(), 0, model[step.file()], step.offset(), step.data().length);
            sizes.accumulateAndGet(step.file(), step.end(), Math::max);
        }
        for (Handle handle : handles) {
            join(engine.close(handle));
        }
        return fsyncs;
    }

    private static void assertMatchesModel(Engine engine, byte[][] model, AtomicIntegerArray sizes, String how) {
        for (int f = 0; f < FILES; f++) {
            Handle handle = join(engine.open(StripedWorkload.name(f), false));
            byte[] read = array(join(engine.read(handle, 0, FILE_BYTES + PAGE)));
            join(engine.close(handle));
            byte[] expected = Arrays.copyOf(model[f], sizes.get(f));
            if (!Arrays.equals(read, expected)) {
                int at = Arrays.mismatch(read, expected);
                throw new AssertionError(how + ": file " + f + " (" + read.length + " bytes, model " + expected.length
                        + ") differs first at byte " + at + " (stripe of writer "
                        + (at / StripedWorkload.STRIPE) % StripedWorkload.WRITERS + ")");
            }
        }
    }
}
