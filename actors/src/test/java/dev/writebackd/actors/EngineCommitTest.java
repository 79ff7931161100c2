package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.array;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.persist.PersistenceConfig;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.config.Durability;
import dev.writebackd.config.Settings;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metadata commits through the engine with a persisted journal: periodic commits without fsync,
 * synced writes and sync, each checked by halting the engine (nothing written back or committed
 * after the halt) and reading the file from a fresh engine on the same device and journal.
 */
class EngineCommitTest {
    private static final long DEVICE_BYTES = 16L << 20;

    @TempDir
    Path dataDir;

    private final MemoryDevice device = new MemoryDevice(PAGE, DEVICE_BYTES);

    private Engine start(String settings) {
        Settings parsed = Settings.load(ConfigFactory.parseString("writebackd.page-cache.cache-budget = 16 MiB\n"
                + settings));
        try {
            return Engine.start(parsed, device, PersistenceConfig.prepare(dataDir));
        } catch (java.io.IOException | java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (seed * 31 + i * 7 + 1);
        }
        return bytes;
    }

    /** The contents of {@code name} as a fresh engine on the same device and journal reads them. */
    private byte[] readAfterRestart(String name, int length) {
        return readAfterRestart(new String[] {name}, length)[0];
    }

    /** The contents of each of {@code names}, up to {@code length} bytes, read by one fresh engine. */
    private byte[][] readAfterRestart(String[] names, int length) {
        Engine next = start("");
        try {
            byte[][] contents = new byte[names.length][];
            for (int i = 0; i < names.length; i++) {
                Handle handle = join(next.open(names[i], false));
                contents[i] = array(join(next.read(handle, 0, length + PAGE)));
            }
            return contents;
        } finally {
            join(next.shutdown());
        }
    }

    @Test
    @DisplayName("a written-back mapping is committed within the commit interval without fsync, and its durable future completes then")
    void periodicCommitWithoutFsync() {
        Engine engine = start("writebackd.writeback { commit-interval = 200 ms, dirty-expire-interval = 0 s,"
                + " writeback-interval = 100 ms }");
        byte[] data = pattern(5 * PAGE + 123, 1);
        Handle file = join(engine.open("periodic", true));
        WriteResult written = join(engine.write(file, 0, ByteBuffer.wrap(data)));

        join(written.durable()); // written back by the periodic pass, flushed and committed by the commit round
        EngineStats stats = join(engine.stats());
        assertThat(stats.periodicPasses()).isPositive();
        assertThat(stats.periodicCommits()).isPositive();
        engine.halt();

        assertThat(readAfterRestart("periodic", data.length)).isEqualTo(data);
    }

    @Test
    @DisplayName("a cached write's durable future waits for the commit; a synced write is answered without waiting for the interval")
    void syncedWritesDoNotWaitForTheCommitInterval() {
        Engine engine = start("writebackd.writeback.commit-interval = 1 h");
        byte[] cached = pattern(2 * PAGE, 2); // stays dirty: the expire interval is 30 s
        byte[] synced = pattern(3 * PAGE, 3);
        Handle file = join(engine.open("synced", true));
        WriteResult first = join(engine.write(file, 0, ByteBuffer.wrap(cached)));

        join(engine.write(file, 2 * PAGE, ByteBuffer.wrap(synced), Durability.SYNCED)); // well before an hour
        assertThat(first.durable().toCompletableFuture()).as("still dirty, never written back").isNotDone();
        engine.halt();

        byte[] read = readAfterRestart("synced", 5 * PAGE);
        assertThat(read).hasSize(5 * PAGE);
        assertThat(Arrays.copyOfRange(read, 2 * PAGE, 5 * PAGE)).as("the synced write").isEqualTo(synced);
    }

    @Test
    @DisplayName("E6 sync writes back, flushes and commits every file: a fresh engine sees them all")
    void syncCommitsEveryFile() {
        Engine engine = start("writebackd.writeback.commit-interval = 1 h");
        byte[][] data = new byte[5][];
        for (int f = 0; f < data.length; f++) {
            data[f] = pattern(PAGE * (f + 1) + f, 10 + f);
            Handle file = join(engine.open("sync-" + f, true));
            join(engine.write(file, 0, ByteBuffer.wrap(data[f])));
        }

        join(engine.sync());
        EngineStats stats = join(engine.stats());
        assertThat(stats.dirtyPages() + stats.writebackPages()).isZero();
        assertThat(stats.periodicCommits()).as("the hour has not passed").isZero();
        engine.halt();

        String[] names = new String[data.length];
        Arrays.setAll(names, f -> "sync-" + f);
        byte[][] read = readAfterRestart(names, PAGE * data.length + data.length);
        for (int f = 0; f < data.length; f++) {
            assertThat(read[f]).as("file " + f).isEqualTo(data[f]);
        }
    }

    @Test
    @DisplayName("a cached write's durable future does not complete before a commit covers it")
    void cachedDurableFutureWaitsForTheCommit() {
        Engine engine = start("writebackd.writeback { commit-interval = 1 h, dirty-expire-interval = 0 s,"
                + " writeback-interval = 100 ms }");
        Handle file = join(engine.open("waiting", true));
        WriteResult written = join(engine.write(file, 0, ByteBuffer.wrap(pattern(PAGE, 4))));
        CompletableFuture<Void> durable = written.durable().toCompletableFuture();

        org.awaitility.Awaitility.await().until(() -> {
            EngineStats stats = join(engine.stats());
            return stats.pagesWritten() > 0 && stats.dirtyPages() + stats.writebackPages() == 0;
        });
        assertThat(durable).as("written back, not committed").isNotDone();

        join(engine.fsync(file));
        join(durable);
        join(engine.shutdown());
    }
}
