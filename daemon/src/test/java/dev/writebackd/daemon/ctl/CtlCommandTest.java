package dev.writebackd.daemon.ctl;

import static dev.writebackd.daemon.ctl.StubDaemon.Answer.empty;
import static dev.writebackd.daemon.ctl.StubDaemon.Answer.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writebackd.daemon.ctl.StubDaemon.Answer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** Each subcommand against a stub daemon: the request it sends, what it prints, its exit code. */
class CtlCommandTest {
    private static final String STATS = "{\"dirtyPages\": 12, \"writebackPages\": 3, \"heldPages\": 0,"
            + " \"cachedPages\": 40, \"backgroundThresholdPages\": 100, \"dirtyThresholdPages\": 200,"
            + " \"biosSubmitted\": 7, \"pagesWritten\": 1500, \"writeErrors\": 0, \"throttledWriters\": 1,"
            + " \"openHandles\": 2, \"activeFiles\": 2}";
    private static final String NOT_YET = "{\"errno\": \"ENOTSUP\", \"message\": \"fault injection is not built yet\"}";

    private final StubDaemon daemon = newDaemon();

    @AfterEach
    void stop() {
        daemon.close();
    }

    @Test
    void filesListsNamesSizesAndInodesInAlignedColumns() {
        daemon.on("GET", "/v1/files", json(200, "{\"files\": [{\"name\": \"log\", \"inode\": 1, \"size\": 123456},"
                + " {\"name\": \"a-longer-name\", \"inode\": 2, \"size\": 7}]}"));

        Ctl.Run run = ctl("files");

        assertThat(run.exit()).isZero();
        assertThat(daemon.only().method()).isEqualTo("GET");
        assertThat(run.stdout()).isEqualTo(""
                + "NAME             SIZE  INODE\n"
                + "log            123456      1\n"
                + "a-longer-name       7      2\n");
    }

    @Test
    void writeStreamsStandardInputToTheFileAtTheOffsetWithTheDurability() {
        daemon.on("PUT", "/v1/files/log", json(200, "{\"written\": 300000}"));
        byte[] data = new byte[300_000];
        new Random(7).nextBytes(data);

        Ctl.Run run = Ctl.runWithInput(data, "--url", daemon.url(), "write", "log", "--offset", "4096",
                "--durability", "synced");

        assertThat(run.exit()).isZero();
        StubDaemon.Request request = daemon.only();
        assertThat(request.method()).isEqualTo("PUT");
        assertThat(request.query()).isEqualTo("offset=4096&durability=synced");
        assertThat(request.body()).isEqualTo(data);
        assertThat(request.transferEncoding()).isEqualToIgnoringCase("chunked"); // streamed, no length known upfront
        assertThat(run.stdout()).isEqualTo("wrote 300000 bytes to log at offset 4096\n");
    }

    @Test
    void writeEncodesTheNameAsOnePathSegmentAndDefaultsToOffsetZero() {
        daemon.on("PUT", "/v1/files/my%20file", json(200, "{\"written\": 2}"));

        Ctl.Run run = Ctl.runWithInput("hi".getBytes(StandardCharsets.UTF_8), "--url", daemon.url(), "write",
                "my file");

        assertThat(run.exit()).isZero();
        assertThat(daemon.only().query()).isEqualTo("offset=0");
    }

    @Test
    void readCopiesTheAnswersBytesToStandardOutputUnchanged() {
        byte[] bytes = new byte[70_000];
        new Random(3).nextBytes(bytes);
        daemon.on("GET", "/v1/files/log", new Answer(200, "application/octet-stream", bytes));

        Ctl.Run run = ctl("read", "log", "--offset", "10", "--length", "70000");

        assertThat(run.exit()).isZero();
        assertThat(daemon.only().query()).isEqualTo("offset=10&length=70000");
        assertThat(run.stdoutBytes()).isEqualTo(bytes);
    }

