package dev.writebackd.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real jar with fault settings: the run seed line, and an invalid rule as a usage error. */
class DaemonFaultsIT {
    @TempDir
    Path tmp;

    @Test
    void logsTheRunSeedOnceAtStart() throws IOException {
        Path config = Files.writeString(tmp.resolve("seed.conf"), "writebackd.faults.seed = 4242\n");
        try (DaemonProcess daemon = DaemonProcess.start(tmp.resolve("data"), "--device-size", "64m",
                "--config", config.toString())) {
            assertThat(daemon.stdout()).filteredOn(line -> line.contains("run seed ")).singleElement().asString()
                    .contains("run seed 4242");
            assertThat(daemon.terminate()).isEqualTo(ExitCodes.OK);
        }
    }

    @Test
    void anInvalidRuleIsOneLineOnStderrExitStatus2AndCreatesNothing() throws IOException {
        Path dataDir = tmp.resolve("data");
        Path config = Files.writeString(tmp.resolve("bad.conf"),
                "writebackd.faults.rules = [{op = write, action = error, every = 0}]\n");
        try (DaemonProcess daemon = DaemonProcess.launch(Map.of(), "--data-dir", dataDir.toString(),
                "--http-port", "0", "--config", config.toString())) {
            assertThat(daemon.awaitExit()).isEqualTo(ExitCodes.USAGE);

            assertThat(daemon.stderr()).singleElement().asString()
                    .startsWith("writebackd: writebackd.faults.rules[0].every = 0 is invalid");
        }
        assertThat(dataDir).doesNotExist();
    }
}
