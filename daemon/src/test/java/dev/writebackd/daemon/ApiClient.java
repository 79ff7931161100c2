package dev.writebackd.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The calls of DESIGN.md's HTTP API that the end-to-end tests make, each checking its status. */
final class ApiClient {
    private static final Duration TIMEOUT = Duration.ofMinutes(1);
    private static final Pattern HANDLE = Pattern.compile("\"handle\"\\s*:\\s*(\\d+)");
    private static final Pattern WRITTEN = Pattern.compile("\"written\"\\s*:\\s*(\\d+)");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final DaemonProcess daemon;

    ApiClient(DaemonProcess daemon) {
        this.daemon = daemon;
    }

    /** {@code POST /v1/handles {"file": NAME, "create": true}} → 201, the handle. */
    long open(String file) {
        HttpResponse<String> response = send(request("/v1/handles")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"file\": \"" + file + "\", \"create\": true}")),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("open %s: %s", file, response.body()).isEqualTo(201);
        Matcher handle = HANDLE.matcher(response.body());
        assertThat(handle.find()).as("handle in %s", response.body()).isTrue();
        return Long.parseLong(handle.group(1));
    }

    /** {@code PUT /v1/handles/H/data?offset=N} → 200 {@code {"written": n}} with every byte written. */
    void write(long handle, long offset, byte[] data) {
        HttpResponse<String> response = send(request("/v1/handles/" + handle + "/data?offset=" + offset)
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(data)), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("write: %s", response.body()).isEqualTo(200);
        Matcher written = WRITTEN.matcher(response.body());
        assertThat(written.find()).as("written in %s", response.body()).isTrue();
        assertThat(Long.parseLong(written.group(1))).isEqualTo(data.length);
    }

    /** {@code POST /v1/handles/H/fsync} → 204. */
    void fsync(long handle) {
        HttpResponse<String> response = send(request("/v1/handles/" + handle + "/fsync")
                .POST(HttpRequest.BodyPublishers.noBody()), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("fsync: %s", response.body()).isEqualTo(204);
    }

    /** {@code GET /v1/handles/H/data?offset=N&length=M} → 200, the bytes. */
    byte[] read(long handle, long offset, int length) {
        HttpResponse<byte[]> response = send(request("/v1/handles/" + handle + "/data?offset=" + offset
                + "&length=" + length).GET(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).as("read handle %d", handle).isEqualTo(200);
        return response.body();
    }

    /** {@code GET /v1/files/NAME?offset=0&length=M}: the one-shot read, whatever its status. */
    HttpResponse<byte[]> readFile(String name, int length) {
        return send(request("/v1/files/" + name + "?offset=0&length=" + length).GET(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(daemon.uri(path)).timeout(TIMEOUT);
    }

    private <T> HttpResponse<T> send(HttpRequest.Builder request, HttpResponse.BodyHandler<T> body) {
        try {
            return http.send(request.build(), body);
        } catch (IOException e) {
            throw new AssertionError("request failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
