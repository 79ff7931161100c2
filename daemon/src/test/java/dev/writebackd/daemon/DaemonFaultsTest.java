package dev.writebackd.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.writebackd.block.fault.FaultAction;
import dev.writebackd.block.fault.FaultOp;
import dev.writebackd.block.fault.FaultyDevice;
import dev.writebackd.block.fault.RuleStatus;
import dev.writebackd.config.SettingsException;
import dev.writebackd.error.Errno;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The fault rules' configuration: the run seed, rules installed at start, and invalid rules refused. */
class DaemonFaultsTest {
    @TempDir
    Path tmp;

    private DaemonConfig.Flags flags(String hocon) throws IOException {
        Path file = Files.writeString(tmp.resolve("faults.conf"), hocon);
        return new DaemonConfig.Flags(tmp.resolve("data"), null, 0, file, null, 64L << 20);
    }

    @Test
    void theConfiguredSeedAndRulesAreInstalledAtStartAndListedOverHttp() throws Exception {
        Daemon daemon = Daemon.start(DaemonConfig.resolve(flags("""
                writebackd.faults {
                  seed = 1234
                  rules = [
                    {op = write, action = error, errno = ENOSPC, sectors = [100, 200], count = 3}
                    {op = flush, action = delay, delayMs = 0, seed = 9}
                  ]
                }
                """)));
        try {
            FaultyDevice faults = daemon.faults().orElseThrow();
            assertThat(faults.runSeed()).isEqualTo(1234);
            assertThat(faults.rules()).extracting(s -> s.rule().action()).containsExactly(FaultAction.ERROR, FaultAction.DELAY);
            RuleStatus first = faults.rules().get(0);
            assertThat(first.rule().op()).isEqualTo(FaultOp.WRITE);
            assertThat(first.rule().errno()).isEqualTo(Errno.ENOSPC);
            assertThat(first.rule().count()).isEqualTo(3);
            assertThat(faults.rules().get(1).rule().seed()).isEqualTo(9L);

            HttpResponse<String> listed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + daemon.port() + "/v1/faults")).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode json = new ObjectMapper().readTree(listed.body());
            assertThat(json.get("runSeed").asLong()).isEqualTo(1234);
            assertThat(json.get("faults")).hasSize(2);
        } finally {
            assertThat(daemon.stop().toCompletableFuture().get(2, TimeUnit.MINUTES)).isEqualTo(ExitCodes.OK);
        }
    }

    @Test
    void withoutASeedARandomOneIsPicked() throws Exception {
        Daemon daemon = Daemon.start(DaemonConfig.resolve(flags("")));
        try {
            assertThat(daemon.faults().orElseThrow().runSeed()).isNotZero();
            assertThat(daemon.faults().orElseThrow().rules()).isEmpty();
        } finally {
            daemon.stop().toCompletableFuture().get(2, TimeUnit.MINUTES);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "writebackd.faults.rules = [{action = error, errno = EBOGUS}]|writebackd.faults.rules[0].errno = \"EBOGUS\" is invalid",
            "writebackd.faults.rules = [{action = drop}, {op = write}]|writebackd.faults.rules[1].action = (absent) is invalid",
            "writebackd.faults.rules = [{action = error, colour = red}]|writebackd.faults.rules[0].colour = \"red\" is invalid",
            "writebackd.faults.rules = [{action = error, sectors = [5, 1]}]|writebackd.faults.rules[0].sectors = [5,1] is invalid",
            "writebackd.faults.rules = [3]|writebackd.faults.rules[0] = 3 is invalid",
            "writebackd.faults.rules = {action = error}|writebackd.faults.rules = {\"action\":\"error\"} is invalid",
            "writebackd.faults.seed = lots|writebackd.faults.seed = \"lots\" is invalid"})
    void anInvalidRuleOrSeedIsAUsageErrorNamingItBeforeAnythingExists(String hocon, String message) throws IOException {
        DaemonConfig.Flags flags = flags(hocon);

        assertThatThrownBy(() -> DaemonConfig.resolve(flags))
                .isInstanceOfSatisfying(StartupException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE);
                    assertThat(e.getMessage()).startsWith(message).doesNotContain("\n");
                });
        assertThat(tmp.resolve("data")).doesNotExist();
    }

    @Test
    void theReferenceDefaultsAreNoRulesAndARandomSeed() {
        FaultSettings defaults = FaultSettings.fromConfig(ConfigFactory.load());

        assertThat(defaults.seed()).isZero();
        assertThat(defaults.rules()).isEmpty();
        assertThatThrownBy(() -> FaultSettings.fromConfig(ConfigFactory.parseString(
                "writebackd.faults.rules = [{action = torn, op = read}]")))
                .isInstanceOfSatisfying(SettingsException.class,
                        e -> assertThat(e.key()).isEqualTo("writebackd.faults.rules[0].op"));
    }
}
