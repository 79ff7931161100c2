package dev.writebackd.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real jar as a process: ready line, health, SIGTERM, and the start-up errors a script sees. */
class DaemonIT {
    @TempDir
    Path tmp;

    @Test
    void startsOnAFreePortAnswersHealthAndExits0OnSigtermWithJsonLogLines() throws Exception {
        Path dataDir = tmp.resolve("data");
        try (DaemonProcess daemon = DaemonProcess.launch(Map.of(LogFormat.ENV, "json"),
                "--data-dir", dataDir.toString(), "--http-port", "0", "--device-size", "64m")) {
            daemon.awaitReady();
            HttpResponse<String> health = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(daemon.uri("/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);

            assertThat(daemon.terminate()).isEqualTo(ExitCodes.OK);

            assertThat(daemon.stdout()).isNotEmpty().allSatisfy(line -> assertThat(line).startsWith("{").endsWith("}"));
            assertThat(daemon.stdout()).filteredOn(line -> line.contains("writebackd ready on http:\\/\\/127.0.0.1:"))
                    .hasSize(1);
            assertThat(daemon.stdout()).anyMatch(line -> line.contains("writebackd stopped; everything was written back"));
            assertThat(daemon.stderr()).isEmpty();
        }
        assertThat(Files.size(dataDir.resolve("device.img"))).isEqualTo(64L << 20);
        assertThat(dataDir.resolve("journal.mv.db")).isRegularFile();
    }

    @Test
    void aPortInUseIsOneLineOnStderrExitStatus1AndCreatesNothing() throws IOException {
        Path dataDir = tmp.resolve("data");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                DaemonProcess daemon = DaemonProcess.launch(Map.of(), "--data-dir", dataDir.toString(),
                        "--http-port", Integer.toString(taken.getLocalPort()))) {
            assertThat(daemon.awaitExit()).isEqualTo(ExitCodes.FAILURE);

            assertThat(daemon.stderr()).singleElement().asString()
                    .startsWith("writebackd: cannot listen on http://127.0.0.1:" + taken.getLocalPort() + ": ")
                    .containsIgnoringCase("in use");
        }
        assertThat(dataDir).doesNotExist();
    }

    @Test
    void anInvalidConfigurationIsOneLineOnStderrExitStatus2AndCreatesNothing() throws IOException {
        Path dataDir = tmp.resolve("data");
        Path config = Files.writeString(tmp.resolve("bad.conf"), "writebackd.device.queue-depth = 0\n");
        try (DaemonProcess daemon = DaemonProcess.launch(Map.of(), "--data-dir", dataDir.toString(),
                "--http-port", "0", "--config", config.toString())) {
            assertThat(daemon.awaitExit()).isEqualTo(ExitCodes.USAGE);

            assertThat(daemon.stderr()).containsExactly(
                    "writebackd: writebackd.device.queue-depth = 0 is invalid: allowed an integer from 1 to 1024");
        }
        assertThat(dataDir).doesNotExist();
    }

    @Test
    void aSecondDaemonOnTheSameDataDirectoryIsRefusedWhileTheFirstRuns() {
        Path dataDir = tmp.resolve("data");
        try (DaemonProcess first = DaemonProcess.start(dataDir, "--device-size", "64m");
                DaemonProcess second = DaemonProcess.launch(Map.of(), "--data-dir", dataDir.toString(),
                        "--http-port", "0", "--device-size", "64m")) {
            assertThat(second.awaitExit()).isEqualTo(ExitCodes.FAILURE);

            assertThat(second.stderr()).singleElement().asString()
                    .startsWith("writebackd: journal in " + dataDir + " cannot be opened: ");
            assertThat(first.terminate()).isEqualTo(ExitCodes.OK);
        }
    }
}
