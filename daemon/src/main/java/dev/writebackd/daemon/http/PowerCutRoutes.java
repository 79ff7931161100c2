package dev.writebackd.daemon.http;

import static dev.writebackd.daemon.http.Answers.methods;
import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.withRequestTimeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writebackd.block.fault.PowerCutMode;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.time.Duration;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.util.ByteString;

/**
 * {@code POST /v1/faults/power-cut} with {@code {"mode": "drop-unflushed" | "random", "seed": S}}
 * (both optional: the mode defaults to {@code drop-unflushed}, the seed is derived from the run
 * seed; an empty body means both defaults): the engine halts at once, the volatile
 * cache loses what a power cut of that mode loses, and a new engine starts from the device and the
 * journal; the answer, once it serves requests, is 200 {@code {"seed": S, "droppedSectors": N}}.
 * Handles opened before the cut answer 404 ESTALE afterwards.
 *
 * <p>Errors: 409 ENOTSUP when the daemon runs without a volatile cache (nothing to cut: turn on
 * {@code writebackd.faults.volatile-cache} or use the {@code fault-lab} preset); 400 EINVAL naming
 * the key for an unknown mode, a seed that is not an integer, or an unknown key — these
 * change nothing; 500 EIO if the new engine fails to start (the daemon then answers 503 until
 * restarted). The request may take up to 120 s (the server's usual request timeout is lifted for it).
 */
final class PowerCutRoutes {
    private static final Set<String> KEYS = Set.of("mode", "seed");
    private static final long BODY_LIMIT = 64 * 1024;
    /** A cut waits for the halted engine's bios and for the new engine's start-up restore. */
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final String MODES = Arrays.stream(PowerCutMode.values()).map(PowerCutMode::wireName)
            .collect(Collectors.joining(", "));

    private final Answers answers;
    private final Supplier<PowerCutControl> control;

    PowerCutRoutes(Answers answers, Supplier<PowerCutControl> control) {
        this.answers = answers;
        this.control = control;
    }

    /** The route, to be mounted under {@code /v1} ahead of the other {@code /v1/faults} routes. */
    Route route() {
        return pathPrefix("faults", () -> path("power-cut", () -> withRequestTimeout(TIMEOUT,
                () -> methods(post(this::cut)))));
    }

    private Route cut() {
        PowerCutControl current = control.get();
        if (current == null || !current.available()) {
            return complete(ApiErrors.error(StatusCodes.CONFLICT, Errno.ENOTSUP, "this daemon has no volatile write "
                    + "cache to cut: set writebackd.faults.volatile-cache = on or run with --preset fault-lab"));
        }
        return parameterMap(params -> answers.withBody(BODY_LIMIT, upload -> {
            Queries.of(params);
            ByteString bytes = upload.joined();
            ObjectNode body = bytes.isEmpty() ? Json.mapper().createObjectNode() : Json.parseObject(bytes, KEYS);
            PowerCutMode mode = mode(body);
            OptionalLong seed = seed(body);
            answers.engine(); // 503 while no engine runs
            return current.powerCut(mode, seed).thenApply(result -> Json.response(StatusCodes.OK,
                    Json.object("seed", result.seed(), "droppedSectors", result.droppedSectors())));
        }));
    }

    private static PowerCutMode mode(ObjectNode body) {
        JsonNode value = body.get("mode");
        if (value == null) {
            return PowerCutMode.DROP_UNFLUSHED;
        }
        if (!value.isTextual()) {
            throw new ErrnoException(Errno.EINVAL, "\"mode\" must be one of " + MODES);
        }
        return PowerCutMode.fromWireName(value.textValue()).orElseThrow(() -> new ErrnoException(Errno.EINVAL,
                "\"mode\" " + value + " is not one of " + MODES));
    }

    private static OptionalLong seed(ObjectNode body) {
        JsonNode value = body.get("seed");
        if (value == null || value.isNull()) {
            return OptionalLong.empty();
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new ErrnoException(Errno.EINVAL, "\"seed\" must be an integer (a 64-bit signed number), not " + value);
        }
        return OptionalLong.of(value.longValue());
    }
}
