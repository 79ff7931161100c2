package dev.writebackd.daemon.http;

import static dev.writebackd.daemon.http.ApiFixture.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Handles across a replaced engine (closed by the restart, never confused with new ones), and the server's timeout. */
class HttpApiRestartTest {
    private final ApiFixture api = new ApiFixture();

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void aHandleOfTheEngineBeforeARestartIsStaleAndItsNumberIsNotReused() {
        long before = api.open("file");
        assertThat(api.send("PUT", "/v1/handles/" + before + "/data?offset=0", "data").statusCode()).isEqualTo(200);

        api.restartEngine();

        assertError(api.send("PUT", "/v1/handles/" + before + "/data?offset=0", "more"), 404, "ESTALE");
        assertError(api.send("POST", "/v1/handles/" + before + "/fsync"), 404, "ESTALE");
        assertError(api.send("DELETE", "/v1/handles/" + before), 404, "ESTALE");
        long after = api.open("again");
        assertThat(after).isGreaterThan(before);
        assertThat(api.send("PUT", "/v1/handles/" + after + "/data?offset=0", "new").statusCode()).isEqualTo(200);
        assertThat(api.send("GET", "/v1/handles/" + after + "/data?offset=0").body()).isEqualTo("new".getBytes());
        assertError(api.send("GET", "/v1/handles/" + (after + 1) + "/data?offset=0"), 404, "EBADF");
    }

    @Test
    void aRequestCutOffByTheServersTimeoutAnswersETimedOut() {
        try (ApiFixture slow = new ApiFixture(ApiSettings.defaults(), "pekko.http.server.request-timeout = 300 ms")) {
            slow.metricsStage.set(new CompletableFuture<>()); // never answers

            assertError(slow.send("GET", "/metrics"), 504, "ETIMEDOUT");
        }
    }
}
