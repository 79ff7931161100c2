package dev.writebackd.daemon.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.fault.WriteLog;
import dev.writebackd.daemon.ExitCodes;
import dev.writebackd.daemon.FaultLab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ctl power-cut} against a fault-lab daemon, and {@code ctl replay} of its write log. */
class CtlPowerCutAndReplayTest {
    @TempDir
    Path tmp;

    @Test
    void powerCutPrintsTheSeedAndDroppedSectorsAndBadModesFail() {
        try (FaultLab lab = FaultLab.start(tmp, "preset = fault-lab")) {
            Ctl.Run cut = Ctl.run("--url", lab.url(), "power-cut", "--mode", "random", "--seed", "7");
            assertThat(cut.exit()).as(cut.stderr()).isEqualTo(CtlCommand.EXIT_OK);
            assertThat(cut.stdout()).startsWith("power cut (random): seed 7, ").contains("unflushed sectors dropped");

            Ctl.Run plain = Ctl.run("--url", lab.url(), "power-cut");
            assertThat(plain.exit()).as(plain.stderr()).isEqualTo(CtlCommand.EXIT_OK);
            assertThat(plain.stdout()).startsWith("power cut (drop-unflushed): seed ");

            Ctl.Run bad = Ctl.run("--url", lab.url(), "power-cut", "--mode", "sideways");
            assertThat(bad.exit()).isEqualTo(CtlCommand.EXIT_DAEMON_ERROR);
            assertThat(bad.stderr()).startsWith("EINVAL: ").contains("mode");
        }
    }

    @Test
    void powerCutWithoutAVolatileCacheFails() {
        try (FaultLab lab = FaultLab.start(tmp, "")) {
            Ctl.Run cut = Ctl.run("--url", lab.url(), "power-cut");

            assertThat(cut.exit()).isEqualTo(CtlCommand.EXIT_DAEMON_ERROR);
            assertThat(cut.stderr()).startsWith("ENOTSUP: ").contains("volatile");
        }
    }

    /**
     * The daemon's own device image, captured while it is idle after an fsync and again after it
     * stopped, equals the replay of its write log to the flush the log had reached then — across a
     * power cut in between.
     */
    @Test
    void replayToAFlushEqualsTheDeviceImageAtThatFlush() throws IOException {
        Path log;
        Path image;
        Path atFirst = tmp.resolve("at-first-flush.img");
        long firstEpoch;
        long lastEpoch;
        try (FaultLab lab = FaultLab.start(tmp, "preset = fault-lab")) {
            log = lab.dataDir().resolve("write.log");
            image = lab.dataDir().resolve("device.img");
            long x = lab.open("x");
            lab.write(x, 0, filled(30_000, 1));
            lab.fsync(x); // flushes the cache: the image file now holds what the log says at its last flush
            Files.copy(image, atFirst, StandardCopyOption.REPLACE_EXISTING);
            firstEpoch = lastFlush(log);

            assertThat(Ctl.run("--url", lab.url(), "power-cut", "--mode", "random", "--seed", "11").exit())
                    .isEqualTo(CtlCommand.EXIT_OK);
            long y = lab.open("y");
            lab.write(y, 0, filled(10_000, 2));
            lab.fsync(y);
            assertThat(lab.stop()).isEqualTo(ExitCodes.OK);
        }
        lastEpoch = lastFlush(log);
        assertThat(firstEpoch).isPositive();
        assertThat(lastEpoch).isGreaterThan(firstEpoch);

        Path first = tmp.resolve("replay-first.img");
        Ctl.Run replay = Ctl.run("replay", log.toString(), "--to-flush", Long.toString(firstEpoch), "--out",
                first.toString());
        assertThat(replay.exit()).as(replay.stderr()).isEqualTo(CtlCommand.EXIT_OK);
        assertThat(replay.stdout()).startsWith("replayed " + log + " to flush " + firstEpoch + ": ");
        assertSameBytes(first, atFirst);

        Path last = tmp.resolve("replay-last.img");
        Ctl.Run toEnd = Ctl.run("replay", log.toString(), "--to-flush", Long.toString(lastEpoch), "--out",
                last.toString());
        assertThat(toEnd.exit()).as(toEnd.stderr()).isEqualTo(CtlCommand.EXIT_OK);
        assertThat(toEnd.stdout()).contains("1 power cuts");
        assertSameBytes(last, image);

        Ctl.Run list = Ctl.run("replay", log.toString(), "--list");
        assertThat(list.exit()).as(list.stderr()).isEqualTo(CtlCommand.EXIT_OK);
        assertThat(list.stdout()).contains("flush " + firstEpoch + ": after ", "flush " + lastEpoch + ": after ",
                "power cut (random, seed 11): after ", "67108864-byte device");
        assertThat(list.stdout().indexOf("flush " + firstEpoch + ":"))
                .isLessThan(list.stdout().indexOf("power cut (random"));
    }

    @Test
    void replayRefusesBadInputAndWritesNothing() throws IOException {
        Path notALog = Files.writeString(tmp.resolve("not-a-log"), "hello, this is a text file, not a log");
        Path out = tmp.resolve("out.img");

        Ctl.Run missing = Ctl.run("replay", tmp.resolve("absent.log").toString(), "--to-flush", "1", "--out",
                out.toString());
        assertThat(missing.exit()).isEqualTo(CtlCommand.EXIT_DAEMON_ERROR);
        assertThat(missing.stderr()).contains("no such file");

        Ctl.Run bad = Ctl.run("replay", notALog.toString(), "--to-flush", "0", "--out", out.toString());
        assertThat(bad.exit()).isEqualTo(CtlCommand.EXIT_DAEMON_ERROR);
        assertThat(bad.stderr()).contains("not a writebackd write log");

        assertThat(Ctl.run("replay", notALog.toString(), "--to-flush", "1").exit()).isEqualTo(CtlCommand.EXIT_USAGE);
        assertThat(Ctl.run("replay", notALog.toString(), "--out", out.toString()).exit()).isEqualTo(CtlCommand.EXIT_USAGE);
        assertThat(Ctl.run("replay", notALog.toString(), "--list").exit()).isEqualTo(CtlCommand.EXIT_DAEMON_ERROR);
        assertThat(Ctl.run("replay", notALog.toString(), "--to-flush", "-1", "--out", out.toString()).exit())
                .isEqualTo(CtlCommand.EXIT_USAGE);
        assertThat(out).doesNotExist();
    }

    private static long lastFlush(Path log) throws IOException {
        long epoch = 0;
        try (WriteLog reader = WriteLog.open(log)) {
            for (WriteLog.Record r = reader.next(); r != null; r = reader.next()) {
                if (r instanceof WriteLog.Flush flush) {
                    epoch = flush.epoch();
                }
            }
        }
        return epoch;
    }

    private static void assertSameBytes(Path actual, Path expected) throws IOException {
        assertThat(Files.size(actual)).isEqualTo(Files.size(expected));
        assertThat(Files.mismatch(actual, expected)).as("first differing byte").isEqualTo(-1L);
    }

    private static byte[] filled(int length, int value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return bytes;
    }
}
