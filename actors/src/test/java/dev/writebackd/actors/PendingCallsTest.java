package dev.writebackd.actors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class PendingCallsTest {

    private static ErrnoException halted() {
        return new ErrnoException(Errno.ESHUTDOWN, "halted");
    }

    @Test
    void failAllFailsOnlyTheFuturesStillPending() {
        PendingCalls calls = new PendingCalls();
        CompletableFuture<String> done = new CompletableFuture<>();
        CompletableFuture<String> pending = new CompletableFuture<>();
        calls.add(done);
        calls.add(pending);
        done.complete("ok");

        calls.failAll(PendingCallsTest::halted);

        assertThat(done.join()).isEqualTo("ok");
        assertThat(pending).isCompletedExceptionally();
        assertThat(pending.handle((v, e) -> ((ErrnoException) e).errno()).join()).isEqualTo(Errno.ESHUTDOWN);
        assertThat(calls.size()).isZero();
    }

    @Test
    void sweepFailsWhatIsPastItsDeadlineAndForgetsWhatCompleted() {
        PendingCalls calls = new PendingCalls();
        long now = System.nanoTime();
        CompletableFuture<String> late = new CompletableFuture<>();
        CompletableFuture<String> early = new CompletableFuture<>();
        CompletableFuture<String> noDeadline = new CompletableFuture<>();
        CompletableFuture<String> done = new CompletableFuture<>();
        calls.add(late, now - 1);
        calls.add(early, now + 60_000_000_000L);
        calls.add(noDeadline);
        calls.add(done, now - 1);
        done.complete("ok");

        calls.sweep(now, () -> new ErrnoException(Errno.ETIMEDOUT, "late"));

        assertThat(late.handle((v, e) -> ((ErrnoException) e).errno()).join()).isEqualTo(Errno.ETIMEDOUT);
        assertThat(early).isNotDone();
        assertThat(noDeadline).isNotDone();
        assertThat(done.join()).isEqualTo("ok");
        assertThat(calls.size()).isEqualTo(2);
    }

    @Test
    void completedFuturesDoNotAccumulateAsCallsGoOn() {
        PendingCalls calls = new PendingCalls();
        List<CompletableFuture<Integer>> open = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            CompletableFuture<Integer> future = new CompletableFuture<>();
            calls.add(future);
            if (i % 1000 == 0) {
                open.add(future);
            } else {
                future.complete(i);
            }
        }
        assertThat(calls.size()).isLessThan(1000); // dropped as the stripe filled, amortised

        calls.failAll(PendingCallsTest::halted);
        assertThat(open).allMatch(CompletableFuture::isCompletedExceptionally);
    }
}
