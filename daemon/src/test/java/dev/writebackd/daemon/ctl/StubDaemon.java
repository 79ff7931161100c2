package dev.writebackd.daemon.ctl;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for the daemon's HTTP API on a free loopback port: records every request and answers
 * with canned answers, by method and path; anything else gets DESIGN.md's 404 ENOENT.
 */
final class StubDaemon implements AutoCloseable {
    /** One recorded request. */
    record Request(String method, String path, String query, byte[] body, String authorization,
            String transferEncoding, String contentType) {
        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** A canned answer. */
    record Answer(int status, String contentType, byte[] body) {
        static Answer json(int status, String json) {
            return new Answer(status, "application/json", json.getBytes(StandardCharsets.UTF_8));
        }

        static Answer empty(int status) {
            return new Answer(status, null, new byte[0]);
        }
    }

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();

    StubDaemon() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Answers {@code method path} with {@code answer}. */
    StubDaemon on(String method, String path, Answer answer) {
        answers.put(method + " " + path, answer);
        return this;
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    Request only() {
        if (requests.size() != 1) {
            throw new AssertionError("expected one request, got " + requests);
        }
        return requests.get(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        String path = exchange.getRequestURI().getRawPath();
        requests.add(new Request(exchange.getRequestMethod(), path, exchange.getRequestURI().getRawQuery(), body,
                exchange.getRequestHeaders().getFirst("Authorization"),
                exchange.getRequestHeaders().getFirst("Transfer-encoding"),
                exchange.getRequestHeaders().getFirst("Content-type")));
        Answer answer = answers.getOrDefault(exchange.getRequestMethod() + " " + path,
                Answer.json(404, "{\"errno\": \"ENOENT\", \"message\": \"no route " + path + "\"}"));
        if (answer.contentType() != null) {
            exchange.getResponseHeaders().set("Content-Type", answer.contentType());
        }
        exchange.sendResponseHeaders(answer.status(), answer.body().length == 0 ? -1 : answer.body().length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer.body());
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
