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
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash of a concurrent workload: {@link StripedWriterMain}'s eight writers, with background and
 * periodic writeback and periodic commits running, killed with SIGKILL at a random point (no
 * drain, nothing written back or committed after the kill); a fresh engine on the same file
 * device and data directory must start (the start-up consistency check passes), show every
 * fsync-acknowledged byte not written since, and never show a byte of another file. Three seeds,
 * each on a new device; the seed is printed on failure.
 */
class EngineCrashTest {
    private static final long TIMEOUT_SECONDS = 60;
    private static final int ROUNDS = 3;

    @TempDir
    Path dir;

    @Test
    @DisplayName("concurrent writers killed with SIGKILL at random points: every fsync-acknowledged byte survives, no file shows another's data, the start-up check passes")
    void concurrentWorkloadSurvivesSigkill() throws Exception {
        long seed = Long.getLong("writebackd.test.seed", System.nanoTime());
        Random random = new Random(seed);
        for (int round = 0; round < ROUNDS; round++) {
            long childSeed = random.nextLong();
            int killAfterSyncs = 4 + random.nextInt(40);
            String who = "round " + round + " (seed " + seed + ", child seed " + childSeed + ", kill after "
                    + killAfterSyncs + " fsyncs)";
            Path device = dir.resolve("device-" + round);
            Path data = dir.resolve("data-" + round);
            Progress progress = new Progress(who);
            try (ChildJvm writer = ChildJvm.start(dir.resolve("r" + round + ".stderr"), StripedWriterMain.class,
                    device.toString(), data.toString(), Long.toString(childSeed))) {
                boolean ready = false;
                while (!ready || progress.syncs < killAfterSyncs) {
                    String line = writer.nextLine(who);
                    ready |= line.equals(StripedWriterMain.READY);
                    progress.note(line);
                }
                for (String line : writer.kill()) {
                    progress.note(line);
                }
            }
            check(device, data, childSeed, progress, who);
        }
    }

    /** What the writers reported before they died. */
    private static final class Progress {
        final String who;
        final int[] lastStarted = new int[StripedWorkload.WRITERS];
        final Set<Long> synced = new HashSet<>();
        int syncs;

        Progress(String who) {
            this.who = who;
            Arrays.fill(lastStarted, -1);
        }

        void note(String line) {
            if (line.startsWith("FAILED")) {
                fail("%s: %s", who, line);
            }
            String[] words = line.split(" ");
            if (words[0].equals("START")) {
                int writer = Integer.parseInt(words[1]);
                lastStarted[writer] = Math.max(lastStarted[writer], Integer.parseInt(words[2]));
            } else if (words[0].equals("SYNCED")) {
                synced.add(key(Integer.parseInt(words[1]), Integer.parseInt(words[2])));
                syncs++;
            }
        }

        static long key(int writer, int step) {
            return (long) writer << 32 | step;
        }
    }

    /** Restarts on the device and journal and checks every file against the writers' replayed steps. */
    private static void check(Path devicePath, Path data, long childSeed, Progress progress, String who)
            throws Exception {
        int files = StripedWriterMain.FILES;
        int size = StripedWriterMain.FILE_BYTES;
        byte[][] model = new byte[files][size];
        byte[][] durable = new byte[files][size];
        boolean[][] changed = new boolean[files][size];
        int[] durableEnd = new int[files];
        int[][] writtenEnd = new int[StripedWorkload.WRITERS][files];
        for (int w = 0; w < StripedWorkload.WRITERS; w++) {
            StripedWorkload steps = new StripedWorkload(childSeed, w, files, size, StripedWriterMain.FSYNC_ONE_IN);
            for (int n = 0; n <= progress.lastStarted[w]; n++) {
                StripedWorkload.Step step = steps.next();
                int f = step.file();
                if (step.isFsync()) {
                    if (progress.synced.contains(Progress.key(w, n))) {
                        for (int i = 0; i < size; i++) {
                            if (StripedWorkload.owns(w, i)) {
                                durable[f][i] = model[f][i];
                                changed[f][i] = false;
                            }
                        }
                        durableEnd[f] = Math.max(durableEnd[f], writtenEnd[w][f]);
                    }
                    continue;
                }
                System.arraycopy(step.data(), 0, model[f], step.offset(), step.data().length);
                Arrays.fill(changed[f], step.offset(), step.end(), true);
                writtenEnd[w][f] = Math.max(writtenEnd[w][f], step.end());
            }
        }

        FileDevice device = FileDevice.open(devicePath, StripedWriterMain.PAGE, StripedWriterMain.DEVICE_BYTES, false);
        byte[][] read = new byte[files][];
        try {
            Settings settings = Settings.load(ConfigFactory.parseString("writebackd.page-cache.cache-budget = 16 MiB"));
            Engine engine = Engine.start(settings, device, PersistenceConfig.prepare(data)); // runs the start-up check
            try {
                for (int f = 0; f < files; f++) {
                    Handle handle = engine.open(StripedWorkload.name(f), false).toCompletableFuture()
                            .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    ByteBuffer all = engine.read(handle, 0, 2 * size).toCompletableFuture()
                            .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    read[f] = new byte[all.remaining()];
                    all.get(read[f]);
                }
            } finally {
                engine.shutdown().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
        } finally {
            device.close();
        }
        for (int f = 0; f < files; f++) {
            String where = who + ", file " + f;
            assertThat(read[f].length).as(where + ": size").isGreaterThanOrEqualTo(durableEnd[f]);
            for (int i = 0; i < read[f].length; i++) {
                if (read[f][i] != 0 && StripedWorkload.owner(read[f][i]) != f) {
                    fail("%s: byte %d belongs to file %d", where, i, StripedWorkload.owner(read[f][i]));
                }
                if (i < size && !changed[f][i] && read[f][i] != durable[f][i]) {
                    fail("%s: fsync'd byte %d (writer %d) is %d, not %d", where, i,
                            (i / StripedWorkload.STRIPE) % StripedWorkload.WRITERS, read[f][i], durable[f][i]);
                }
            }
        }
    }
}
