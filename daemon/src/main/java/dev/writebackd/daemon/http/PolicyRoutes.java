package dev.writebackd.daemon.http;

import static dev.writebackd.daemon.http.Answers.methods;
import static dev.writebackd.daemon.http.Answers.noQuery;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.patch;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writebackd.config.RuntimePolicy;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /v1/policy} and {@code PATCH /v1/policy}: the run-time policy as JSON with the
 * camelCase keys of {@link RuntimePolicy#KEYS}. A PATCH names some keys; an unknown key or an
 * invalid value answers 400 EINVAL naming it and changes nothing, else the change applies for the
 * engine's next decision and the answer is the whole new policy.
 */
final class PolicyRoutes {
    private static final Set<String> KEYS = Set.copyOf(RuntimePolicy.KEYS);

    private final Answers answers;

    PolicyRoutes(Answers answers) {
        this.answers = answers;
    }

    Route route() {
        return path("policy", () -> methods(
                get(() -> noQuery(() -> CompletableFuture.completedFuture(policy(answers.engine().policy())))),
                patch(this::change)));
    }

    private Route change() {
        return answers.withJson(KEYS, body -> answers.engine().changePolicy(values(body)).thenApply(PolicyRoutes::policy));
    }

    /** The body's values as Java values: numbers as Jackson typed them, strings; anything else as its node (refused). */
    private static Map<String, Object> values(ObjectNode body) {
        Map<String, Object> values = new LinkedHashMap<>();
        body.fields().forEachRemaining(field -> {
            JsonNode node = field.getValue();
            Object value = node.isNumber() ? node.numberValue() : node.isTextual() ? node.textValue() : node;
            values.put(field.getKey(), value);
        });
        return values;
    }

    private static HttpResponse policy(RuntimePolicy policy) {
        return Json.response(StatusCodes.OK, policy.toMap());
    }
}
