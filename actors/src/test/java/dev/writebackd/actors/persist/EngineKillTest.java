package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.config.Settings;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine killed with SIGKILL in a child JVM while it writes and fsyncs, then restarted here
 * on the same file device and data directory, three rounds: every fsync-acknowledged byte not
 * written since is back, no file shows a byte of another, and the start-up check passes (the
 * engine starts).
 */
class EngineKillTest {
    private static final long TIMEOUT_SECONDS = 30;

    @TempDir
    Path dir;

    static Settings settings() {
        return Settings.load(ConfigFactory.parseString("writebackd.page-cache.cache-budget = 16 MiB"));
    }

    @Test
    void everyFsyncAcknowledgedByteSurvivesSigkill() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        byte[][] recovered = new byte[EngineWorkload.FILES][0];
        for (int round = 0; round < 3; round++) {
            String who = "round " + round + " (seed " + seed + ")";
            long childSeed = random.nextLong();
            EngineWorkloadProgress progress = new EngineWorkloadProgress(who, 3 + random.nextInt(15));
            ChildJvm.runAndKill(dir.resolve("r" + round + ".stderr"), who, progress, EngineWriterMain.class,
                    dir.resolve("device").toString(), dir.resolve("data").toString(), Long.toString(childSeed));
            recovered = check(progress.replay(recovered, childSeed), who);
        }
    }

    /** Restarts on the device and checks every file against the replayed steps; answers the contents read. */
    private byte[][] check(EngineWorkloadProgress.Durable durable, String who) throws Exception {
        byte[][] read = new RestartedEngine(dir.resolve("device"), EngineWorkload.PAGE, EngineWorkload.DEVICE_BYTES,
                settings(), dir.resolve("data"))
                .readAll(EngineWorkload.FILES, EngineWorkload::name, true, 2 * EngineWorkload.MAX_FILE, TIMEOUT_SECONDS);
        for (int f = 0; f < read.length; f++) {
            String where = who + ", file " + f;
            byte[] fsynced = durable.bytes()[f];
            boolean[] changed = durable.changed()[f];
            assertThat(read[f].length).as(where + ": size").isGreaterThanOrEqualTo(fsynced.length);
            for (int i = 0; i < read[f].length; i++) {
                if (read[f][i] != 0 && EngineWorkload.owner(read[f][i]) != f) {
                    fail("%s: byte %d belongs to file %d", where, i, EngineWorkload.owner(read[f][i]));
                }
                if (i < fsynced.length && !changed[i] && read[f][i] != fsynced[i]) {
                    fail("%s: fsync'd byte %d is %d, not %d", where, i, read[f][i], fsynced[i]);
                }
            }
        }
        return read;
    }
}
