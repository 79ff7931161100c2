package dev.writebackd.daemon.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.Engine;
import dev.writebackd.actors.EngineFileResolver;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.fault.FaultyDevice;
import dev.writebackd.config.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An engine on a memory device, below a fault rules' layer, with an in-memory journal, the API bound on a free loopback port by
 * an actor system of its own, and a client for it. pekko-http's own body limit is set far below
 * the API's, so a test that uploads more than it shows the API's limit is the one that applies.
 * A test class shares one as {@code @RegisterExtension static final ApiFixture api = new ApiFixture();},
 * closed after its last test.
 */
final class ApiFixture implements AutoCloseable, AfterAllCallback {
    static final int PAGE = 4096;
    static final long LIMIT = 4L << 20;
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(20);

    final MemoryDevice device = new MemoryDevice(PAGE, 64L << 20);
    final AtomicReference<Engine> engine = new AtomicReference<>();
    /** The fault rules' layer between the engine and {@link #device}, run seed 7. */
    final FaultyDevice faults = new FaultyDevice(device, 7, new EngineFileResolver(engine::get, WAIT));
    /** When set, what the metrics supplier answers instead of {@link #metricsText}. */
    final AtomicReference<CompletableFuture<String>> metricsStage = new AtomicReference<>();
    final AtomicReference<String> metricsText = new AtomicReference<>("writebackd_dirty_pages 0\n");
    private final ActorSystem<Void> system;
    private final ServerBinding binding;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(WAIT).build();
    private final String token;

    ApiFixture() {
        this(ApiSettings.defaults().withMaxBodyBytes(LIMIT));
    }

    ApiFixture(ApiSettings settings) {
        this(settings, "");
    }

    /** With {@code httpConfig} (HOCON) for the HTTP server's actor system. */
    ApiFixture(ApiSettings settings, String httpConfig) {
        this.token = settings.token().orElse(null);
        engine.set(startEngine());
        system = ActorSystem.create(Behaviors.empty(), "http-test", ConfigFactory.parseString(httpConfig
                + "\npekko.http.server.parsing.max-content-length = 1 KiB\npekko.loglevel = WARNING")
                .withFallback(ConfigFactory.load()));
        HttpApi api = new HttpApi(engine::get, () -> metricsStage.get() != null ? metricsStage.get()
                : CompletableFuture.completedFuture(metricsText.get()), settings, () -> faults);
        binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(api.route()).toCompletableFuture().join();
    }

    /** Closes the fixture after the last test of the class that registered it. */
    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    private Engine startEngine() {
        Settings parsed = Settings.load(ConfigFactory.parseString("writebackd.page-cache.cache-budget = 32 MiB"));
        return Engine.start(parsed, faults, EventSourcedBehaviorTestKit.config());
    }

    /** Shuts the engine down and starts another on the same device, as a restart of the daemon would. */
    void restartEngine() {
        engine.get().shutdown().toCompletableFuture().orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
        engine.set(startEngine());
    }

    Engine engine() {
        return engine.get();
    }

    int port() {
        return binding.localAddress().getPort();
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
    }

    HttpResponse<byte[]> send(String method, String pathAndQuery) {
        return send(method, pathAndQuery, BodyPublishers.noBody());
    }

    HttpResponse<byte[]> send(String method, String pathAndQuery, byte[] body) {
        return send(method, pathAndQuery, BodyPublishers.ofByteArray(body));
    }

    HttpResponse<byte[]> send(String method, String pathAndQuery, String json) {
        return send(method, pathAndQuery, json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    HttpResponse<byte[]> send(String method, String pathAndQuery, BodyPublisher body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(pathAndQuery)).timeout(WAIT).method(method, body);
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return send(request.build());
    }

    HttpResponse<byte[]> send(HttpRequest request) {
        try {
            return client.send(request, BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Opens {@code name} (creating it) and answers the handle number. */
    long open(String name) {
        HttpResponse<byte[]> response = send("POST", "/v1/handles", "{\"file\": \"" + name + "\", \"create\": true}");
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(201);
        return json(response).get("handle").asLong();
    }

    /** The file's bytes read back through the one-shot form. */
    byte[] read(String name) {
        HttpResponse<byte[]> response = send("GET", "/v1/files/" + name);
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(200);
        return response.body();
    }

    static JsonNode json(HttpResponse<byte[]> response) {
        try {
            return MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Asserts a JSON error answer with this status and errno. */
    static void assertError(HttpResponse<byte[]> response, int status, String errno) {
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode body = json(response);
        assertThat(body.get("errno").asText()).isEqualTo(errno);
        assertThat(body.get("message").asText()).isNotBlank();
    }

    static byte[] filled(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 31 + seed);
        }
        return bytes;
    }

    @Override
    public void close() {
        faults.clear(); // stalled bios go
        binding.unbind().toCompletableFuture().join();
        system.terminate();
        Engine current = engine.get();
        if (current != null) {
            current.shutdown().handle((ok, failure) -> null).toCompletableFuture().orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
        }
        system.getWhenTerminated().toCompletableFuture().join();
    }
}
