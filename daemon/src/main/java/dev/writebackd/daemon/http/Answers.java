package dev.writebackd.daemon.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractMaterializer;
import static org.apache.pekko.http.javadsl.server.Directives.extractMethod;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequestEntity;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.withoutSizeLimit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writebackd.actors.Engine;
import dev.writebackd.actors.Handle;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/** What every route shares: the engine, the body limit, answering a stage, and refusing a wrong method. */
final class Answers {
    /** The limit of JSON bodies (open, rename, policy), which are small. */
    private static final long JSON_LIMIT = 64 * 1024;

    private final Supplier<Engine> engine;
    private final ApiSettings settings;

    Answers(Supplier<Engine> engine, ApiSettings settings) {
        this.engine = engine;
        this.settings = settings;
    }

    /** The running engine; ESHUTDOWN while there is none. */
    Engine engine() {
        Engine current = engine.get();
        if (current == null) {
            throw new ErrnoException(Errno.ESHUTDOWN, "the engine is not running");
        }
        return current;
    }

    /** The open handle named by path segment {@code id}; EBADF if there is none. */
    Handle handle(String id) {
        long number;
        try {
            number = Long.parseLong(id);
        } catch (NumberFormatException e) {
            throw new ErrnoException(Errno.EBADF, "no handle \"" + id + "\": handles are numbers");
        }
        return engine().handle(number)
                .orElseThrow(() -> new ErrnoException(Errno.EBADF, "handle " + number + " is not open"));
    }

    /** Completes with the handler's answer; a failure, thrown or in the stage, becomes its error answer. */
    static Route answer(Supplier<CompletionStage<HttpResponse>> handler) {
        CompletionStage<HttpResponse> response;
        try {
            response = handler.get();
        } catch (RuntimeException e) {
            response = CompletableFuture.failedFuture(e);
        }
        return completeWithFuture(response.exceptionally(ApiErrors::response));
    }

    /**
     * Receives the request body within the limit, then answers with the handler; the route lifts
     * pekko-http's own size limit so that this one applies, with EFBIG.
     */
    Route withBody(long limit, Function<Upload, CompletionStage<HttpResponse>> handler) {
        return withoutSizeLimit(() -> extractMaterializer(materializer -> extractRequestEntity(entity ->
                answer(() -> Upload.receive(entity, limit, materializer).thenCompose(handler::apply)))));
    }

    /**
     * Receives a JSON object with no key outside {@code keys} (EINVAL otherwise), refusing any
     * query parameter, then answers with the handler.
     */
    Route withJson(Set<String> keys, Function<ObjectNode, CompletionStage<HttpResponse>> handler) {
        return parameterMap(params -> {
            try {
                Queries.of(params);
            } catch (RuntimeException e) {
                return answer(() -> CompletableFuture.failedFuture(e));
            }
            return withBody(JSON_LIMIT, upload -> handler.apply(Json.parseObject(upload.joined(), keys)));
        });
    }

    /** Answers with {@code handler}, refusing any query parameter. */
    static Route noQuery(Supplier<CompletionStage<HttpResponse>> handler) {
        return parameterMap(params -> answer(() -> {
            Queries.of(params);
            return handler.get();
        }));
    }

    /** {@link #withBody} with the configured limit for data. */
    Route withData(Function<Upload, CompletionStage<HttpResponse>> handler) {
        return withBody(settings.maxBodyBytes(), handler);
    }

    /** The routes, else 405 ENOTSUP for a method none of them takes. */
    static Route methods(Route... routes) {
        Route[] all = Arrays.copyOf(routes, routes.length + 1);
        all[routes.length] = extractMethod(method -> complete(ApiErrors.error(StatusCodes.METHOD_NOT_ALLOWED,
                Errno.ENOTSUP, "method " + method.name() + " is not allowed here")));
        return concat(all[0], Arrays.copyOfRange(all, 1, all.length));
    }

    static HttpResponse noContent() {
        return HttpResponse.create().withStatus(StatusCodes.NO_CONTENT);
    }

    static CompletionStage<HttpResponse> noContent(CompletionStage<?> stage) {
        return stage.thenApply(done -> noContent());
    }
}
