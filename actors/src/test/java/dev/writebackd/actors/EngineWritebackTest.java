package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.array;
import static dev.writebackd.actors.Engines.bytes;
import static dev.writebackd.actors.Engines.errno;
import static dev.writebackd.actors.Engines.filled;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.writebackd.actors.engine.HoldingDevice;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Writeback the engine does on its own: the flusher's background and periodic passes, and throttled writers. */
class EngineWritebackTest {
    private final MemoryDevice memory = new MemoryDevice(PAGE, 64L << 20);
    private final HoldingDevice device = new HoldingDevice(memory);
    private Engine engine;

    @AfterEach
    void shutDown() {
        device.release();
        Engines.stop(engine);
    }

    @Test
    @DisplayName("T2 F1 dirty data over the background threshold is written back without any sync")
    void backgroundWritebackStartsOverTheThreshold() {
        engine = Engines.start(device, "writebackd.writeback { dirty-background-bytes = 64 KiB, "
                + "writeback-interval = 0 }"); // no periodic pass: only the threshold can start it
        Handle file = join(engine.open("file", true));

        WriteResult result = join(engine.write(file, 0, bytes(64 * PAGE, 3)));

        await().atMost(Duration.ofSeconds(10)).until(() -> result.durable().toCompletableFuture().isDone());
        assertThat(errno(result.durable())).isNull();
        assertThat(join(engine.stats()).dirtyPages()).isZero();
        assertThat(memory.requests()).filteredOn(r -> r.op() == BioOp.WRITE && r.inode() == file.inode())
                .isNotEmpty();
    }

    @Test
    @DisplayName("F1 F2 the periodic pass writes back data older than the expire interval")
    void periodicWritebackWritesExpiredData() {
        engine = Engines.start(device, "writebackd.writeback { writeback-interval = 100 ms, "
                + "dirty-expire-interval = 200 ms }");
        Handle file = join(engine.open("file", true));

        WriteResult result = join(engine.write(file, 0, bytes(PAGE, 4)));

        await().atMost(Duration.ofSeconds(10)).until(() -> result.durable().toCompletableFuture().isDone());
        assertThat(errno(result.durable())).isNull();
    }

    @Test
    @DisplayName("T5 T6 a writer at the hard limit is answered only once writeback brings dirty data down, "
            + "and meanwhile the file still serves reads")
    void writerAtTheHardLimitWaitsWithoutBlocking() {
        engine = Engines.start(device, "writebackd.writeback { dirty-bytes = 400 KiB }"); // 100 pages, bg 50
        Handle file = join(engine.open("file", true));
        join(engine.write(file, 0, bytes(PAGE, 1)));
        device.hold();

        CompletionStage<WriteResult> write = engine.write(file, PAGE, bytes(120 * PAGE, 2));

        await().until(() -> device.waiting() > 0); // the flusher was woken and writes, held in the device
        assertThat(array(join(engine.read(file, 0, PAGE)))).isEqualTo(filled(PAGE, 1)); // not blocked
        assertThat(join(engine.stats()).throttledWriters()).isEqualTo(1);
        assertThat(write.toCompletableFuture()).isNotDone();
        device.release();

        assertThat(join(write).bytesWritten()).isEqualTo(120 * PAGE);
        assertThat(join(engine.stats()).throttledWriters()).isZero();
    }

    @Test
    @DisplayName("T5 T6 with a slow device, dirty + writeback stays within the hard limit plus one write per writer "
            + "while four writers keep writing, and every writer resumes as writeback brings it down")
    void slowDeviceKeepsDirtyDataNearTheHardLimit() throws Exception {
        int writers = 4;
        int writePages = 8;
        int writesPerWriter = 40;
        MemoryDevice slowMemory = new MemoryDevice(PAGE, 64L << 20);
        engine = Engines.start(new SlowDevice(slowMemory, 4L << 20), // 4 MiB/s: about 1 ms per page
                "writebackd.writeback { dirty-bytes = 512 KiB, dirty-background-bytes = 256 KiB }"); // 128 and 64 pages
        long hardLimit = join(engine.stats()).dirtyThresholdPages();
        assertThat(hardLimit).isEqualTo(128);

        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService threads = Executors.newFixedThreadPool(writers + 1);
        Future<long[]> sampler = threads.submit(() -> {
            long most = 0;
            long throttledSeen = 0;
            while (writing.get()) {
                EngineStats stats = join(engine.stats());
                most = Math.max(most, stats.dirtyPages() + stats.writebackPages());
                throttledSeen = Math.max(throttledSeen, stats.throttledWriters());
            }
            return new long[] {most, throttledSeen};
        });
        long[] sampled;
        try {
            sampled = writeAndSample(writers, writePages, writesPerWriter, writing, threads, sampler);
        } finally {
            writing.set(false);
            threads.shutdownNow();
        }

        assertThat(sampled[1]).as("writers were throttled").isPositive();
        assertThat(sampled[0]).as("dirty + writeback at most").isGreaterThan(hardLimit / 2)
                .isLessThanOrEqualTo(hardLimit + (long) writers * writePages);
        long background = join(engine.stats()).backgroundThresholdPages();
        await().atMost(Duration.ofSeconds(30)).until(() -> { // background writeback goes on down to its threshold
            EngineStats stats = join(engine.stats());
            return stats.dirtyPages() <= background && stats.writebackPages() == 0;
        });
    }

    /** Runs {@code writers} sequential writers, each to its own file; answers what the sampler saw. */
    private long[] writeAndSample(int writers, int writePages, int writesPerWriter,
            AtomicBoolean writing, ExecutorService threads,
            Future<long[]> sampler) throws Exception {
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            done.add(threads.submit(() -> {
                Handle file = join(engine.open("writer-" + writer, true));
                for (int n = 0; n < writesPerWriter; n++) {
                    WriteResult written = join(engine.write(file, (long) n * writePages * PAGE,
                            bytes(writePages * PAGE, writer + 1)));
                    assertThat(written.bytesWritten()).isEqualTo(writePages * PAGE);
                }
                return null;
            }));
        }
        for (Future<?> writer : done) {
            writer.get(120, TimeUnit.SECONDS); // every writer resumed and finished
        }
        writing.set(false);
        return sampler.get(30, TimeUnit.SECONDS);
    }
}
