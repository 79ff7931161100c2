package dev.writebackd.daemon.http;

import static dev.writebackd.daemon.http.Answers.methods;
import static dev.writebackd.daemon.http.Answers.noContent;
import static dev.writebackd.daemon.http.Answers.noQuery;
import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import dev.writebackd.error.Errno;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/** The daemon-wide routes: sync, stats, faults under {@code /v1}; metrics and health at the root. */
final class ServiceRoutes {
    /** Prometheus' text exposition format. */
    static final ContentType PROMETHEUS_TEXT = ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");

    private final Answers answers;
    private final Supplier<CompletionStage<String>> metrics;
    private final FaultRoutes faults;
    private final PowerCutRoutes powerCuts;

    ServiceRoutes(Answers answers, Supplier<CompletionStage<String>> metrics, FaultRoutes faults,
            PowerCutRoutes powerCuts) {
        this.answers = answers;
        this.metrics = metrics;
        this.faults = faults;
        this.powerCuts = powerCuts;
    }

    /** The routes under {@code /v1}. */
    Route v1() {
        return concat(
                path("sync", () -> methods(post(() -> noQuery(() -> noContent(answers.engine().sync()))))),
                path("stats", () -> methods(get(() -> noQuery(this::stats)))),
                powerCuts.route(), // POST /v1/faults/power-cut, ahead of the rules' routes
                pathPrefix("faults", () -> faults.route()));
    }

    /** The routes at the root. */
    Route root() {
        return concat(
                path("metrics", () -> methods(get(() -> noQuery(this::metrics)))),
                path("health", () -> methods(get(() -> noQuery(this::health)))));
    }

    private CompletionStage<HttpResponse> stats() {
        return answers.engine().stats().thenApply(stats -> Json.response(StatusCodes.OK, stats));
    }

    private CompletionStage<HttpResponse> metrics() {
        return metrics.get().thenApply(text ->
                HttpResponse.create().withEntity(PROMETHEUS_TEXT, text.getBytes(StandardCharsets.UTF_8)));
    }

    private CompletionStage<HttpResponse> health() {
        answers.engine(); // ESHUTDOWN, 503, until the engine runs
        return CompletableFuture.completedFuture(Json.response(StatusCodes.OK, Json.object("status", "ready")));
    }
}
