package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.config.Settings;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code journaled} writes survive SIGKILL without fsync: a child JVM writes journaled data one
 * write at a time while writeback and trims run, is killed, and a fresh engine here on the same
 * file device and data directory must show every acknowledged write — each file equals the model
 * after the last acknowledged write, or after the one in flight at the kill. Two rounds, each
 * continuing on what the previous one left.
 */
class JournaledKillTest {
    private static final long TIMEOUT_SECONDS = 30;

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedJournaledWriteSurvivesSigkill() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        byte[][] base = new byte[JournaledWriterMain.FILES][0];
        for (int round = 0; round < 2; round++) {
            String who = "round " + round + " (seed " + seed + ")";
            long childSeed = random.nextLong();
            int killAfter = 20 + random.nextInt(60);
            Progress progress = new Progress(who, killAfter);
            ChildJvm.runAndKill(dir.resolve("r" + round + ".stderr"), who, progress, JournaledWriterMain.class,
                    dir.resolve("device").toString(), dir.resolve("data").toString(), Long.toString(childSeed));
            base = check(base, childSeed, progress.lastAcked, progress.lastStarted, who);
        }
    }

    /** What the writer reported before it died: the last write it started and the last one acknowledged. */
    private static final class Progress implements ChildJvm.Progress {
        final String who;
        final int killAfter;
        int lastStarted = -1;
        int lastAcked = -1;

        Progress(String who, int killAfter) {
            this.who = who;
            this.killAfter = killAfter;
        }

        @Override
        public void accept(String line) {
            if (line.startsWith("FAILED")) {
                fail("%s: %s", who, line);
            }
            if (line.startsWith("START ")) {
                lastStarted = Integer.parseInt(line.substring(6));
            }
            if (line.startsWith("ACK ")) {
                lastAcked = Integer.parseInt(line.substring(4));
            }
        }

        @Override
        public boolean enough() {
            return lastAcked >= killAfter;
        }
    }

    /** Restarts on the device and compares each file with the models; answers the contents read. */
    private byte[][] check(byte[][] base, long childSeed, int lastAcked, int lastStarted, String who) throws Exception {
        byte[][] acked = model(base, childSeed, lastAcked);
        byte[][] inFlight = model(base, childSeed, lastStarted);
        byte[][] read = new RestartedEngine(dir.resolve("device"), JournaledWriterMain.PAGE,
                JournaledWriterMain.DEVICE_BYTES, Settings.load(ConfigFactory.parseString(JournaledWriterMain.SETTINGS)),
                dir.resolve("data"))
                .readAll(JournaledWriterMain.FILES, JournaledWriterMain::name, true, 2 * JournaledWriterMain.MAX_FILE,
                        TIMEOUT_SECONDS);
        for (int f = 0; f < read.length; f++) {
            if (!Arrays.equals(read[f], acked[f]) && !Arrays.equals(read[f], inFlight[f])) {
                fail("%s, file %d: %d bytes read match neither the model after acknowledged write %d (%d bytes) nor"
                        + " after write %d in flight; first difference at %d", who, f, read[f].length, lastAcked,
                        acked[f].length, lastStarted, Arrays.mismatch(read[f], acked[f]));
            }
        }
        assertThat(lastAcked).as(who).isGreaterThanOrEqualTo(20);
        return read;
    }

    private static byte[][] model(byte[][] base, long seed, int upTo) {
        byte[][] files = new byte[base.length][];
        for (int f = 0; f < base.length; f++) {
            files[f] = base[f].clone();
        }
        for (int n = 0; n <= upTo; n++) {
            JournaledWriterMain.Step step = JournaledWriterMain.step(seed, n);
            int f = step.file();
            int end = step.offset() + step.data().length;
            if (files[f].length < end) {
                files[f] = Arrays.copyOf(files[f], end);
            }
            System.arraycopy(step.data(), 0, files[f], step.offset(), step.data().length);
        }
        return files;
    }
}
