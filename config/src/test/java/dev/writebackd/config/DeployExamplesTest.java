package dev.writebackd.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The files in deploy/ agree with the settings and with each other. */
class DeployExamplesTest {
    private static final Path DEPLOY = Path.of("..", "deploy");
    private static final Path EXAMPLES = DEPLOY.resolve("config");
    /** The daemon's flags (DESIGN.md, the issue "The daemon"). */
    private static final Set<String> DAEMON_FLAGS = Set.of("--data-dir", "--http-port", "--http-host", "--config",
            "--preset", "--device-size", "--log-format");
    /** Unbinding and closing after the drain, on top of writebackd.engine.shutdown-timeout. */
    private static final Duration STOP_MARGIN = Duration.ofSeconds(30);

    @Test
    void everyPresetHasAnExampleConfigAndEveryExampleIsAPreset() throws IOException {
        Set<String> presets = new TreeSet<>(ConfigFactory.defaultReference().getObject(Settings.PRESETS).keySet());

        assertThat(presets).contains("kernel-default", "throughput", "low-latency", "durable", "laptop");
        assertThat(exampleNames()).containsExactlyElementsOf(presets);
    }

    @ParameterizedTest
    @MethodSource("exampleNames")
    void eachExampleLoadsThroughSettingsWithItsPreset(String name) {
        Config file = ConfigFactory.parseFile(EXAMPLES.resolve(name + ".conf").toFile());

        Settings settings = Settings.load(file);

        assertThat(settings.preset()).isEqualTo(name);
        Settings presetAlone = Settings.load(ConfigFactory.parseString("writebackd.preset = " + name));
        assertThat(settings.writeback()).isEqualTo(presetAlone.writeback()); // the policy is the preset's
        assertThat(file.getDuration("writebackd.engine.shutdown-timeout")).isPositive();
    }

    @Test
    void theServiceRunsTheJarWithRealFlagsAndMayWriteOnlyItsDataDirectory() throws IOException {
        String unit = Files.readString(DEPLOY.resolve("writebackd.service"));
        String execStart = setting(unit, "ExecStart").replace("\\\n", " ");

        assertThat(flags(execStart)).isSubsetOf(DAEMON_FLAGS).contains("--data-dir", "--http-port", "--config");
        String dataDir = argument(execStart, "--data-dir");
        assertThat(setting(unit, "ReadWritePaths")).isEqualTo(dataDir);
        assertThat(setting(unit, "ProtectSystem")).isEqualTo("strict");
        assertThat(setting(unit, "NoNewPrivileges")).isEqualTo("yes");
        assertThat(setting(unit, "PrivateTmp")).isEqualTo("yes");
        assertThat(setting(unit, "KillSignal")).isEqualTo("SIGTERM");
        assertThat(setting(unit, "Restart")).isEqualTo("on-failure");
        assertThat(unit).containsPattern("(?m)^User=writebackd$");
    }

    @Test
    void theServiceWaitsLongerThanAnyExampleDrains() throws IOException {
        String unit = Files.readString(DEPLOY.resolve("writebackd.service"));
        Duration stop = Duration.ofSeconds(Long.parseLong(setting(unit, "TimeoutStopSec")));

        for (String name : exampleNames()) {
            Duration drain = Settings.layered(ConfigFactory.parseFile(EXAMPLES.resolve(name + ".conf").toFile()))
                    .getDuration("writebackd.engine.shutdown-timeout");
            assertThat(stop).as(name).isGreaterThan(drain.plus(STOP_MARGIN));
        }
    }

    @Test
    void theContainerRunsTheBuiltJarOnTheDataVolumeAndNeedsAToken() throws IOException {
        String file = Files.readString(DEPLOY.resolve("Containerfile"));

        assertThat(file).containsPattern("(?m)^FROM \\S*eclipse-temurin:17-jre")
                .containsPattern("(?m)^COPY daemon/target/writebackd.jar ")
                .containsPattern("(?m)^VOLUME /data$")
                .containsPattern("(?m)^EXPOSE 7878$")
                .contains("WRITEBACKD_TOKEN");
        String entrypoint = setting(file.replace("ENTRYPOINT ", "ENTRYPOINT="), "ENTRYPOINT");
        assertThat(flags(entrypoint)).isSubsetOf(DAEMON_FLAGS);
        assertThat(argument(entrypoint, "--data-dir")).isEqualTo("/data");
        assertThat(argument(entrypoint, "--http-port")).isEqualTo("7878");
        assertThat(file).contains("COPY deploy/config/ /etc/writebackd/");
        assertThat(exampleNames()).contains(setting(file.replace("    WRITEBACKD_CONFIG", "WRITEBACKD_CONFIG"),
                "WRITEBACKD_CONFIG").replaceAll(".*/(.*)\\.conf$", "$1"));
    }

    static List<String> exampleNames() throws IOException {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".conf"))
                    .map(n -> n.substring(0, n.length() - ".conf".length())).sorted().toList();
        }
    }

    private static String setting(String file, String key) {
        Matcher matcher = Pattern.compile("(?ms)^" + key + "=((?:[^\\n]*\\\\\\n)*[^\\n]*)$").matcher(file);
        assertThat(matcher.find()).as("%s= is set", key).isTrue();
        String value = matcher.group(1).strip();
        assertThat(matcher.find()).as("%s= is set once", key).isFalse();
        return value;
    }

    private static Set<String> flags(String command) {
        return Pattern.compile("(?<=\\s)--[a-z-]+").matcher(command).results().map(m -> m.group())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static String argument(String command, String flag) {
        Matcher matcher = Pattern.compile(Pattern.quote(flag) + "\\s+(\\S+)").matcher(command);
        assertThat(matcher.find()).as("%s is given", flag).isTrue();
        return matcher.group(1);
    }
}
