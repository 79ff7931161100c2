package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.array;
import static dev.writebackd.actors.Engines.errno;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.persist.PersistenceConfig;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.MemoryDevice.Request;
import dev.writebackd.config.Settings;
import dev.writebackd.error.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ext2 layout with a data directory: each file's inode is committed by fsync, sync and
 * shutdown, its map blocks stay on the device, and the next engine on the same device and journal
 * reads them back. Block size 1024, so 12 KiB are direct, the next 256 KiB go through the
 * single-indirect map block and beyond that through the double-indirect tree.
 */
class EngineExt2PersistenceTest {
    private static final int BLOCK = 1024;
    private static final int DIRECT_BYTES = 12 * BLOCK;
    private static final int SINGLE_END = DIRECT_BYTES + 256 * BLOCK;
    private static final int MAX_FILE = SINGLE_END + 64 * PAGE;

    @TempDir
    Path dataDir;

    private final MemoryDevice device = new MemoryDevice(BLOCK, 32L << 20);

    private Engine start() {
        Settings settings = Settings.load(ConfigFactory.parseString(
                "writebackd.layout = ext2\nwritebackd.page-cache.cache-budget = 16 MiB"));
        try {
            return Engine.start(settings, device, PersistenceConfig.prepare(dataDir));
        } catch (IOException | SQLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void filesOfEveryTreeDepthReadBackInTheNextEngineWithTheirSizes() {
        byte[] direct = pattern(DIRECT_BYTES - 300, 1);
        byte[] single = pattern(100 * BLOCK + 17, 2);
        byte[] twoLevels = pattern(SINGLE_END + 40 * PAGE + 5, 3);
        byte[] sparse = pattern(3 * PAGE, 4);
        Engine first = start();
        write(first, "direct", 0, direct, true);
        write(first, "single", 0, single, true);
        write(first, "double", 0, twoLevels, false); // the shutdown commits it
        write(first, "sparse", SINGLE_END + PAGE, sparse, true); // double-indirect only, a hole before
        join(first.shutdown());

        Engine second = start();
        try {
            assertThat(contents(second, "direct")).isEqualTo(direct);
            assertThat(contents(second, "single")).isEqualTo(single);
            assertThat(contents(second, "double")).isEqualTo(twoLevels);
            byte[] expectedSparse = new byte[SINGLE_END + PAGE + sparse.length];
            System.arraycopy(sparse, 0, expectedSparse, SINGLE_END + PAGE, sparse.length);
            assertThat(contents(second, "sparse")).isEqualTo(expectedSparse);
        } finally {
            join(second.shutdown());
        }
    }

    @Test
    @DisplayName("E1 ext2 fsync with a data directory: data, then map blocks, then the flush, before it answers")
    void fsyncWritesDataThenMapBlocksThenFlushes() {
        Engine engine = start();
        try {
            Handle file = join(engine.open("file", true));
            join(engine.write(file, 0, ByteBuffer.wrap(pattern(SINGLE_END + 8 * PAGE, 5))));
            device.clearRequests();
            join(engine.fsync(file));
            List<Request> requests = device.requests();
            int flush = requests.size() - 1;
            assertThat(requests.get(flush).op()).isEqualTo(BioOp.FLUSH);
            assertThat(firstIndexOf(requests, false)).isZero();
            assertThat(lastIndexOf(requests, false)).isBetween(0, flush - 1);
            assertThat(lastIndexOf(requests, true)).isBetween(firstIndexOf(requests, false), flush - 1);
        } finally {
            join(engine.shutdown());
        }
    }

    @Test
    void truncatedAndUnlinkedFilesFreeTheirBlocksAcrossRestarts() {
        byte[] shrunkData = pattern(SINGLE_END + 20 * PAGE, 6);
        Engine first = start();
        Handle shrunk = join(first.open("shrunk", true));
        join(first.write(shrunk, 0, ByteBuffer.wrap(shrunkData)));
        join(first.fsync(shrunk));
        write(first, "gone", 0, pattern(200 * BLOCK, 7), true);
        join(first.truncate(shrunk, 20_000)); // frees the double-indirect tree and part of the single one
        join(first.fsync(shrunk));
        join(first.unlink("gone"));
        join(first.shutdown());

        Engine second = start();
        byte[] fresh = pattern(MAX_FILE, 8);
        try {
            assertThat(contents(second, "shrunk")).isEqualTo(Arrays.copyOf(shrunkData, 20_000));
            assertThat(errno(second.open("gone", false))).isEqualTo(Errno.ENOENT);
            write(second, "fresh", 0, fresh, true); // takes the freed blocks
        } finally {
            join(second.shutdown());
        }

        Engine third = start(); // starts only if no block is reached twice
        try {
            assertThat(contents(third, "shrunk")).isEqualTo(Arrays.copyOf(shrunkData, 20_000));
            assertThat(contents(third, "fresh")).isEqualTo(fresh);
        } finally {
            join(third.shutdown());
        }
    }

    @Test
    void aSyncCommitsEveryFileAndAnUnlinkSoAHaltAfterItLosesNothing() {
        byte[] kept = pattern(SINGLE_END + 4 * PAGE, 11);
        Engine first = start();
        write(first, "kept", 0, kept, false);
        write(first, "gone", 0, pattern(40 * BLOCK, 12), true);
        join(first.unlink("gone"));
        join(first.sync());
        first.halt();

        Engine second = start();
        try {
            assertThat(contents(second, "kept")).isEqualTo(kept);
            assertThat(errno(second.open("gone", false))).isEqualTo(Errno.ENOENT);
        } finally {
            join(second.shutdown());
        }
    }

    /**
     * C2 with a crash: an fsync while writes keep extending the file into new map blocks; after a
     * halt the next engine starts (no committed inode reaches a map block that is not on the
     * device) and the bytes written before the fsync are back.
     */
    @Test
    void anFsyncAmidWritesIntoNewMapBlocksCommitsOnlyMapBlocksOnTheDevice() {
        byte[] before = pattern(DIRECT_BYTES + 8 * BLOCK, 13);
        Engine engine = start();
        Handle file = join(engine.open("growing", true));
        join(engine.write(file, 0, ByteBuffer.wrap(before)));
        List<java.util.concurrent.CompletableFuture<?>> writes = new java.util.ArrayList<>();
        java.util.concurrent.CompletableFuture<Void> fsync = null;
        for (int i = 0; i < 40; i++) {
            long offset = before.length + (long) i * 3 * PAGE;
            writes.add(engine.write(file, offset, ByteBuffer.wrap(pattern(2 * PAGE, 100 + i))).toCompletableFuture());
            if (i == 5) {
                fsync = engine.fsync(file).toCompletableFuture();
            }
        }
        join(fsync);
        writes.forEach(Engines::join);
        join(engine.fsync(file));
        writes.add(engine.write(file, SINGLE_END + 2 * PAGE, ByteBuffer.wrap(pattern(PAGE, 99))).toCompletableFuture());
        java.util.concurrent.CompletableFuture<Void> last = engine.fsync(file).toCompletableFuture();
        writes.add(engine.write(file, SINGLE_END + 40 * PAGE, ByteBuffer.wrap(pattern(PAGE, 98))).toCompletableFuture());
        join(last);
        engine.halt();

        Engine next = start();
        try {
            byte[] read = contents(next, "growing");
            assertThat(Arrays.copyOf(read, before.length)).isEqualTo(before);
            assertThat(Arrays.copyOfRange(read, SINGLE_END + 2 * PAGE, SINGLE_END + 3 * PAGE)).isEqualTo(pattern(PAGE, 99));
        } finally {
            join(next.shutdown());
        }
    }

    /**
     * Crash: random writes and fsyncs over several files reaching the double-indirect tree, then
     * the engine halts without writing back or committing. The next engine starts (its check
     * passes) and shows every fsync'd byte not overwritten since.
     */
    @Test
    void afterAHaltEveryFsyncedByteIsBack() {
        for (long seed = 1; seed <= 3; seed++) {
            crashRound(seed);
        }
    }

    private void crashRound(long seed) {
        Random random = new Random(seed);
        int files = 4;
        byte[][] model = new byte[files][0];
        byte[][] synced = new byte[files][0];
        boolean[][] changedSinceSync = new boolean[files][MAX_FILE];
        Engine engine = start();
        Handle[] handles = new Handle[files];
        for (int f = 0; f < files; f++) {
            handles[f] = join(engine.open("s" + seed + "-" + f, true));
        }
        for (int step = 0; step < 50; step++) {
            int f = random.nextInt(files);
            if (random.nextInt(5) == 0) {
                join(engine.fsync(handles[f]));
                synced[f] = model[f].clone();
                Arrays.fill(changedSinceSync[f], false);
                continue;
            }
            int length = 1 + random.nextInt(16 * PAGE);
            int offset = random.nextInt(MAX_FILE - length);
            byte[] data = new byte[length];
            Arrays.fill(data, (byte) (f * 16 + 1 + random.nextInt(8)));
            join(engine.write(handles[f], offset, ByteBuffer.wrap(data)));
            if (model[f].length < offset + length) {
                model[f] = Arrays.copyOf(model[f], offset + length);
            }
            System.arraycopy(data, 0, model[f], offset, length);
            Arrays.fill(changedSinceSync[f], offset, offset + length, true);
        }
        engine.halt();

        Engine next = start(); // refuses to start if a block is reached twice
        try {
            for (int f = 0; f < files; f++) {
                byte[] read = contents(next, "s" + seed + "-" + f);
                String where = "seed " + seed + ", file " + f;
                assertThat(read.length).as(where + ": size").isGreaterThanOrEqualTo(synced[f].length);
                for (int i = 0; i < synced[f].length; i++) {
                    if (!changedSinceSync[f][i] && read[i] != synced[f][i]) {
                        throw new AssertionError(where + ": fsync'd byte " + i + " is " + read[i] + ", not "
                                + synced[f][i]);
                    }
                }
            }
        } finally {
            join(next.shutdown());
        }
    }

    private static void write(Engine engine, String name, long offset, byte[] data, boolean fsync) {
        Handle handle = join(engine.open(name, true));
        join(engine.write(handle, offset, ByteBuffer.wrap(data)));
        if (fsync) {
            join(engine.fsync(handle));
        }
        join(engine.close(handle));
    }

    private static byte[] contents(Engine engine, String name) {
        Handle handle = join(engine.open(name, false));
        byte[] all = array(join(engine.read(handle, 0, MAX_FILE + PAGE)));
        join(engine.close(handle));
        return all;
    }

    private static int firstIndexOf(List<Request> requests, boolean meta) {
        for (int i = 0; i < requests.size(); i++) {
            if (isWrite(requests.get(i), meta)) {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexOf(List<Request> requests, boolean meta) {
        for (int i = requests.size() - 1; i >= 0; i--) {
            if (isWrite(requests.get(i), meta)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isWrite(Request request, boolean meta) {
        return request.op() == BioOp.WRITE && request.flags().contains(BioFlag.META) == meta;
    }

    private static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