    @Test
    void readWithoutRangeSendsNoRangeAndTheDaemonReadsTheWholeFile() {
        daemon.on("GET", "/v1/files/log", new Answer(200, "application/octet-stream", "all".getBytes()));

        Ctl.Run run = ctl("read", "log");

        assertThat(run.exit()).isZero();
        assertThat(daemon.only().query()).isNull();
        assertThat(run.stdout()).isEqualTo("all");
    }

    @Test
    void fsyncAndSyncPostAndSayOk() {
        daemon.on("POST", "/v1/files/log/fsync", empty(204)).on("POST", "/v1/sync", empty(204));

        Ctl.Run fsync = ctl("fsync", "log");
        Ctl.Run sync = ctl("sync");

        assertThat(fsync.exit()).isZero();
        assertThat(sync.exit()).isZero();
        assertThat(daemon.requests()).extracting(StubDaemon.Request::method, StubDaemon.Request::path)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("POST", "/v1/files/log/fsync"),
                        org.assertj.core.groups.Tuple.tuple("POST", "/v1/sync"));
        assertThat(fsync.stdout()).isEqualTo("fsync log: ok\n");
        assertThat(sync.stdout()).isEqualTo("sync: ok\n");
    }

    @Test
    void statsIsATableOfKeysAndRightAlignedValues() {
        daemon.on("GET", "/v1/stats", json(200, STATS));

        Ctl.Run run = ctl("stats");

        assertThat(run.exit()).isZero();
        List<String> lines = run.stdout().lines().toList();
        assertThat(lines).hasSize(12).contains("dirtyPages                  12", "pagesWritten              1500",
                "backgroundThresholdPages   100");
        assertThat(lines).allSatisfy(line -> assertThat(line).hasSize(lines.get(0).length()));
    }

    @Test
    void watchRedrawsTheCountedFramesWithAnsiClear() {
        daemon.on("GET", "/v1/stats", json(200, STATS)).on("GET", "/metrics", new Answer(200, "text/plain",
                ("# TYPE writebackd_write_bandwidth_bytes_per_second gauge\n"
                        + "writebackd_write_bandwidth_bytes_per_second{device=\"d\"} 1.048576E8\n").getBytes()));

        Ctl.Run run = ctl("watch", "--count", "3", "--interval", "10ms");

        assertThat(run.exit()).isZero();
        assertThat(run.stdout().split(java.util.regex.Pattern.quote(WatchCommand.CLEAR), -1)).hasSize(4);
        assertThat(daemon.requests().stream().filter(r -> r.path().equals("/v1/stats"))).hasSize(3);
        String lastFrame = run.stdout().substring(run.stdout().lastIndexOf(WatchCommand.CLEAR));
        assertThat(lastFrame).contains("dirty threshold", "200", "100.0 MiB/s", "[##");
        assertThat(lastFrame).containsPattern("written\\s+0\\.0 pages/s"); // the counter did not move
    }

    @Test
    void watchShowsWhatItHasWhenTheMetricsAreMissing() {
        daemon.on("GET", "/v1/stats", json(200, STATS));

        Ctl.Run run = ctl("watch", "--count", "1");

        assertThat(run.exit()).isZero();
        assertThat(run.stdout()).containsPattern("bandwidth estimate\\s+-");
    }

    @Test
    void policyGetPrintsTheKeysAndValues() {
        daemon.on("GET", "/v1/policy", json(200, "{\"dirtyRatio\": 20, \"errorPolicy\": \"linux\"}"));

        Ctl.Run run = ctl("policy", "get");

        assertThat(run.exit()).isZero();
        assertThat(run.stdout()).isEqualTo("dirtyRatio   20\nerrorPolicy  linux\n");
    }

    @Test
    void policySetSendsOnePatchWithNumbersAsNumbers() throws IOException {
        daemon.on("PATCH", "/v1/policy", json(200, "{\"dirtyRatio\": 30, \"errorPolicy\": \"sticky\","
                + " \"dirtyBackgroundRatio\": 2.5}"));

        Ctl.Run run = ctl("policy", "set", "dirtyRatio=30", "errorPolicy=sticky", "dirtyBackgroundRatio=2.5",
                "dirtyBytes=0");

        assertThat(run.exit()).isZero();
        StubDaemon.Request request = daemon.only();
        assertThat(request.contentType()).isEqualTo("application/json");
        assertThat(new ObjectMapper().readTree(request.body())).isEqualTo(new ObjectMapper().readTree(
                "{\"dirtyRatio\": 30, \"errorPolicy\": \"sticky\", \"dirtyBackgroundRatio\": 2.5, \"dirtyBytes\": 0}"));
        assertThat(run.stdout()).contains("errorPolicy", "sticky");
    }

    @Test
    void policySetRefusedByTheDaemonExitsOneWithItsMessage() {
        daemon.on("PATCH", "/v1/policy", json(400, "{\"errno\": \"EINVAL\", \"message\": \"unknown key \\\"dirtyRation\\\"\"}"));

        Ctl.Run run = ctl("policy", "set", "dirtyRation=3");

        assertThat(run.exit()).isEqualTo(CtlCommand.EXIT_DAEMON_ERROR);
        assertThat(run.stderr()).isEqualTo("EINVAL: unknown key \"dirtyRation\"\n");
        assertThat(run.stdout()).isEmpty();
    }

    @Test
    void faultsSubcommandsSendTheirRequestsAndReportTheNotImplementedAnswer() {
        daemon.on("GET", "/v1/faults", json(501, NOT_YET)).on("POST", "/v1/faults", json(501, NOT_YET))
                .on("DELETE", "/v1/faults/7", json(501, NOT_YET)).on("DELETE", "/v1/faults", json(501, NOT_YET))
                .on("POST", "/v1/faults/release", json(501, NOT_YET));

        List<Ctl.Run> runs = List.of(ctl("faults", "list"), ctl("faults", "add", "{\"op\": \"write\", \"errno\": \"EIO\"}"),
                ctl("faults", "rm", "7"), ctl("faults", "clear"), ctl("faults", "release"));

        assertThat(runs).allSatisfy(run -> {
            assertThat(run.exit()).isEqualTo(CtlCommand.EXIT_DAEMON_ERROR);
            assertThat(run.stderr()).isEqualTo("ENOTSUP: fault injection is not built yet\n");
        });
        assertThat(daemon.requests()).extracting(r -> r.method() + " " + r.path()).containsExactly(
                "GET /v1/faults", "POST /v1/faults", "DELETE /v1/faults/7", "DELETE /v1/faults",
                "POST /v1/faults/release");
        assertThat(daemon.requests().get(1).bodyText()).isEqualTo("{\"op\":\"write\",\"errno\":\"EIO\"}");
    }

    @Test
    void faultsAddPrintsTheNewRulesId() {
        daemon.on("POST", "/v1/faults", json(201, "{\"id\": 4}"));

        Ctl.Run run = ctl("faults", "add", "{\"op\": \"write\"}");

        assertThat(run.exit()).isZero();
        assertThat(run.stdout()).isEqualTo("added fault 4\n");
    }

    @Test
    void anErrorAnswerExitsOneWithErrnoAndMessageOnStandardError() {
        daemon.on("GET", "/v1/files/nope", json(404, "{\"errno\": \"ENOENT\", \"message\": \"no file nope\"}"));

        Ctl.Run run = ctl("read", "nope");

        assertThat(run.exit()).isEqualTo(CtlCommand.EXIT_DAEMON_ERROR);
        assertThat(run.stderr()).isEqualTo("ENOENT: no file nope\n");
        assertThat(run.stdoutBytes()).isEmpty();
    }

    @Test
    void anErrorAnswerThatIsNotJsonStillExitsOneNamingTheStatus() {
        daemon.on("POST", "/v1/sync", new Answer(502, "text/plain", "bad gateway".getBytes()));

        Ctl.Run run = ctl("sync");

        assertThat(run.exit()).isEqualTo(CtlCommand.EXIT_DAEMON_ERROR);
        assertThat(run.stderr()).isEqualTo("HTTP 502: bad gateway\n");
    }

    @Test
    void anUnreachableDaemonExitsThreeWithOneLineNamingTheUrl() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port;

        Ctl.Run run = Ctl.run("--url", url, "stats");

        assertThat(run.exit()).isEqualTo(CtlCommand.EXIT_UNREACHABLE);
        assertThat(run.stderr()).startsWith("ctl: no writebackd daemon answers at " + url + "/ (connection refused")
                .endsWith("\n");
        assertThat(run.stderr().lines()).hasSize(1);
    }

    @Test
    void theTokenIsSentAsABearerToken() {
        daemon.on("POST", "/v1/sync", empty(204));

        ctl("--token", "s3cret", "sync");
        Ctl.run("sync", "--url", daemon.url()); // --url also after the subcommand; no token

        assertThat(daemon.requests()).extracting(StubDaemon.Request::authorization)
                .containsExactly("Bearer s3cret", null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"frobnicate", "stats --bogus", "--url ftp://x:1 stats", "--url not-a-url stats",
            "write", "read log --offset -1", "read log --length -5", "read log --offset ten",
            "write log --durability eventually", "policy", "policy set", "policy set dirtyRatio",
            "policy set =3", "policy set dirtyRatio=3 dirtyRatio=4", "faults", "faults add not-json",
            "faults add [1,2]", "faults rm", "watch --count 0", "watch --interval 0s", "watch --interval soon", ""})
    void usageErrorsExitTwoAndSendNothing(String line) {
        String[] args = line.isEmpty() ? new String[0] : line.split(" ");
        List<String> all = new ArrayList<>(List.of(args));
        if (!line.contains("--url")) {
            all.addAll(0, List.of("--url", daemon.url()));
        }

        Ctl.Run run = Ctl.run(all.toArray(String[]::new));

        assertThat(run.exit()).as(line).isEqualTo(CtlCommand.EXIT_USAGE);
        assertThat(run.stderr()).as(line).isNotBlank();
        assertThat(daemon.requests()).as(line).isEmpty();
    }

    @Test
    void everyCommandHasHelpThatExitsZeroAndNamesTheExitCodes() {
        List<CommandLine> commands = new ArrayList<>();
        collect(new CommandLine(new CtlCommand()), commands);
        assertThat(commands).extracting(CommandLine::getCommandName).contains("files", "write", "read", "fsync",
                "sync", "stats", "watch", "policy", "get", "set", "faults", "list", "add", "rm", "clear", "release",
                "power-cut", "replay");

        for (CommandLine command : commands) {
            List<String> path = new ArrayList<>();
            for (CommandLine at = command; at.getParent() != null; at = at.getParent()) {
                path.add(0, at.getCommandName());
            }
            path.add("--help");
            Ctl.Run run = Ctl.run(path.toArray(String[]::new));
            assertThat(run.exit()).as(String.join(" ", path)).isZero();
            assertThat(run.stdout()).as(String.join(" ", path)).startsWith("Usage: ctl").contains("Exit codes:");
            if (!path.get(0).equals("replay")) { // replay reads a log file offline: no daemon involved
                assertThat(run.stdout()).as(String.join(" ", path)).contains("3  no daemon answers at the URL");
            }
        }
        assertThat(daemon.requests()).isEmpty();
    }

    @Test
    void theHelpFooterDocumentsTheExitCodes() {
        Ctl.Run run = Ctl.run("--help");

        assertThat(run.stdout()).contains("Exit codes:", "0  ok", "1  the daemon answered an error",
                "2  usage error", "3  no daemon answers at the URL");
    }

    private Ctl.Run ctl(String... args) {
        List<String> all = new ArrayList<>(List.of("--url", daemon.url()));
        all.addAll(List.of(args));
        return Ctl.run(all.toArray(String[]::new));
    }

    private static void collect(CommandLine command, List<CommandLine> into) {
        command.getSubcommands().values().forEach(sub -> {
            if (!into.contains(sub)) {
                into.add(sub);
                collect(sub, into);
            }
        });
    }

    private static StubDaemon newDaemon() {
        try {
            return new StubDaemon();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
