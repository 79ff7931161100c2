package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.array;
import static dev.writebackd.actors.Engines.errno;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.persist.PersistenceConfig;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.config.Settings;
import dev.writebackd.error.Errno;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** File metadata through the engine: committed by fsync and shutdown, restored by the next engine on the same device and journal. */
class EnginePersistenceTest {
    private static final long DEVICE_BYTES = 16L << 20;
    private static final int MAX_FILE = 24 * PAGE;

    @TempDir
    Path dataDir;

    private final MemoryDevice device = new MemoryDevice(PAGE, DEVICE_BYTES);

    private Engine start(BlockDevice on) {
        Settings settings = Settings.load(ConfigFactory.parseString("writebackd.page-cache.cache-budget = 16 MiB"));
        try {
            return Engine.start(settings, on, PersistenceConfig.prepare(dataDir));
        } catch (java.io.IOException | java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void fsyncedAndShutDownFilesReadBackInTheNextEngineWithTheirSizes() {
        byte[] a = pattern(3 * PAGE + 100, 1);
        byte[] b = pattern(10_000, 2);
        byte[] c = pattern(5 * PAGE, 3);
        Engine first = start(device);
        Handle fileA = join(first.open("a", true));
        Handle fileB = join(first.open("b", true));
        Handle fileC = join(first.open("c", true));
        join(first.write(fileA, 0, ByteBuffer.wrap(a)));
        join(first.write(fileB, 5000, ByteBuffer.wrap(b)));
        join(first.fsync(fileA));
        join(first.fsync(fileB));
        join(first.write(fileC, 0, ByteBuffer.wrap(c))); // not fsync'd: the shutdown commits it
        join(first.shutdown());

        Engine second = start(device);
        try {
            assertThat(contents(second, "a")).isEqualTo(a);
            byte[] expectedB = new byte[5000 + b.length];
            System.arraycopy(b, 0, expectedB, 5000, b.length);
            assertThat(contents(second, "b")).isEqualTo(expectedB);
            assertThat(contents(second, "c")).isEqualTo(c);
        } finally {
            join(second.shutdown());
        }
    }

    @Test
    void truncatedAndUnlinkedFilesFreeTheirBlocksAcrossRestarts() {
        Engine first = start(device);
        Handle shrunk = join(first.open("shrunk", true));
        Handle gone = join(first.open("gone", true));
        join(first.write(shrunk, 0, ByteBuffer.wrap(pattern(8 * PAGE, 4))));
        join(first.write(gone, 0, ByteBuffer.wrap(pattern(8 * PAGE, 5))));
        join(first.fsync(shrunk));
        join(first.fsync(gone));
        join(first.truncate(shrunk, 1000));
        join(first.fsync(shrunk));
        join(first.close(gone));
        join(first.unlink("gone"));
        Handle replaced = join(first.open("replaced", true));
        Handle replacing = join(first.open("replacing", true));
        join(first.write(replaced, 0, ByteBuffer.wrap(pattern(6 * PAGE, 7))));
        join(first.write(replacing, 0, ByteBuffer.wrap(pattern(2 * PAGE, 8))));
        join(first.fsync(replaced));
        join(first.fsync(replacing));
        join(first.close(replaced));
        join(first.rename("replacing", "replaced")); // frees the old target's blocks
        join(first.shutdown());

        Engine second = start(device);
        byte[] fresh = pattern(12 * PAGE, 6);
        try {
            assertThat(contents(second, "shrunk")).isEqualTo(Arrays.copyOf(pattern(8 * PAGE, 4), 1000));
            assertThat(errno(second.open("gone", false))).isEqualTo(Errno.ENOENT);
            assertThat(contents(second, "replaced")).isEqualTo(pattern(2 * PAGE, 8));
            Handle reused = join(second.open("fresh", true)); // may take the freed blocks
            join(second.write(reused, 0, ByteBuffer.wrap(fresh)));
            join(second.fsync(reused));
        } finally {
            join(second.shutdown());
        }

        Engine third = start(device); // starts only if no block is mapped twice
        try {
            assertThat(contents(third, "shrunk")).isEqualTo(Arrays.copyOf(pattern(8 * PAGE, 4), 1000));
            assertThat(contents(third, "fresh")).isEqualTo(fresh);
            assertThat(contents(third, "replaced")).isEqualTo(pattern(2 * PAGE, 8));
        } finally {
            join(third.shutdown());
        }
    }

    @Test
    void aJournalIsNeverPairedWithAnotherDevice() {
        join(start(device).shutdown());
        MemoryDevice other = new MemoryDevice(PAGE, DEVICE_BYTES);

        assertThatThrownBy(() -> start(other)).hasMessageContaining("belongs to device");
    }

    /**
     * Crash: random writes and fsyncs over several files, then the engine halts without writing
     * back or committing. The next engine shows every fsync'd byte not overwritten since, and no
     * file shows a byte of another.
     */
    @Test
    void afterAHaltEveryFsyncedByteIsBackAndNoFileShowsAnothersData() {
        for (long seed = 1; seed <= 3; seed++) {
            crashRound(seed);
        }
    }

    private void crashRound(long seed) {
        Random random = new Random(seed);
        int files = 5;
        byte[][] model = new byte[files][0];
        byte[][] synced = new byte[files][0];
        boolean[][] changedSinceSync = new boolean[files][MAX_FILE];
        Engine engine = start(device);
        Handle[] handles = new Handle[files];
        for (int f = 0; f < files; f++) {
            handles[f] = join(engine.open("s" + seed + "-" + f, true));
        }
        for (int step = 0; step < 60; step++) {
            int f = random.nextInt(files);
            if (random.nextInt(5) == 0) {
                join(engine.fsync(handles[f]));
                synced[f] = model[f].clone();
                Arrays.fill(changedSinceSync[f], false);
                continue;
            }
            int offset = random.nextInt(MAX_FILE - 2 * PAGE);
            int length = 1 + random.nextInt(2 * PAGE);
            byte[] data = new byte[length];
            for (int i = 0; i < length; i++) {
                data[i] = tag(f, random.nextInt(8));
            }
            join(engine.write(handles[f], offset, ByteBuffer.wrap(data)));
            if (model[f].length < offset + length) {
                model[f] = Arrays.copyOf(model[f], offset + length);
            }
            System.arraycopy(data, 0, model[f], offset, length);
            Arrays.fill(changedSinceSync[f], offset, offset + length, true);
        }
        engine.halt();

        Engine next = start(device); // refuses to start if the records map a block twice
        try {
            for (int f = 0; f < files; f++) {
                byte[] read = contents(next, "s" + seed + "-" + f);
                String where = "seed " + seed + ", file " + f;
                assertThat(read.length).as(where + ": size").isGreaterThanOrEqualTo(synced[f].length);
                for (int i = 0; i < read.length; i++) {
                    if (read[i] != 0 && owner(read[i]) != f) {
                        throw new AssertionError(where + ": byte " + i + " belongs to file " + owner(read[i]));
                    }
                    if (i < synced[f].length && !changedSinceSync[f][i] && read[i] != synced[f][i]) {
                        throw new AssertionError(where + ": fsync'd byte " + i + " is " + read[i] + ", not "
                                + synced[f][i]);
                    }
                }
            }
        } finally {
            join(next.shutdown());
        }
    }

    /** A byte of file {@code file}: never zero, and which file wrote it can be told. */
    private static byte tag(int file, int variant) {
        return (byte) (file * 16 + 1 + variant);
    }

    private static int owner(byte value) {
        return ((value & 0xff) - 1) / 16;
    }

    private static byte[] contents(Engine engine, String name) {
        Handle handle = join(engine.open(name, false));
        byte[] all = array(join(engine.read(handle, 0, 64 * PAGE)));
        join(engine.close(handle));
        return all;
    }

    private static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
