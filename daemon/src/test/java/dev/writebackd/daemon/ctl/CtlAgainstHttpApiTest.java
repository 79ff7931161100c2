package dev.writebackd.daemon.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.Engine;
import dev.writebackd.daemon.http.ApiSettings;
import dev.writebackd.daemon.http.HttpApi;
import dev.writebackd.daemon.metrics.EngineMetrics;
import dev.writebackd.daemon.metrics.MemoryEngines;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ctl} against the real HTTP API, bound in-process on an engine over a memory device. */
class CtlAgainstHttpApiTest {
    private static final String TOKEN = "s3cret-token";

    @TempDir
    Path dataDir;

    private Engine engine;
    private ActorSystem<Void> system;
    private ServerBinding binding;

    private String start(ApiSettings settings) {
        engine = MemoryEngines.start(dataDir);
        EngineMetrics metrics = new EngineMetrics(() -> engine);
        system = ActorSystem.create(Behaviors.empty(), "ctl-test", ConfigFactory.parseString("pekko.loglevel = WARNING")
                .withFallback(ConfigFactory.load()));
        HttpApi api = new HttpApi(() -> engine, metrics::scrape, settings);
        binding = MemoryEngines.join(Http.get(system).newServerAt("127.0.0.1", 0).bind(api.route()));
        return "http://127.0.0.1:" + binding.localAddress().getPort();
    }

    @AfterEach
    void stop() {
        if (binding != null) {
            MemoryEngines.join(binding.unbind());
        }
        if (system != null) {
            system.terminate();
            MemoryEngines.join(system.getWhenTerminated());
        }
        if (engine != null) {
            MemoryEngines.stop(engine);
        }
    }

    @Test
    void writeReadFsyncListAndStatsAgainstARunningApi() {
        String url = start(ApiSettings.defaults());
        byte[] first = random(3 * MemoryEngines.PAGE + 100, 1);
        byte[] second = random(5000, 2);

        Ctl.Run write = Ctl.runWithInput(first, "--url", url, "write", "log");
        Ctl.Run append = Ctl.runWithInput(second, "--url", url, "write", "log", "--offset", String.valueOf(first.length),
                "--durability", "synced");
        Ctl.Run fsync = Ctl.run("--url", url, "fsync", "log");
        Ctl.Run read = Ctl.run("--url", url, "read", "log");
        Ctl.Run part = Ctl.run("--url", url, "read", "log", "--offset", "100", "--length", "10");
        Ctl.Run files = Ctl.run("--url", url, "files");
        Ctl.Run sync = Ctl.run("--url", url, "sync");
        Ctl.Run stats = Ctl.run("--url", url, "stats");

        assertThat(List.of(write, append, fsync, read, part, files, sync, stats)).allSatisfy(run -> {
            assertThat(run.stderr()).isEmpty();
            assertThat(run.exit()).isZero();
        });
        assertThat(write.stdout()).isEqualTo("wrote " + first.length + " bytes to log at offset 0\n");
        byte[] whole = new byte[first.length + second.length];
        System.arraycopy(first, 0, whole, 0, first.length);
        System.arraycopy(second, 0, whole, first.length, second.length);
        assertThat(read.stdoutBytes()).isEqualTo(whole);
        assertThat(part.stdoutBytes()).isEqualTo(java.util.Arrays.copyOfRange(first, 100, 110));
        assertThat(files.stdout()).containsPattern("(?m)^log\\s+" + whole.length + "\\s+\\d+$");
        assertThat(stats.stdout()).containsPattern("(?m)^dirtyPages\\s+0$").containsPattern("(?m)^openHandles\\s+0$");
    }

    @Test
    void errorsOfTheRealApiExitOneWithItsErrnoAndMessage() {
        String url = start(ApiSettings.defaults());

        Ctl.Run missing = Ctl.run("--url", url, "read", "nothing-here");
        Ctl.Run badPolicy = Ctl.run("--url", url, "policy", "set", "dirtyRatio=-5");
        Ctl.Run unknownKey = Ctl.run("--url", url, "policy", "set", "dirtyRation=5");
        Ctl.Run faults = Ctl.run("--url", url, "faults", "list");

        assertThat(missing.exit()).isEqualTo(CtlCommand.EXIT_DAEMON_ERROR);
        assertThat(missing.stderr()).startsWith("ENOENT: ").hasLineCount(1);
        assertThat(badPolicy.exit()).isEqualTo(CtlCommand.EXIT_DAEMON_ERROR);
        assertThat(badPolicy.stderr()).startsWith("EINVAL: ").contains("dirtyRatio");
        assertThat(unknownKey.stderr()).startsWith("EINVAL: ").contains("dirtyRation");
        assertThat(faults.exit()).isEqualTo(CtlCommand.EXIT_DAEMON_ERROR);
        assertThat(faults.stderr()).startsWith("ENOTSUP: ");
        assertThat(engine.policy().toMap().get("dirtyRatio")).isNotEqualTo(-5);
    }

    @Test
    void policySetChangesTheRunningEnginesPolicy() {
        String url = start(ApiSettings.defaults());

        Ctl.Run set = Ctl.run("--url", url, "policy", "set", "dirtyRatio=30", "errorPolicy=redirty");
        Ctl.Run get = Ctl.run("--url", url, "policy", "get");

        assertThat(set.exit()).isZero();
        assertThat(get.exit()).isZero();
        assertThat(get.stdout()).containsPattern("(?m)^dirtyRatio\\s+30(\\.0)?$")
                .containsPattern("(?m)^errorPolicy\\s+redirty$");
        assertThat(engine.policy().writeback().errorPolicy().name()).isEqualTo("REDIRTY");
    }

    @Test
    void watchShowsTheEnginesThresholdsAndBandwidthFromTheRealMetrics() {
        String url = start(ApiSettings.defaults());

        Ctl.Run watch = Ctl.run("--url", url, "watch", "--count", "2", "--interval", "10ms");

        assertThat(watch.exit()).isZero();
        assertThat(watch.stdout()).containsPattern("bandwidth estimate\\s+\\d+\\.\\d (KiB|MiB|GiB)/s")
                .containsPattern("dirty threshold\\s+[1-9]\\d*");
    }

    @Test
    void aDaemonWithATokenRefusesCtlWithoutItAndServesItWithIt() {
        String url = start(ApiSettings.defaults().withToken(TOKEN));

        Ctl.Run without = Ctl.run("--url", url, "stats");
        Ctl.Run with = Ctl.run("--url", url, "--token", TOKEN, "stats");

        assertThat(without.exit()).isEqualTo(CtlCommand.EXIT_DAEMON_ERROR);
        assertThat(without.stderr()).startsWith("EACCES: ");
        assertThat(with.exit()).isZero();
    }

    @Test
    void aStreamedWriteOverTheBodyLimitIsRefusedAndWritesNothing() {
        String url = start(ApiSettings.defaults().withMaxBodyBytes(1L << 20));

        Ctl.Run write = Ctl.runWithInput(random(3 << 20, 3), "--url", url, "write", "big");
        Ctl.Run files = Ctl.run("--url", url, "files");

        assertThat(write.exit()).as(write.stderr()).isEqualTo(CtlCommand.EXIT_DAEMON_ERROR);
        assertThat(write.stderr()).startsWith("EFBIG: ");
        List<String> names = new ArrayList<>(files.stdout().lines().skip(1).toList());
        names.removeIf(line -> !line.startsWith("big "));
        assertThat(names).allSatisfy(line -> assertThat(line).containsPattern("^big\\s+0\\s"));
    }

    private static byte[] random(int length, int seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
