package dev.writebackd.daemon.ctl;

import static dev.writebackd.daemon.ctl.StubDaemon.Answer.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.Engine;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.fault.FaultAction;
import dev.writebackd.block.fault.FaultyDevice;
import dev.writebackd.daemon.http.ApiSettings;
import dev.writebackd.daemon.http.HttpApi;
import dev.writebackd.daemon.metrics.MemoryEngines;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ctl faults add|list|rm|clear|release}: the requests they send and what they print. */
class FaultsCommandTest {
    @TempDir
    Path dataDir;

    private final StubDaemon stub = newStub();
    private Engine engine;
    private ActorSystem<Void> system;
    private ServerBinding binding;

    private static StubDaemon newStub() {
        try {
            return new StubDaemon();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterEach
    void stop() {
        stub.close();
        if (binding != null) {
            MemoryEngines.join(binding.unbind());
            system.terminate();
            MemoryEngines.join(system.getWhenTerminated());
            MemoryEngines.stop(engine);
        }
    }

    private Ctl.Run ctl(String url, String... args) {
        List<String> all = new ArrayList<>(List.of("--url", url));
        all.addAll(List.of(args));
        return Ctl.run(all.toArray(String[]::new));
    }

    @Test
    void addSendsKeyValueFieldsAsTypedJson() {
        stub.on("POST", "/v1/faults", json(201, "{\"id\": 3}"));

        Ctl.Run run = ctl(stub.url(), "faults", "add", "action=error", "op=write", "errno=ENOSPC", "every=10",
                "probability=0.5", "sectors=0,100", "file=2024");

        assertThat(run.exit()).isZero();
        assertThat(run.stdout()).isEqualTo("added fault 3\n");
        assertThat(stub.only().bodyText()).isEqualTo("{\"action\":\"error\",\"op\":\"write\",\"errno\":\"ENOSPC\","
                + "\"every\":10,\"probability\":0.5,\"sectors\":[0,100],\"file\":\"2024\"}");
    }

    @Test
    void addMergesAJsonObjectWithKeyValueFields() {
        stub.on("POST", "/v1/faults", json(201, "{\"id\": 4}"));

        Ctl.Run run = ctl(stub.url(), "faults", "add", "{\"action\": \"badblock\"}", "badSectors=[8, 9]", "seed=-3");

        assertThat(run.exit()).isZero();
        assertThat(stub.only().bodyText()).isEqualTo("{\"action\":\"badblock\",\"badSectors\":[8,9],\"seed\":-3}");
    }

    @Test
    void aFieldGivenTwiceOrAMalformedPartIsAUsageErrorAndSendsNothing() {
        List<Ctl.Run> runs = List.of(
                ctl(stub.url(), "faults", "add", "{\"action\": \"drop\"}", "action=error"),
                ctl(stub.url(), "faults", "add", "action"),
                ctl(stub.url(), "faults", "add", "{not json"),
                ctl(stub.url(), "faults", "add"));

        assertThat(runs).allSatisfy(run -> assertThat(run.exit()).isEqualTo(CtlCommand.EXIT_USAGE));
        assertThat(runs.get(0).stderr()).contains("'action' is given twice");
        assertThat(stub.requests()).isEmpty();
    }

    @Test
    void listPrintsTheRunSeedAndATableWithHits() {
        stub.on("GET", "/v1/faults", json(200, "{\"runSeed\": 77, \"faults\": ["
                + "{\"id\": 1, \"hits\": 12, \"matches\": 40, \"stalled\": 0, \"expired\": false, \"rule\": "
                + "{\"op\": \"write\", \"action\": \"error\", \"errno\": \"EIO\", \"every\": 3, \"seed\": 5}},"
                + "{\"id\": 2, \"hits\": 1, \"matches\": 1, \"stalled\": 1, \"expired\": true, \"rule\": "
                + "{\"op\": \"flush\", \"action\": \"stall\", \"count\": 1, \"seed\": -9}}]}"));

        Ctl.Run run = ctl(stub.url(), "faults", "list");

        assertThat(run.exit()).isZero();
        assertThat(run.stdout()).isEqualTo(""
                + "run seed 77\n"
                + "ID  ACTION  OP     HITS  MATCHES  STALLED  STATE    RULE\n"
                + "1   error   write    12       40        0  active   errno=EIO every=3 seed=5\n"
                + "2   stall   flush     1        1        1  expired  count=1 seed=-9\n");
    }

    @Test
    void releasePrintsHowManyBiosWentAndAnEmptyListSaysSo() {
        stub.on("POST", "/v1/faults/release", json(200, "{\"released\": 2}"))
                .on("GET", "/v1/faults", json(200, "{\"runSeed\": 1, \"faults\": []}"));

        assertThat(ctl(stub.url(), "faults", "release").stdout()).isEqualTo("released 2 stalled bio(s)\n");
        assertThat(ctl(stub.url(), "faults", "list").stdout()).isEqualTo("run seed 1\nno fault rules\n");
    }

    @Test
    void addListRemoveAndClearAgainstTheRealApi() {
        FaultyDevice faults = new FaultyDevice(new MemoryDevice(4096, 1 << 20), 11);
        String url = startApi(faults);

        Ctl.Run added = ctl(url, "faults", "add", "action=error", "op=write", "count=2");
        Ctl.Run invalid = ctl(url, "faults", "add", "action=error", "every=0");
        Ctl.Run second = ctl(url, "faults", "add", "{\"action\": \"delay\", \"delayMs\": 5}");
        Ctl.Run listed = ctl(url, "faults", "list");

        assertThat(added.stdout()).isEqualTo("added fault 1\n");
        assertThat(invalid.exit()).isEqualTo(CtlCommand.EXIT_DAEMON_ERROR);
        assertThat(invalid.stderr()).isEqualTo("EINVAL: every = 0 is invalid: allowed a whole number, 1 or more\n");
        assertThat(second.stdout()).isEqualTo("added fault 2\n");
        assertThat(listed.stdout()).startsWith("run seed 11\n").contains("error", "delay", "count=2", "delayMs=5");
        assertThat(faults.rules()).extracting(s -> s.rule().action()).containsExactly(FaultAction.ERROR, FaultAction.DELAY);

        assertThat(ctl(url, "faults", "rm", "1").stdout()).isEqualTo("removed fault 1\n");
        assertThat(ctl(url, "faults", "rm", "1").stderr()).isEqualTo("ENOENT: no fault rule 1\n");
        assertThat(ctl(url, "faults", "release").stdout()).isEqualTo("released 0 stalled bio(s)\n");
        assertThat(ctl(url, "faults", "clear").stdout()).isEqualTo("removed every fault\n");
        assertThat(faults.rules()).isEmpty();
    }

    private String startApi(FaultyDevice faults) {
        engine = MemoryEngines.start(dataDir);
        system = ActorSystem.create(Behaviors.empty(), "faults-ctl-test",
                ConfigFactory.parseString("pekko.loglevel = WARNING").withFallback(ConfigFactory.load()));
        HttpApi api = new HttpApi(() -> engine, () -> CompletableFuture.completedFuture(""), ApiSettings.defaults(),
                () -> faults);
        binding = MemoryEngines.join(Http.get(system).newServerAt("127.0.0.1", 0).bind(api.route()));
        return "http://127.0.0.1:" + binding.localAddress().getPort();
    }
}
