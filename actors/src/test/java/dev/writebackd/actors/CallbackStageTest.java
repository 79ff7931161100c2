package dev.writebackd.actors;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The engine's answer stages run their callers' callbacks on the engine's pool, not where they complete. */
class CallbackStageTest {
    private final ExecutorService pool = Executors.newSingleThreadExecutor(r -> new Thread(r, "callback-pool"));

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    @Test
    @DisplayName("callbacks chained before or after completion run on the pool, and so do those of derived stages")
    void callbacksRunOnThePool() throws Exception {
        CompletableFuture<Integer> stage = new CallbackStage<>(pool);
        CompletableFuture<String> before = stage.thenApply(v -> Thread.currentThread().getName());
        CompletableFuture<String> derived = stage.thenApply(v -> v + 1).thenApply(v -> Thread.currentThread().getName());

        stage.complete(1); // completed on this thread, as an actor would

        assertThat(before.get(5, TimeUnit.SECONDS)).isEqualTo("callback-pool");
        assertThat(derived.get(5, TimeUnit.SECONDS)).isEqualTo("callback-pool");
        assertThat(stage.thenApply(v -> Thread.currentThread().getName()).get(5, TimeUnit.SECONDS))
                .isEqualTo("callback-pool");
        assertThat(stage.whenComplete((v, e) -> { }).thenCompose(v -> CompletableFuture.completedFuture(
                Thread.currentThread().getName())).get(5, TimeUnit.SECONDS)).isEqualTo("callback-pool");
    }

    @Test
    @DisplayName("a caller that only waits gets the value and the failure as from a plain future")
    void waitingCallerGetsTheOutcome() {
        CompletableFuture<Integer> ok = new CallbackStage<>(pool);
        CompletableFuture<Integer> failed = new CallbackStage<>(pool);
        IllegalStateException error = new IllegalStateException("boom");

        ok.complete(7);
        failed.completeExceptionally(error);

        assertThat(ok.join()).isEqualTo(7);
        assertThat(failed).isCompletedExceptionally();
        assertThat(failed.exceptionally(e -> e == error ? -1 : 0).join()).isEqualTo(-1);
    }
}
