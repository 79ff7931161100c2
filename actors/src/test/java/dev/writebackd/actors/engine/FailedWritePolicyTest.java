package dev.writebackd.actors.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.actors.engine.FailedWritePolicy.Action;
import dev.writebackd.actors.engine.FailedWritePolicy.Verdict;
import dev.writebackd.config.ErrorPolicy;
import dev.writebackd.config.Settings;
import dev.writebackd.config.WritebackPolicy;
import dev.writebackd.error.Errno;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FailedWritePolicyTest {

    private static WritebackPolicy policy(ErrorPolicy errorPolicy, int retryLimit) {
        return Settings.defaults().writeback().withErrorPolicy(errorPolicy).withRetryLimit(retryLimit)
                .withRedirtyBackoffInitial(Duration.ofMillis(100)).withRedirtyBackoffMax(Duration.ofMillis(500));
    }

    @Test
    @DisplayName("E5 linux drops a failed page at once, every time")
    void linuxDrops() {
        FailedWritePolicy policy = new FailedWritePolicy(policy(ErrorPolicy.LINUX, 5));

        assertThat(policy.failed(1, 0, Errno.EIO)).isEqualTo(new Verdict(0, Action.DROP, Duration.ZERO, Errno.EIO));
        assertThat(policy.failed(1, 0, Errno.EIO).action()).isEqualTo(Action.DROP);
        assertThat(policy.failures(1, 0)).isZero();
    }

    @Test
    @DisplayName("E5 sticky holds a failed page")
    void stickyHolds() {
        FailedWritePolicy policy = new FailedWritePolicy(policy(ErrorPolicy.STICKY, 5));

        assertThat(policy.failed(1, 0, Errno.ENOSPC)).isEqualTo(new Verdict(0, Action.HOLD, Duration.ZERO, Errno.ENOSPC));
    }

    @Test
    @DisplayName("E5 redirty doubles the backoff up to its maximum, then drops after the retry limit")
    void redirtyBacksOffThenDrops() {
        FailedWritePolicy policy = new FailedWritePolicy(policy(ErrorPolicy.REDIRTY, 4));

        assertThat(policy.failed(1, 7, Errno.EIO).retryAfter()).isEqualTo(Duration.ofMillis(100));
        assertThat(policy.failed(1, 7, Errno.EIO).retryAfter()).isEqualTo(Duration.ofMillis(200));
        assertThat(policy.failed(1, 7, Errno.EIO).retryAfter()).isEqualTo(Duration.ofMillis(400));
        assertThat(policy.failed(1, 7, Errno.EIO).retryAfter()).isEqualTo(Duration.ofMillis(500));
        assertThat(policy.failed(1, 7, Errno.EIO).action()).isEqualTo(Action.DROP);
        assertThat(policy.failures(1, 7)).isZero();
        assertThat(policy.failed(1, 7, Errno.EIO).action()).isEqualTo(Action.RETRY); // a later failure starts over
    }

    @Test
    void aSuccessOrForgettingTheFileResetsTheCount() {
        FailedWritePolicy policy = new FailedWritePolicy(policy(ErrorPolicy.REDIRTY, 1));
        policy.failed(1, 0, Errno.EIO);
        policy.failed(2, 0, Errno.EIO);

        policy.succeeded(1, 0);
        policy.forget(2);

        assertThat(policy.failed(1, 0, Errno.EIO).action()).isEqualTo(Action.RETRY);
        assertThat(policy.failed(2, 0, Errno.EIO).action()).isEqualTo(Action.RETRY);
    }

    @Test
    void redirtyWithRetryLimitZeroBehavesAsLinux() {
        FailedWritePolicy policy = new FailedWritePolicy(policy(ErrorPolicy.REDIRTY, 0));

        assertThat(policy.failed(1, 0, Errno.EIO).action()).isEqualTo(Action.DROP);
    }

    @Test
    void aNewPolicyAppliesToTheNextFailure() {
        FailedWritePolicy policy = new FailedWritePolicy(policy(ErrorPolicy.LINUX, 3));

        policy.setPolicy(policy(ErrorPolicy.STICKY, 3));

        assertThat(policy.failed(1, 0, Errno.EIO).action()).isEqualTo(Action.HOLD);
    }
}
