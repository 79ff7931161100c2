package dev.writebackd.daemon.ctl;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The HTTP API of a running daemon, as {@code ctl} uses it: one request per call, with the bearer
 * token if there is one. An error answer becomes a {@link DaemonError}, a daemon that cannot be
 * reached a {@link DaemonUnreachable}.
 */
final class DaemonClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final URI base;
    private final String token;
    private final HttpClient http;

    /**
     * A client of the daemon at {@code base}.
     *
     * @param token the bearer token, or {@code null} or blank for none
     */
    DaemonClient(URI base, String token) {
        this.base = requireNonNull(base, "base");
        this.token = token == null || token.isBlank() ? null : token.strip();
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** The daemon's URL. */
    URI base() {
        return base;
    }

    /** A request's path and query: {@code path} is already encoded, the query values are encoded here. */
    static String target(String path, Map<String, ?> query) {
        StringJoiner joined = new StringJoiner("&", "?", "").setEmptyValue("");
        query.forEach((key, value) -> {
            if (value != null) {
                joined.add(key + "=" + URLEncoder.encode(value.toString(), StandardCharsets.UTF_8));
            }
        });
        return path + joined;
    }

    /** {@code name} as one path segment. */
    static String segment(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** An ordered query map from alternating keys and values; {@code null} values are left out. */
    static Map<String, Object> query(Object... keysAndValues) {
        Map<String, Object> query = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            query.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return query;
    }

    /** Sends a request without a body and answers its JSON, or {@code null} for an empty answer. */
    JsonNode call(String method, String target) {
        return call(method, target, BodyPublishers.noBody(), null);
    }

    /** Sends {@code json} and answers the JSON of the answer, or {@code null} for an empty answer. */
    JsonNode callWithJson(String method, String target, JsonNode json) {
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new IllegalStateException("cannot render " + json, e);
        }
        return call(method, target, BodyPublishers.ofByteArray(body), "application/json");
    }

    /** Streams {@code body} as the request's body (chunked, never read whole) and answers the JSON answer. */
    JsonNode upload(String method, String target, InputStream body) {
        return call(method, target, BodyPublishers.ofInputStream(() -> body), "application/octet-stream");
    }

    /** Sends a GET and copies the answer's bytes to {@code out} as they arrive; answers the bytes copied. */
    long download(String target, OutputStream out) {
        HttpResponse<InputStream> response = send(request("GET", target, BodyPublishers.noBody(), null),
                BodyHandlers.ofInputStream());
        try (InputStream in = response.body()) {
            if (response.statusCode() >= 400) {
                throw error(response.statusCode(), in.readAllBytes());
            }
            long copied = in.transferTo(out);
            out.flush();
            return copied;
        } catch (IOException e) {
            throw new DaemonUnreachable(base, e);
        }
    }

    /** Sends a GET and answers the answer's text (the metrics, say). */
    String text(String target) {
        HttpResponse<byte[]> response = send(request("GET", target, BodyPublishers.noBody(), null),
                BodyHandlers.ofByteArray());
        if (response.statusCode() >= 400) {
            throw error(response.statusCode(), response.body());
        }
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    private JsonNode call(String method, String target, BodyPublisher body, String contentType) {
        HttpResponse<byte[]> response = send(request(method, target, body, contentType), BodyHandlers.ofByteArray());
        if (response.statusCode() >= 400) {
            throw error(response.statusCode(), response.body());
        }
        if (response.body().length == 0) {
            return null;
        }
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new DaemonError(response.statusCode(), "EPROTO", "the daemon's answer is not JSON: "
                    + preview(response.body()));
        }
    }

    private HttpRequest request(String method, String target, BodyPublisher body, String contentType) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(target)).method(method, body);
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return request.build();
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new DaemonUnreachable(base, e);
        } catch (IOException e) {
            Throwable cause = e.getCause() instanceof ConnectException ? e.getCause() : e;
            throw new DaemonUnreachable(base, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DaemonUnreachable(base, e);
        }
    }

    /** The error an answer with {@code status} and {@code body} carries. */
    static DaemonError error(int status, byte[] body) {
        try {
            JsonNode json = JSON.readTree(body);
            if (json != null && json.hasNonNull("errno")) {
                return new DaemonError(status, json.get("errno").asText(),
                        json.hasNonNull("message") ? json.get("message").asText() : "(no message)");
            }
        } catch (IOException e) {
            // not JSON: described below
        }
        return new DaemonError(status, "HTTP " + status, body.length == 0 ? "(empty answer)" : preview(body));
    }

    private static String preview(byte[] body) {
        String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8).strip();
        return body.length > 200 ? text + "…" : text;
    }
}
