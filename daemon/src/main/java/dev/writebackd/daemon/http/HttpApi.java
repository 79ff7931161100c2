package dev.writebackd.daemon.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import dev.writebackd.actors.Engine;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The HTTP API of DESIGN.md's "Interfaces" over an engine. The engine is looked up per request
 * (a power cut replaces it), the metrics text is produced per scrape.
 */
public final class HttpApi {
    private final Supplier<Engine> engine;
    private final Supplier<CompletionStage<String>> metrics;

    public HttpApi(Supplier<Engine> engine, Supplier<CompletionStage<String>> metrics) {
        this.engine = engine;
        this.metrics = metrics;
    }

    /** All routes. */
    public Route route() {
        return concat(path("health", () -> complete(StatusCodes.OK, "ok")));
    }
}
