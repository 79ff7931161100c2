package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.config.Settings;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
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
            Progress progress = new Progress(who, killAfterSyncs);
            ChildJvm.runAndKill(dir.resolve("r" + round + ".stderr"), who, progress, StripedWriterMain.class,
                    device.toString(), data.toString(), Long.toString(childSeed));
            check(device, data, childSeed, progress, who);
        }
    }

    /** What the writers reported before they died. */
    private static final class Progress implements ChildJvm.Progress {
        final String who;
        final int killAfterSyncs;
        final int[] lastStarted = new int[StripedWorkload.WRITERS];
        final Set<Long> synced = new HashSet<>();
        int syncs;
        boolean ready;

        Progress(String who, int killAfterSyncs) {
            this.who = who;
            this.killAfterSyncs = killAfterSyncs;
            Arrays.fill(lastStarted, -1);
        }

        @Override
        public void accept(String line) {
            if (line.startsWith("FAILED")) {
                fail("%s: %s", who, line);
            }
            ready |= line.equals(StripedWriterMain.READY);
            String[] words = line.split(" ");
            if (words[0].equals("START")) {
                int writer = Integer.parseInt(words[1]);
                lastStarted[writer] = Math.max(lastStarted[writer], Integer.parseInt(words[2]));
            } else if (words[0].equals("SYNCED")) {
                synced.add(key(Integer.parseInt(words[1]), Integer.parseInt(words[2])));
                syncs++;
            }
        }

        @Override
        public boolean enough() {
            return ready && syncs >= killAfterSyncs;
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

        byte[][] read = new RestartedEngine(devicePath, StripedWriterMain.PAGE, StripedWriterMain.DEVICE_BYTES,
                Settings.load(ConfigFactory.parseString("writebackd.page-cache.cache-budget = 16 MiB")), data)
                .readAll(files, StripedWorkload::name, false, 2 * size, TIMEOUT_SECONDS);
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
