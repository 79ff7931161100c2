package dev.writebackd.daemon.http;

import static java.util.Objects.requireNonNull;
import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractUnmatchedPath;
import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.withRequestTimeoutResponse;

import dev.writebackd.actors.Engine;
import dev.writebackd.block.fault.FaultyDevice;
import dev.writebackd.error.Errno;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The HTTP API of DESIGN.md's "Interfaces" over an engine: handles, data, fsync, truncate, syncfs,
 * the one-shot file forms, sync, stats, policy, metrics, health, the fault rules
 * ({@link FaultRoutes}; 501 without a fault layer) and {@code POST /v1/faults/power-cut}
 * ({@link PowerCutRoutes}; 409 without a volatile cache). The engine is looked up per request (a power cut replaces it;
 * {@code null} answers 503 ESHUTDOWN), the metrics text is produced per scrape.
 *
 * <p>Errors are JSON {@code {"errno": …, "message": …}} with the status DESIGN.md gives each errno;
 * a wrong method answers 405 ENOTSUP, an unknown path 404 ENOENT, a bad query parameter 400 EINVAL
 * naming it, a request the server's request timeout cuts off 504 ETIMEDOUT. With a token in the {@link ApiSettings}, a request without
 * {@code Authorization: Bearer TOKEN} answers 401 EACCES. Request bodies are received whole within
 * the body limit before anything is applied ({@link Upload} says how).
 *
 * <p>Thread-safe: the route may serve any number of connections.
 */
public final class HttpApi {
    private final Answers answers;
    private final ApiSettings settings;
    private final DataRoutes data;
    private final ServiceRoutes service;
    private final PolicyRoutes policy;

    /** The API with the default settings: a 64 MiB body limit, no token. */
    public HttpApi(Supplier<Engine> engine, Supplier<CompletionStage<String>> metrics) {
        this(engine, metrics, ApiSettings.defaults());
    }

    /** The API with {@code settings}' body limit and token, without a fault layer or power cuts. */
    public HttpApi(Supplier<Engine> engine, Supplier<CompletionStage<String>> metrics, ApiSettings settings) {
        this(engine, metrics, settings, () -> null);
    }

    /**
     * The API with {@code settings}' body limit and token, and {@code /v1/faults} over the fault
     * layer {@code faults} supplies (looked up per request; {@code null} answers 501), without power cuts.
     */
    public HttpApi(Supplier<Engine> engine, Supplier<CompletionStage<String>> metrics, ApiSettings settings,
            Supplier<FaultyDevice> faults) {
        this(engine, metrics, settings, faults, () -> PowerCutControl.NONE);
    }

    /**
     * The API with {@code settings}' body limit and token, {@code /v1/faults} over the fault layer
     * {@code faults} supplies, and {@code POST /v1/faults/power-cut} driving the control
     * {@code powerCuts} supplies (both looked up per request).
     */
    public HttpApi(Supplier<Engine> engine, Supplier<CompletionStage<String>> metrics, ApiSettings settings,
            Supplier<FaultyDevice> faults, Supplier<PowerCutControl> powerCuts) {
        requireNonNull(engine, "engine");
        requireNonNull(powerCuts, "powerCuts");
        requireNonNull(metrics, "metrics");
        requireNonNull(faults, "faults");
        this.settings = requireNonNull(settings, "settings");
        this.answers = new Answers(engine, settings);
        this.data = new DataRoutes(answers);
        this.service = new ServiceRoutes(answers, metrics, new FaultRoutes(answers, faults),
                new PowerCutRoutes(answers, powerCuts));
        this.policy = new PolicyRoutes(answers);
    }

    /**
     * Refuses to serve {@code host} without a token unless it is a loopback address.
     *
     * @throws IllegalArgumentException if {@code host} is not loopback (or cannot be resolved) and
     *     {@code token} is empty
     */
    public static void requireTokenFor(String host, Optional<String> token) {
        requireNonNull(host, "host");
        requireNonNull(token, "token");
        if (token.isPresent() && !token.get().isBlank()) {
            return;
        }
        boolean loopback;
        try {
            loopback = InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            loopback = false;
        }
        if (!loopback) {
            throw new IllegalArgumentException("refusing to serve HTTP on " + host
                    + " without a bearer token: set writebackd.http.token or " + ApiSettings.TOKEN_ENV
                    + ", or bind a loopback address such as 127.0.0.1");
        }
    }

    /** All routes; every request is answered (none is rejected to an outer route). */
    public Route route() {
        ExceptionHandler errors = ExceptionHandler.newBuilder()
                .matchAny(failure -> complete(ApiErrors.response(failure))).build();
        return withRequestTimeoutResponse(HttpApi::timedOut, () -> handleExceptions(errors, () -> authorized(() -> concat(
                pathPrefix("v1", () -> concat(data.route(), policy.route(), service.v1())),
                service.root(),
                extractUnmatchedPath(path -> complete(ApiErrors.error(StatusCodes.NOT_FOUND, Errno.ENOENT,
                        "no such resource: " + path)))))));
    }

    private static HttpResponse timedOut(HttpRequest request) {
        return ApiErrors.error(StatusCodes.GATEWAY_TIMEOUT, Errno.ETIMEDOUT, request.method().name() + " "
                + request.getUri().path() + " got no answer within the server's request timeout "
                + "(pekko.http.server.request-timeout)");
    }

    private Route authorized(Supplier<Route> inner) {
        if (settings.token().isEmpty()) {
            return inner.get();
        }
        byte[] expected = ("Bearer " + settings.token().get()).getBytes(StandardCharsets.UTF_8);
        return optionalHeaderValueByName("Authorization", header -> {
            boolean valid = header.map(value -> MessageDigest.isEqual(value.getBytes(StandardCharsets.UTF_8), expected))
                    .orElse(false);
            if (valid) {
                return inner.get();
            }
            HttpResponse refused = ApiErrors.error(StatusCodes.UNAUTHORIZED, Errno.EACCES, header.isPresent()
                    ? "wrong bearer token" : "this API requires an Authorization: Bearer token")
                    .addHeader(WWWAuthenticate.create(HttpChallenge.create("Bearer", "writebackd")));
            return complete(refused);
        });
    }
}
