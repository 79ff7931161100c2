package dev.writebackd.actors;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.fault.FileResolver;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * File names resolved by the running engine's namespace, for fault rules scoped to a file. The
 * engine is looked up at each call (a power cut replaces it); with none running, or no answer
 * within the timeout, the name resolves to nothing and the rule matches no bio.
 *
 * <p>Called on the blocking-I/O threads, where waiting is allowed; never call it on an actor's thread.
 */
public final class EngineFileResolver implements FileResolver {
    private final Supplier<Engine> engine;
    private final Duration timeout;

    /** Names resolved by {@code engine}'s namespace, waiting at most {@code timeout} for each. */
    public EngineFileResolver(Supplier<Engine> engine, Duration timeout) {
        this.engine = requireNonNull(engine, "engine");
        this.timeout = requireNonNull(timeout, "timeout");
    }

    @Override
    public OptionalLong inodeOf(String name) {
        Engine current = engine.get();
        if (current == null) {
            return OptionalLong.empty();
        }
        try {
            return current.inodeOf(name).toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalLong.empty();
        } catch (ExecutionException | TimeoutException e) {
            return OptionalLong.empty();
        }
    }
}
