package dev.writebackd.daemon.http;

import static dev.writebackd.daemon.http.Answers.methods;
import static dev.writebackd.daemon.http.Answers.noQuery;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writebackd.block.fault.FaultRule;
import dev.writebackd.block.fault.FaultyDevice;
import dev.writebackd.block.fault.InvalidRuleException;
import dev.writebackd.block.fault.RuleStatus;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The fault rules under {@code /v1/faults}: {@code GET} lists them with their hit counts and the
 * run seed, {@code POST} adds one (201 {@code {"id": F}}; an invalid rule answers 400 EINVAL naming
 * the field and adds nothing), {@code DELETE /v1/faults/F} removes one (404 ENOENT if there is no
 * such rule), {@code DELETE /v1/faults} removes all, {@code POST /v1/faults/release} lets stalled
 * bios go (200 {@code {"released": N}}). Without a fault layer every route answers 501 ENOTSUP.
 */
final class FaultRoutes {
    private static final Set<String> FIELDS = Set.copyOf(FaultRule.FIELDS);
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

    private final Answers answers;
    private final Supplier<FaultyDevice> faults;

    FaultRoutes(Answers answers, Supplier<FaultyDevice> faults) {
        this.answers = answers;
        this.faults = faults;
    }

    /** The routes below {@code /v1/faults}. */
    Route route() {
        return concat(
                pathEndOrSingleSlash(() -> methods(
                        get(() -> noQuery(this::list)),
                        post(() -> answers.withJson(FIELDS, this::add)),
                        delete(() -> noQuery(this::clear)))),
                path("release", () -> methods(post(() -> noQuery(this::release)))),
                path(PathMatchers.segment(), id -> methods(delete(() -> noQuery(() -> remove(id))))));
    }

    private FaultyDevice device() {
        FaultyDevice device = faults.get();
        if (device == null) {
            throw new ErrnoException(Errno.ENOTSUP, "this API runs without a fault layer");
        }
        return device;
    }

    private CompletionStage<HttpResponse> list() {
        FaultyDevice device = device();
        return done(StatusCodes.OK, Json.object("runSeed", device.runSeed(),
                "faults", device.rules().stream().map(RuleStatus::toJson).toList()));
    }

    private CompletionStage<HttpResponse> add(ObjectNode body) {
        FaultyDevice device = device();
        FaultRule rule;
        try {
            rule = FaultRule.fromJson(Json.mapper().convertValue(body, MAP));
        } catch (InvalidRuleException e) {
            throw new ErrnoException(Errno.EINVAL, e.getMessage());
        }
        return done(StatusCodes.CREATED, Json.object("id", device.add(rule)));
    }

    private CompletionStage<HttpResponse> remove(String id) {
        FaultyDevice device = device();
        long number;
        try {
            number = Long.parseLong(id);
        } catch (NumberFormatException e) {
            throw new ErrnoException(Errno.ENOENT, "no fault rule \"" + id + "\": rule ids are numbers");
        }
        if (!device.remove(number)) {
            throw new ErrnoException(Errno.ENOENT, "no fault rule " + number);
        }
        return CompletableFuture.completedFuture(Answers.noContent());
    }

    private CompletionStage<HttpResponse> clear() {
        device().clear();
        return CompletableFuture.completedFuture(Answers.noContent());
    }

    private CompletionStage<HttpResponse> release() {
        return done(StatusCodes.OK, Json.object("released", device().release()));
    }

    private static CompletionStage<HttpResponse> done(org.apache.pekko.http.javadsl.model.StatusCode status, Object body) {
        return CompletableFuture.completedFuture(Json.response(status, body));
    }
}
