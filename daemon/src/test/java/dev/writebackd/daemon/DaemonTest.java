package dev.writebackd.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon started in this JVM: serving, stopping, and the start-up failures that need a machine. */
class DaemonTest {
    private static final long DEVICE = 64L << 20;

    @TempDir
    Path tmp;

    private static DaemonConfig config(Path dataDir, int port) {
        return DaemonConfig.resolve(new DaemonConfig.Flags(dataDir, null, port, null, null, DEVICE));
    }

    private static StartupException startFails(DaemonConfig config) {
        try {
            Daemon daemon = Daemon.start(config);
            daemon.stop().toCompletableFuture().join();
        } catch (StartupException e) {
            assertThat(e.exitCode()).isEqualTo(ExitCodes.FAILURE);
            assertThat(e.getMessage()).doesNotContain("\n");
            return e;
        }
        throw new AssertionError("the daemon started");
    }

    @Test
    void servesHealthOnAFreePortAndStopsWithEverythingWrittenBack() throws Exception {
        Path dataDir = tmp.resolve("data");
        Daemon daemon = Daemon.start(config(dataDir, 0));
        int exit;
        try {
            assertThat(daemon.port()).isPositive();
            HttpResponse<String> health = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.port() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
        } finally {
            exit = daemon.stop().toCompletableFuture().get(2, TimeUnit.MINUTES);
        }

        assertThat(exit).isEqualTo(ExitCodes.OK);
        assertThat(daemon.stop().toCompletableFuture().get(1, TimeUnit.MINUTES)).isEqualTo(ExitCodes.OK);
        assertThat(Files.size(dataDir.resolve("device.img"))).isEqualTo(DEVICE);
        assertThat(dataDir.resolve("journal.mv.db")).isRegularFile();
    }

    @Test
    void aPortInUseStopsTheStartBeforeAnyFileExists() throws IOException {
        Path dataDir = tmp.resolve("data");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            StartupException e = startFails(config(dataDir, taken.getLocalPort()));

            assertThat(e.getMessage()).startsWith("cannot listen on http://127.0.0.1:" + taken.getLocalPort() + ": ")
                    .containsIgnoringCase("in use");
        }
        assertThat(dataDir).doesNotExist();
    }

    @Test
    void aDataDirectoryThatCannotBeCreatedIsNamed() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "not a directory");
        Path dataDir = file.resolve("data");

        StartupException e = startFails(config(dataDir, 0));

        assertThat(e.getMessage()).startsWith("data directory " + dataDir + " cannot be created: ");
    }

    @Test
    void aDeviceImageOfAnotherSizeIsRefusedNamingBothSizesAndLeftAlone() throws IOException {
        Path dataDir = Files.createDirectories(tmp.resolve("data"));
        Path image = Files.write(dataDir.resolve("device.img"), new byte[1 << 20]);

        StartupException e = startFails(config(dataDir, 0));

        assertThat(e.getMessage()).startsWith("device " + image + " cannot be used: ")
                .contains("holds 1048576 bytes", "configured for " + DEVICE);
        assertThat(Files.size(image)).isEqualTo(1 << 20);
        assertThat(dataDir.resolve("journal.mv.db")).doesNotExist();
    }
}
