package dev.writebackd.daemon.http;

import static dev.writebackd.daemon.http.ApiFixture.PAGE;
import static dev.writebackd.daemon.http.ApiFixture.assertError;
import static dev.writebackd.daemon.http.ApiFixture.filled;
import static dev.writebackd.daemon.http.ApiFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.actors.Engine;
import dev.writebackd.block.BioOp;
import dev.writebackd.error.Errno;
import java.net.http.HttpResponse;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad requests: each answered with its status and errno as JSON, and none changes anything —
 * checked by reading back a file and the list of files after each.
 */
class HttpApiErrorsTest {
    private static final byte[] KEPT = "the kept file's contents".getBytes();
    private static ApiFixture api;
    private static long handle;

    @BeforeAll
    static void start() {
        api = new ApiFixture();
        handle = api.open("kept");
        assertThat(api.send("PUT", "/v1/handles/" + handle + "/data?offset=0", KEPT).statusCode()).isEqualTo(200);
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @BeforeEach
    void deviceWorks() {
        api.device.heal();
    }

    static Stream<Arguments> badRequests() {
        String h = "/v1/handles/" + handle;
        String longName = "n".repeat(256);
        return Stream.of(
                // unknown handles and files
                Arguments.of("PUT", "/v1/handles/999999/data?offset=0", "x", 404, "EBADF"),
                Arguments.of("GET", "/v1/handles/999999/data?offset=0&length=1", "", 404, "EBADF"),
                Arguments.of("POST", "/v1/handles/999999/fsync", "", 404, "EBADF"),
                Arguments.of("POST", "/v1/handles/999999/syncfs", "", 404, "EBADF"),
                Arguments.of("POST", "/v1/handles/999999/truncate?size=0", "", 404, "EBADF"),
                Arguments.of("DELETE", "/v1/handles/999999", "", 404, "EBADF"),
                Arguments.of("PUT", "/v1/handles/abc/data?offset=0", "x", 404, "EBADF"),
                Arguments.of("POST", "/v1/handles", "{\"file\": \"missing\"}", 404, "ENOENT"),
                Arguments.of("POST", "/v1/handles", "{\"file\": \"missing\", \"create\": false}", 404, "ENOENT"),
                Arguments.of("GET", "/v1/files/missing", "", 404, "ENOENT"),
                Arguments.of("POST", "/v1/files/missing/fsync", "", 404, "ENOENT"),
                Arguments.of("DELETE", "/v1/files/missing", "", 404, "ENOENT"),
                Arguments.of("POST", "/v1/files/missing/rename", "{\"to\": \"other\"}", 404, "ENOENT"),
                // unknown paths
                Arguments.of("GET", "/nothing/here", "", 404, "ENOENT"),
                Arguments.of("GET", "/v1", "", 404, "ENOENT"),
                Arguments.of("POST", h + "/nonsense", "", 404, "ENOENT"),
                Arguments.of("GET", "/v1/files/kept/extra/more", "", 404, "ENOENT"),
                // query parameters
                Arguments.of("PUT", h + "/data", "x", 400, "EINVAL"),
                Arguments.of("PUT", h + "/data?offset=-1", "x", 400, "EINVAL"),
                Arguments.of("PUT", h + "/data?offset=ten", "x", 400, "EINVAL"),
                Arguments.of("PUT", h + "/data?offset=99999999999999999999", "x", 400, "EINVAL"),
                Arguments.of("PUT", h + "/data?offset=0&ofset=3", "x", 400, "EINVAL"),
                Arguments.of("PUT", h + "/data?offset=0&durability=eventually", "x", 400, "EINVAL"),
                Arguments.of("PUT", "/v1/files/kept?offset=-5", "x", 400, "EINVAL"),
                Arguments.of("GET", h + "/data?length=4", "", 400, "EINVAL"),
                Arguments.of("GET", h + "/data?offset=0&length=-4", "", 400, "EINVAL"),
                Arguments.of("GET", h + "/data?offset=0&length=x", "", 400, "EINVAL"),
                Arguments.of("GET", "/v1/files/kept?length=-1", "", 400, "EINVAL"),
                Arguments.of("POST", h + "/truncate", "", 400, "EINVAL"),
                Arguments.of("POST", h + "/truncate?size=-3", "", 400, "EINVAL"),
                Arguments.of("POST", h + "/fsync?now=1", "", 400, "EINVAL"),
                Arguments.of("POST", "/v1/sync?all=1", "", 400, "EINVAL"),
                // JSON bodies
                Arguments.of("POST", "/v1/handles", "{\"file\": ", 400, "EINVAL"),
                Arguments.of("POST", "/v1/handles", "[\"kept\"]", 400, "EINVAL"),
                Arguments.of("POST", "/v1/handles", "{}", 400, "EINVAL"),
                Arguments.of("POST", "/v1/handles", "{\"file\": 7}", 400, "EINVAL"),
                Arguments.of("POST", "/v1/handles", "{\"file\": \"new\", \"create\": \"yes\"}", 400, "EINVAL"),
                Arguments.of("POST", "/v1/handles", "{\"file\": \"new\", \"mode\": 420}", 400, "EINVAL"),
                Arguments.of("POST", "/v1/files/kept/rename", "{}", 400, "EINVAL"),
                Arguments.of("POST", "/v1/files/kept/rename", "{\"to\": \"\"}", 400, "EINVAL"),
                // names
                Arguments.of("POST", "/v1/handles", "{\"file\": \"\", \"create\": true}", 400, "EINVAL"),
                Arguments.of("POST", "/v1/handles", "{\"file\": \"a/b\", \"create\": true}", 400, "EINVAL"),
                Arguments.of("PUT", "/v1/files/a%2Fb", "x", 400, "EINVAL"),
                Arguments.of("POST", "/v1/handles", "{\"file\": \"" + longName + "\", \"create\": true}", 400,
                        "ENAMETOOLONG"),
                Arguments.of("PUT", "/v1/files/" + longName, "x", 400, "ENAMETOOLONG"),
                Arguments.of("POST", "/v1/files/kept/rename", "{\"to\": \"" + longName + "\"}", 400, "ENAMETOOLONG"),
                // too large
                Arguments.of("PUT", h + "/data?offset=" + (Long.MAX_VALUE - 1), "xyz", 400, "EINVAL"),
                Arguments.of("PUT", h + "/data?offset=" + (1L << 50), "x", 413, "EFBIG"),
                Arguments.of("POST", h + "/truncate?size=" + (1L << 50), "", 413, "EFBIG"),
                // modes not available
                Arguments.of("PUT", h + "/data?offset=0&durability=journaled", "x", 501, "ENOTSUP"),
                // wrong methods
                Arguments.of("GET", "/v1/handles", "", 405, "ENOTSUP"),
                Arguments.of("POST", h + "/data?offset=0", "x", 405, "ENOTSUP"),
                Arguments.of("PATCH", h, "", 405, "ENOTSUP"),
                Arguments.of("GET", h + "/fsync", "", 405, "ENOTSUP"),
                Arguments.of("PUT", h + "/truncate?size=0", "", 405, "ENOTSUP"),
                Arguments.of("POST", "/v1/files", "", 405, "ENOTSUP"),
                Arguments.of("POST", "/v1/files/kept", "x", 405, "ENOTSUP"),
                Arguments.of("GET", "/v1/files/kept/rename", "", 405, "ENOTSUP"),
                Arguments.of("GET", "/v1/sync", "", 405, "ENOTSUP"),
                Arguments.of("DELETE", "/v1/stats", "", 405, "ENOTSUP"),
                Arguments.of("POST", "/metrics", "", 405, "ENOTSUP"),
                Arguments.of("PUT", "/health", "", 405, "ENOTSUP"));
    }

    @ParameterizedTest(name = "{0} {1} -> {3} {4}")
    @MethodSource("badRequests")
    void aBadRequestGetsItsStatusAndErrnoAndChangesNothing(String method, String path, String body, int status,
            String errno) {
        HttpResponse<byte[]> response = api.send(method, path, body);

        assertError(response, status, errno);
        assertUnchanged();
    }

    @ParameterizedTest(name = "a write bio failing with {0}")
    @EnumSource(value = Errno.class, names = {"EIO", "ENOSPC", "EDQUOT", "EROFS", "ENXIO"})
    void fsyncReportsAWriteErrorWithItsStatus(Errno error) {
        String name = "failing-" + error;
        long file = api.open(name);
        api.send("PUT", "/v1/handles/" + file + "/data?offset=0", filled(PAGE, 1));
        api.device.failNext(BioOp.WRITE, error, 1);

        HttpResponse<byte[]> fsync = api.send("POST", "/v1/handles/" + file + "/fsync");

        assertError(fsync, ApiErrors.status(error).intValue(), error.name());
        assertThat(api.send("POST", "/v1/handles/" + file + "/fsync").statusCode())
                .as("reported once per handle").isEqualTo(204);
        api.send("DELETE", "/v1/handles/" + file);
    }

    @Test
    void withoutAnEngineEveryCallAnswersShutdown() {
        Engine running = api.engine.getAndSet(null);
        try {
            assertError(api.send("GET", "/health"), 503, "ESHUTDOWN");
            assertError(api.send("GET", "/v1/stats"), 503, "ESHUTDOWN");
            assertError(api.send("PUT", "/v1/files/kept", "changed"), 503, "ESHUTDOWN");
            assertError(api.send("POST", "/v1/handles", "{\"file\": \"kept\"}"), 503, "ESHUTDOWN");
        } finally {
            api.engine.set(running);
        }
        assertUnchanged();
    }

    @Test
    void aSyncNeverFailsEvenWhenWritesDo() {
        api.send("PUT", "/v1/files/sync-failing", filled(PAGE, 2));
        api.device.failNext(BioOp.WRITE, Errno.EIO, 1);

        assertThat(api.send("POST", "/v1/sync").statusCode()).isEqualTo(204);
    }

    private static void assertUnchanged() {
        assertThat(api.read("kept")).isEqualTo(KEPT);
        assertThat(api.send("GET", "/v1/handles/" + handle + "/data?offset=0&length=100").body()).isEqualTo(KEPT);
        for (var file : json(api.send("GET", "/v1/files")).get("files")) {
            String name = file.get("name").asText();
            assertThat(name).as("no file was created").satisfiesAnyOf(
                    n -> assertThat(n).isEqualTo("kept"),
                    n -> assertThat(n).startsWith("failing-"),
                    n -> assertThat(n).isEqualTo("sync-failing"));
        }
    }
}
