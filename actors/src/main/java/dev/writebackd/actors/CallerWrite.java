package dev.writebackd.actors;

import static java.util.Objects.requireNonNull;

import dev.writebackd.actors.engine.WriteData;
import dev.writebackd.actors.engine.WriteQueue;
import dev.writebackd.config.Durability;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A caller's write on its way through a {@link WriteQueue}: the file's actor answers the caller's
 * stage directly with the {@link WriteResult}, so a write needs no future of its own between the
 * actor and the caller and nothing chained on either.
 */
final class CallerWrite extends WriteQueue.Entry {
    private final CompletableFuture<WriteResult> result;

    CallerWrite(long handleId, WriteData data, Durability durability, CompletableFuture<Void> durable,
            CompletableFuture<WriteResult> result) {
        super(handleId, data, durability, durable);
        this.result = requireNonNull(result, "result");
    }

    @Override
    protected void answered(int bytes) {
        result.complete(new WriteResult(bytes, durable()));
    }

    @Override
    protected void refused(Throwable error) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        result.completeExceptionally(cause);
    }

    @Override
    protected boolean isAnswered() {
        return result.isDone();
    }
}
