package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.Engine;
import dev.writebackd.actors.Handle;
import dev.writebackd.block.FileDevice;
import dev.writebackd.config.Settings;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ext2 layout killed with SIGKILL in a child JVM while it writes and fsyncs, then restarted
 * here on the same file device and data directory, three rounds. Blocks of 1024 bytes, so the
 * files reach past their 12 direct blocks into the single-indirect map block. What ext2 promises
 * holds: every fsync-acknowledged byte not written since is back, and the start-up check of the
 * committed inodes against the map blocks on the device passes (the engine starts). Unsynced
 * ranges may show stale blocks, as on ext2, so they are not checked.
 */
class Ext2KillTest {
    static final int BLOCK = 1024;
    private static final long TIMEOUT_SECONDS = 30;

    @TempDir
    Path dir;

    static Settings settings() {
        return Settings.load(ConfigFactory.parseString(
                "writebackd.layout = ext2\nwritebackd.page-cache.cache-budget = 16 MiB"));
    }

    @Test
    void everyFsyncAcknowledgedByteSurvivesSigkill() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        byte[][] recovered = new byte[EngineWorkload.FILES][0];
        for (int round = 0; round < 3; round++) {
            String who = "round " + round + " (seed " + seed + ")";
            long childSeed = random.nextLong();
            int killAfter = 3 + random.nextInt(15);
            int lastStarted = -1;
            Set<Integer> synced = new HashSet<>();
            try (ChildJvm writer = ChildJvm.start(dir.resolve("r" + round + ".stderr"), Ext2WriterMain.class,
                    dir.resolve("device").toString(), dir.resolve("data").toString(), Long.toString(childSeed))) {
                boolean ready = false;
                while (!ready || synced.size() < killAfter) {
                    String line = writer.nextLine(who);
                    ready |= line.equals(EngineWriterMain.READY);
                    lastStarted = note(line, synced, lastStarted, who);
                }
                for (String line : writer.kill()) {
                    lastStarted = note(line, synced, lastStarted, who);
                }
            }
            recovered = check(recovered, childSeed, lastStarted, synced, who);
        }
    }

    private static int note(String line, Set<Integer> synced, int lastStarted, String who) {
        if (line.startsWith("FAILED")) {
            fail("%s: %s", who, line);
        }
        if (line.startsWith("START ")) {
            return Integer.parseInt(line.substring(6));
        }
        if (line.startsWith("SYNCED ")) {
            synced.add(Integer.parseInt(line.substring(7)));
        }
        return lastStarted;
    }

    /** Restarts on the device and checks every file's fsync'd bytes against the replayed steps; answers the contents read. */
    private byte[][] check(byte[][] before, long childSeed, int lastStarted, Set<Integer> synced, String who)
            throws Exception {
        int files = EngineWorkload.FILES;
        byte[][] model = new byte[files][];
        byte[][] durable = new byte[files][];
        boolean[][] changed = new boolean[files][EngineWorkload.MAX_FILE];
        for (int f = 0; f < files; f++) {
            model[f] = before[f].clone();
            durable[f] = before[f].clone();
        }
        EngineWorkload workload = new EngineWorkload(childSeed);
        for (int n = 0; n <= lastStarted; n++) {
            EngineWorkload.Step step = workload.next();
            int f = step.file();
            if (step.data() == null) {
                if (synced.contains(n)) {
                    durable[f] = model[f].clone();
                    Arrays.fill(changed[f], false);
                }
                continue;
            }
            int end = (int) step.offset() + step.data().length;
            if (model[f].length < end) {
                model[f] = Arrays.copyOf(model[f], end);
            }
            System.arraycopy(step.data(), 0, model[f], (int) step.offset(), step.data().length);
            Arrays.fill(changed[f], (int) step.offset(), end, true);
        }

        FileDevice device = FileDevice.open(dir.resolve("device"), BLOCK, EngineWorkload.DEVICE_BYTES, false);
        byte[][] read = new byte[files][];
        try {
            Engine engine = Engine.start(settings(), device, PersistenceConfig.prepare(dir.resolve("data")));
            try {
                for (int f = 0; f < files; f++) {
                    Handle handle = engine.open(EngineWorkload.name(f), true).toCompletableFuture()
                            .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    ByteBuffer all = engine.read(handle, 0, 2 * EngineWorkload.MAX_FILE).toCompletableFuture()
                            .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    read[f] = new byte[all.remaining()];
                    all.get(read[f]);
                    engine.close(handle).toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                }
            } finally {
                engine.shutdown().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
        } finally {
            device.close();
        }
        for (int f = 0; f < files; f++) {
            String where = who + ", file " + f;
            assertThat(read[f].length).as(where + ": size").isGreaterThanOrEqualTo(durable[f].length);
            for (int i = 0; i < durable[f].length; i++) {
                if (!changed[f][i] && read[f][i] != durable[f][i]) {
                    fail("%s: fsync'd byte %d is %d, not %d", where, i, read[f][i], durable[f][i]);
                }
            }
        }
        return read;
    }
}
