package dev.writebackd.daemon.http;

import static dev.writebackd.daemon.http.ApiFixture.LIMIT;
import static dev.writebackd.daemon.http.ApiFixture.assertError;
import static dev.writebackd.daemon.http.ApiFixture.filled;
import static dev.writebackd.daemon.http.ApiFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The body limit, aborted uploads and the bearer token. */
class HttpApiLimitsTest {
    private static final byte[] KEPT = "before".getBytes();
    private static ApiFixture api;

    @BeforeAll
    static void start() {
        api = new ApiFixture();
        api.send("PUT", "/v1/files/kept", KEPT);
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void aBodyOfExactlyTheLimitIsAcceptedThoughPekkosOwnLimitIsFarLower() {
        byte[] body = filled((int) LIMIT, 5);

        HttpResponse<byte[]> response = api.send("PUT", "/v1/files/at-limit", body);

        assertThat(json(response).get("written").asLong()).isEqualTo(LIMIT);
        assertThat(api.read("at-limit")).isEqualTo(body);
    }

    @Test
    void aContentLengthOverTheLimitIsRefusedBeforeTheBodyIsSent() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", api.port())) {
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /v1/files/kept?offset=0 HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + (LIMIT + 1)
                    + "\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // not one byte of the body is sent: the answer comes from the header alone

            String answer = readAnswer(socket.getInputStream());

            assertThat(answer).startsWith("HTTP/1.1 413").contains("\"errno\":\"EFBIG\"");
        }
        assertThat(api.read("kept")).isEqualTo(KEPT);
    }

    @Test
    void aChunkedBodyGrowingPastTheLimitIsRefusedWithNothingWritten() {
        byte[] body = filled((int) LIMIT + 10_000, 9);
        var publisher = BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)); // no length: chunked

        HttpResponse<byte[]> response = api.send("PUT", "/v1/files/kept?offset=0", publisher);

        assertError(response, 413, "EFBIG");
        assertThat(api.read("kept")).isEqualTo(KEPT);
    }

    @Test
    void aChunkedBodyWithinTheLimitIsWritten() {
        byte[] body = filled(300_000, 4);
        var publisher = BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body));

        HttpResponse<byte[]> response = api.send("PUT", "/v1/files/chunked", publisher);

        assertThat(json(response).get("written").asLong()).isEqualTo(body.length);
        assertThat(api.read("chunked")).isEqualTo(body);
    }

    @Test
    void anAbortedUploadWritesNothing() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", api.port())) {
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /v1/files/kept?offset=0 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n"
                    + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(filled(50_000, 1));
            out.flush();
        } // closed half-way through the body

        // the upload's stream failed; whatever it had received was dropped, never written
        assertThat(api.read("kept")).isEqualTo(KEPT);
        assertThat(json(api.send("PUT", "/v1/files/after-abort", "ok")).get("written").asLong()).isEqualTo(2);
        assertThat(api.read("kept")).isEqualTo(KEPT);
    }

    @Test
    void withATokenEveryRequestNeedsIt() {
        try (ApiFixture secured = new ApiFixture(ApiSettings.defaults().withToken("s3cret"))) {
            var request = java.net.http.HttpRequest.newBuilder(secured.uri("/v1/files/x"))
                    .PUT(BodyPublishers.ofString("data"));
            assertError(secured.send(request.build()), 401, "EACCES");
            assertError(secured.send(request.header("Authorization", "Bearer wrong").build()), 401, "EACCES");
            HttpResponse<byte[]> health = secured.send(java.net.http.HttpRequest.newBuilder(secured.uri("/health"))
                    .header("Authorization", "Basic czNjcmV0").build());
            assertError(health, 401, "EACCES");
            assertThat(health.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer");
            assertError(secured.send(java.net.http.HttpRequest.newBuilder(secured.uri("/nowhere")).build()), 401,
                    "EACCES");

            assertThat(secured.send("GET", "/v1/files").statusCode()).isEqualTo(200); // sends the token
            assertThat(json(secured.send("GET", "/v1/files")).get("files")).isEmpty();
            assertThat(secured.send("PUT", "/v1/files/x", "data").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aNonLoopbackAddressNeedsAToken() {
        HttpApi.requireTokenFor("127.0.0.1", Optional.empty());
        HttpApi.requireTokenFor("localhost", Optional.empty());
        HttpApi.requireTokenFor("::1", Optional.empty());
        HttpApi.requireTokenFor("0.0.0.0", Optional.of("token"));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HttpApi.requireTokenFor("0.0.0.0", Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0.0.0.0")
                .hasMessageContaining("token");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HttpApi.requireTokenFor("10.1.2.3", Optional.of(" ")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void settingsComeFromConfigAndTheEnvironment() {
        var config = com.typesafe.config.ConfigFactory.parseString(
                "writebackd.http { max-body = 1 MiB, token = from-config }");

        assertThat(ApiSettings.fromConfig(config, java.util.Map.of()))
                .isEqualTo(new ApiSettings(1 << 20, Optional.of("from-config")));
        assertThat(ApiSettings.fromConfig(config, java.util.Map.of(ApiSettings.TOKEN_ENV, "from-env")).token())
                .hasValue("from-env");
        assertThat(ApiSettings.fromConfig(com.typesafe.config.ConfigFactory.empty(), java.util.Map.of()))
                .isEqualTo(ApiSettings.defaults());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ApiSettings.defaults().withMaxBodyBytes(0))
                .hasMessageContaining("writebackd.http.max-body");
    }

    /** The status line, headers and the body of a small answer (read until the connection has sent it all). */
    private static String readAnswer(InputStream in) throws IOException {
        StringBuilder answer = new StringBuilder();
        byte[] buffer = new byte[4096];
        int contentLength = -1;
        int headerEnd = -1;
        while (headerEnd < 0 || answer.length() < headerEnd + contentLength) {
            int n = in.read(buffer);
            if (n < 0) {
                break;
            }
            answer.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
            headerEnd = answer.indexOf("\r\n\r\n");
            if (headerEnd >= 0) {
                headerEnd += 4;
                var matcher = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(answer);
                contentLength = matcher.find() ? Integer.parseInt(matcher.group(1)) : 0;
            }
        }
        return answer.toString();
    }
}
