package dev.writebackd.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.actors.persist.PersistenceConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonConfigTest {
    @TempDir
    Path tmp;

    private static DaemonConfig.Flags flags(Path dataDir, Path configFile, String preset, Long deviceSize) {
        return new DaemonConfig.Flags(dataDir, null, null, configFile, preset, deviceSize);
    }

    private Path configFile(String hocon) throws IOException {
        return Files.writeString(tmp.resolve("daemon.conf"), hocon);
    }

    private static StartupException usageError(DaemonConfig.Flags flags) {
        try {
            DaemonConfig.resolve(flags);
        } catch (StartupException e) {
            assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE);
            assertThat(e.getMessage()).doesNotContain("\n");
            return e;
        }
        throw new AssertionError("no start-up error for " + flags);
    }

    @Test
    void defaultsPutTheDeviceImageAndJournalUnderDataAndListenOnLoopback7878() {
        DaemonConfig config = DaemonConfig.resolve(DaemonConfig.Flags.none());

        assertThat(config.dataDir()).isEqualTo(Path.of("./data"));
        assertThat(config.devicePath()).isEqualTo(Path.of("./data/device.img"));
        assertThat(config.httpHost()).isEqualTo("127.0.0.1");
        assertThat(config.httpPort()).isEqualTo(7878);
        assertThat(config.httpAddress()).isEqualTo("http://127.0.0.1:7878");
        assertThat(config.settings().device().sizeBytes()).isEqualTo(4L << 30);
        assertThat(config.drainTimeout()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void flagsWinOverTheConfigurationFile() throws IOException {
        Path file = configFile("""
                writebackd.daemon { data-dir = "/elsewhere", http-host = "0.0.0.0", http-port = 9000 }
                writebackd.device.size = 1 GiB
                writebackd.writeback.dirty-ratio = 30
                """);
        DaemonConfig config = DaemonConfig.resolve(new DaemonConfig.Flags(tmp.resolve("d"), "localhost", 0, file,
                null, 64L << 20));

        assertThat(config.dataDir()).isEqualTo(tmp.resolve("d"));
        assertThat(config.devicePath()).isEqualTo(tmp.resolve("d").resolve("device.img"));
        assertThat(config.httpHost()).isEqualTo("localhost");
        assertThat(config.httpPort()).isZero();
        assertThat(config.settings().device().sizeBytes()).isEqualTo(64L << 20);
        assertThat(config.settings().writeback().dirtyRatio()).isEqualTo(30);
    }

    @Test
    void theConfigurationFileSetsWhatNoFlagGives() throws IOException {
        Path file = configFile("""
                writebackd.daemon { data-dir = "%s", http-port = 9000 }
                writebackd.device.size = 1 GiB
                """.formatted(tmp.resolve("fromfile")));
        DaemonConfig config = DaemonConfig.resolve(flags(null, file, null, null));

        assertThat(config.dataDir()).isEqualTo(tmp.resolve("fromfile"));
        assertThat(config.httpPort()).isEqualTo(9000);
        assertThat(config.settings().device().sizeBytes()).isEqualTo(1L << 30);
    }

    @Test
    void aPresetFromTheFlagIsAppliedUnderKeysSetExplicitly() throws IOException {
        Path file = configFile("writebackd.writeback.dirty-ratio = 33");
        DaemonConfig config = DaemonConfig.resolve(flags(null, file, "throughput", null));

        assertThat(config.settings().preset()).isEqualTo("throughput");
        assertThat(config.settings().device().queueDepth()).isEqualTo(32);
        assertThat(config.settings().writeback().dirtyRatio()).isEqualTo(33);
    }

    @Test
    void anExplicitDevicePathIsUsedInsteadOfTheImageInTheDataDirectory() throws IOException {
        Path file = configFile("writebackd.device.path = \"" + tmp.resolve("dev.img") + "\"");
        DaemonConfig config = DaemonConfig.resolve(flags(tmp.resolve("d"), file, null, null));

        assertThat(config.devicePath()).isEqualTo(tmp.resolve("dev.img"));
        assertThat(config.dataDir()).isEqualTo(tmp.resolve("d"));
    }

    @Test
    void shutdownPhasesAreSizedToTheDrainTimeout() throws IOException {
        Path file = configFile("writebackd.engine.shutdown-timeout = 90 s");
        DaemonConfig config = DaemonConfig.resolve(flags(null, file, null, null));

        assertThat(config.drainTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(config.httpConfig().getDuration(
                "pekko.coordinated-shutdown.phases.before-actor-system-terminate.timeout"))
                .isEqualTo(Duration.ofSeconds(90).plus(DaemonConfig.SHUTDOWN_MARGIN));
        assertThat(config.httpConfig().getBoolean("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook")).isFalse();
    }

    @Test
    void theEngineIsStoppedOnlyByTheDrainAndItsJournalStaysOpenUntilThen() {
        DaemonConfig config = DaemonConfig.resolve(flags(tmp, null, null, null));
        var engine = PersistenceConfig.forDataDir(tmp, config.engineOverrides());

        assertThat(engine.getBoolean("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook")).isFalse();
        assertThat(engine.getString("writebackd.persistence.url"))
                .contains(";WRITE_DELAY=0").contains(";DB_CLOSE_ON_EXIT=FALSE");
    }

    @Test
    void anUnknownPresetIsRefusedNamingTheKnownOnes() {
        StartupException e = usageError(flags(null, null, "turbo", null));

        assertThat(e.getMessage()).startsWith("writebackd.preset = \"turbo\" is invalid")
                .contains("throughput", "low-latency");
    }

    @Test
    void anInvalidValueInTheFileIsRefusedNamingKeyAndValue() throws IOException {
        Path file = configFile("writebackd.device.block-size = 3000");
        StartupException e = usageError(flags(null, file, null, null));

        assertThat(e.getMessage()).isEqualTo(
                "writebackd.device.block-size = 3000 is invalid: allowed 512, 1024, 2048, 4096");
    }

    @Test
    void aMissingConfigurationFileIsRefused() {
        Path missing = tmp.resolve("nope.conf");
        StartupException e = usageError(flags(null, missing, null, null));

        assertThat(e.getMessage()).isEqualTo("--config " + missing + ": no such file");
    }

    @Test
    void aConfigurationFileThatIsNotHoconIsRefusedNamingTheFile() throws IOException {
        Path file = configFile("writebackd { device {");
        StartupException e = usageError(flags(null, file, null, null));

        assertThat(e.getMessage()).startsWith("invalid configuration: ").contains("daemon.conf");
    }

    @Test
    void aPortOutsideItsRangeIsRefused() throws IOException {
        Path file = configFile("writebackd.daemon.http-port = 70000");
        StartupException e = usageError(flags(null, file, null, null));

        assertThat(e.getMessage()).isEqualTo(
                "writebackd.daemon.http-port = 70000 is invalid: allowed 0 to 65535 (0 picks a free port)");
    }

    @Test
    void aDeviceTooSmallForItsHeaderAndMetadataIsRefusedBeforeAnythingExists() {
        StartupException e = usageError(flags(tmp.resolve("d"), null, null, 32L << 10));

        assertThat(e.getMessage()).isEqualTo("--device-size 32 KiB is smaller than the device's header and"
                + " metadata need: at least 16 blocks of 4096 bytes (64 KiB)");
        assertThat(tmp.resolve("d")).doesNotExist();
    }

    @Test
    void aDeviceSizeThatIsNotAMultipleOfTheBlockSizeIsRefused() {
        StartupException e = usageError(flags(null, null, null, 100_000L));

        assertThat(e.getMessage()).startsWith("writebackd.device.size = 100000 is invalid");
    }

    @Test
    void aDrainTimeoutOfZeroIsRefused() throws IOException {
        Path file = configFile("writebackd.engine.shutdown-timeout = 0 s");
        StartupException e = usageError(flags(null, file, null, null));

        assertThat(e.getMessage()).startsWith("writebackd.engine.shutdown-timeout = PT0S is invalid");
    }

    @Test
    void aNonLoopbackAddressWithoutATokenIsRefused() {
        StartupException e = usageError(new DaemonConfig.Flags(null, "0.0.0.0", null, null, null, null));

        assertThat(e.getMessage()).startsWith("refusing to serve HTTP on 0.0.0.0 without a bearer token")
                .contains("WRITEBACKD_TOKEN");
    }

    @Test
    void aNonLoopbackAddressIsServedWithATokenFromTheEnvironment() {
        DaemonConfig config = DaemonConfig.resolve(new DaemonConfig.Flags(null, "0.0.0.0", null, null, null, null),
                Map.of("WRITEBACKD_TOKEN", "s3cret"));

        assertThat(config.api().token()).contains("s3cret");
        assertThat(config.httpHost()).isEqualTo("0.0.0.0");
    }

    @Test
    void theApiSettingsComeFromTheConfigurationFile() throws IOException {
        Path file = configFile("writebackd.http { max-body = 1 MiB, token = abc }");
        DaemonConfig config = DaemonConfig.resolve(flags(null, file, null, null), Map.of());

        assertThat(config.api().maxBodyBytes()).isEqualTo(1 << 20);
        assertThat(config.api().token()).contains("abc");
    }

    @Test
    void anInvalidBodyLimitIsRefusedNamingTheKey() throws IOException {
        Path file = configFile("writebackd.http.max-body = 0");
        StartupException e = usageError(flags(null, file, null, null));

        assertThat(e.getMessage()).startsWith("writebackd.http.max-body = 0 is invalid");
    }

    @Test
    void theFaultLabPresetTurnsOnTheVolatileCacheAndAWriteLogInTheDataDirectory() {
        DaemonConfig lab = DaemonConfig.resolve(flags(tmp.resolve("d"), null, "fault-lab", null));
        DaemonConfig plain = DaemonConfig.resolve(flags(tmp.resolve("d"), null, null, null));

        assertThat(lab.power()).isEqualTo(new PowerSettings(true, java.util.Optional.of(tmp.resolve("d/write.log"))));
        assertThat(plain.power()).isEqualTo(new PowerSettings(false, java.util.Optional.empty()));
    }

    @Test
    void anInvalidVolatileCacheSettingIsRefusedNamingTheKey() throws IOException {
        Path file = configFile("writebackd.faults.volatile-cache = sometimes");
        StartupException e = usageError(flags(null, file, null, null));

        assertThat(e.getMessage()).isEqualTo("writebackd.faults.volatile-cache = \"sometimes\" is invalid: allowed on or off");
    }

    @Test
    void aWriteLogThatIsNotAPathIsRefusedNamingTheKey() throws IOException {
        Path file = configFile("writebackd.faults.write-log = [1, 2]");
        StartupException e = usageError(flags(null, file, null, null));

        assertThat(e.getMessage()).startsWith("writebackd.faults.write-log = [1,2] is invalid");
    }

    @Test
    void anIPv6HostAppearsInBracketsInTheAddress() {
        assertThat(DaemonConfig.hostForUri("::1")).isEqualTo("[::1]");
        assertThat(DaemonConfig.hostForUri("localhost")).isEqualTo("localhost");
    }

    @Test
    void resolvingTouchesNoFile() {
        assertThatThrownBy(() -> DaemonConfig.resolve(flags(tmp.resolve("d"), null, "turbo", null)))
                .isInstanceOf(StartupException.class);
        DaemonConfig.resolve(flags(tmp.resolve("d"), null, null, null));

        assertThat(tmp.resolve("d")).doesNotExist();
    }
}
