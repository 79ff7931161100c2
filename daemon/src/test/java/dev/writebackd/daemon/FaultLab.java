package dev.writebackd.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A daemon started in this JVM for the power-cut tests, and the HTTP calls they make. */
public final class FaultLab implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final long DEVICE = 64L << 20;

    private final Daemon daemon;
    private final Path dataDir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private boolean stopped;

    private FaultLab(Daemon daemon, Path dataDir) {
        this.daemon = daemon;
        this.dataDir = dataDir;
    }

    /**
     * A daemon on a 64 MiB device in {@code dir}/data, on a free port, with {@code conf} (HOCON
     * inside {@code writebackd { }}) as its configuration file.
     */
    public static FaultLab start(Path dir, String conf) {
        try {
            Path file = Files.writeString(dir.resolve("writebackd.conf"), "writebackd {\n" + conf + "\n}\n");
            Path dataDir = dir.resolve("data");
            DaemonConfig config = DaemonConfig.resolve(new DaemonConfig.Flags(dataDir, null, 0, file, null, DEVICE));
            return new FaultLab(Daemon.start(config), dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The data directory. */
    public Path dataDir() {
        return dataDir;
    }

    /** The base URL, for {@code ctl --url}. */
    public String url() {
        return "http://127.0.0.1:" + daemon.port();
    }

    /** Sends a request with a text body (or none when {@code null}). */
    public HttpResponse<byte[]> send(String method, String path, String body) {
        return send(method, path, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body), body == null ? null : "application/json");
    }

    /** Opens (creating) {@code name}: the handle. */
    public long open(String name) {
        HttpResponse<byte[]> response = send("POST", "/v1/handles", "{\"file\": \"" + name + "\", \"create\": true}");
        assertThat(response.statusCode()).as("open %s: %s", name, text(response)).isEqualTo(201);
        return json(response).get("handle").asLong();
    }

    /** Writes {@code data} at {@code offset}: 200. */
    public void write(long handle, long offset, byte[] data) {
        HttpResponse<byte[]> response = send("PUT", "/v1/handles/" + handle + "/data?offset=" + offset,
                HttpRequest.BodyPublishers.ofByteArray(data), "application/octet-stream");
        assertThat(response.statusCode()).as("write: %s", text(response)).isEqualTo(200);
    }

    /** fsync: 204. */
    public void fsync(long handle) {
        HttpResponse<byte[]> response = send("POST", "/v1/handles/" + handle + "/fsync", null);
        assertThat(response.statusCode()).as("fsync: %s", text(response)).isEqualTo(204);
    }

    /** Reads up to {@code length} bytes at 0 of an open handle: 200. */
    public byte[] read(long handle, int length) {
        HttpResponse<byte[]> response = send("GET", "/v1/handles/" + handle + "/data?offset=0&length=" + length, null);
        assertThat(response.statusCode()).as("read: %s", text(response)).isEqualTo(200);
        return response.body();
    }

    /** The stats' {@code key}. */
    public long stat(String key) {
        return json(send("GET", "/v1/stats", null)).get(key).asLong();
    }

    /** The answer's JSON. */
    public static JsonNode json(HttpResponse<byte[]> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text(response), e);
        }
    }

    /** The answer's body as text. */
    public static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    /** Stops the daemon: its exit status. */
    public int stop() {
        stopped = true;
        try {
            return daemon.stop().toCompletableFuture().get(2, TimeUnit.MINUTES);
        } catch (Exception e) {
            throw new AssertionError("the daemon did not stop", e);
        }
    }

    @Override
    public void close() {
        if (!stopped) {
            stop();
        }
    }

    private HttpResponse<byte[]> send(String method, String path, HttpRequest.BodyPublisher body, String type) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + path)).timeout(TIMEOUT)
                .method(method, body);
        if (type != null) {
            request.header("Content-Type", type);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new AssertionError("request failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
