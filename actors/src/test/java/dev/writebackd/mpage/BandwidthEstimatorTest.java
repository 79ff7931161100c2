package dev.writebackd.mpage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BandwidthEstimatorTest {

    private static final int PAGE = 4096;
    private static final long INITIAL_PAGES = 25_600; // 100 MiB/s in 4 KiB pages

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final BandwidthEstimator estimator = new BandwidthEstimator(PAGE, now::get);

    private void advance(long millis) {
        now.addAndGet(Duration.ofMillis(millis).toNanos());
    }

    @Test
    @DisplayName("T4 the bandwidth estimate starts at 100 MiB/s in pages until measured")
    void startsAt100MiB() {
        assertThat(estimator.bandwidthPagesPerSec()).isEqualTo(INITIAL_PAGES);
        assertThat(estimator.measured()).isFalse();
        assertThat(new BandwidthEstimator(65_536, now::get).bandwidthPagesPerSec()).isEqualTo(1600);
    }

    @Test
    @DisplayName("T4 completions within a 200 ms window do not move the estimate until the window closes")
    void windowOfAtLeast200ms() {
        advance(199);
        estimator.recordCompletions(1_000);
        assertThat(estimator.bandwidthPagesPerSec()).isEqualTo(INITIAL_PAGES);
        assertThat(estimator.measured()).isFalse();

        advance(1);
        estimator.recordCompletions(0);
        // one 200 ms window at 5000 pages/s moves the estimate 1/15 of the way
        double expected = INITIAL_PAGES + (5_000.0 - INITIAL_PAGES) / 15;
        assertThat((double) estimator.bandwidthPagesPerSec()).isCloseTo(expected, within(1.0));
        assertThat(estimator.measured()).isTrue();
    }

    @Test
    @DisplayName("T4 the estimate converges on a steady completion rate under a manual clock")
    void convergesOnSteadyRate() {
        for (int window = 0; window < 150; window++) { // 30 s of 1000 pages every 200 ms
            advance(200);
            estimator.recordCompletions(1_000);
        }

        assertThat(estimator.bandwidthPagesPerSec()).isCloseTo(5_000, within(50L));
    }

    @Test
    @DisplayName("T4 completions given as a running total count their growth")
    void runningTotal() {
        estimator.recordCompletedTotal(0);
        advance(3_000);
        estimator.recordCompletedTotal(6_000);
        assertThat(estimator.bandwidthPagesPerSec()).isEqualTo(2_000);

        advance(3_000);
        estimator.recordCompletedTotal(15_000);
        assertThat(estimator.bandwidthPagesPerSec()).isEqualTo(3_000);
    }

    @Test
    @DisplayName("T4 a window of 3 s or more replaces the estimate outright")
    void longWindowReplaces() {
        advance(4_000);
        estimator.recordCompletions(8_000);

        assertThat(estimator.bandwidthPagesPerSec()).isEqualTo(2_000);
    }

    @Test
    @DisplayName("T4 idle time is not measured as slow writing")
    void idleNotCounted() {
        advance(10_000);
        estimator.markIdle();
        advance(3_000);
        estimator.recordCompletions(30_000);

        assertThat(estimator.bandwidthPagesPerSec()).isEqualTo(10_000);
    }

    @Test
    @DisplayName("T4 ticks while writes are stalled drag the estimate down")
    void stalledDeviceDragsDown() {
        advance(3_000);
        estimator.recordCompletions(30_000);
        for (int i = 0; i < 30; i++) {
            advance(200);
            estimator.tick();
        }

        assertThat(estimator.bandwidthPagesPerSec()).isLessThan(1_500);
    }

    @Test
    @DisplayName("T4 baseRate starts at the bandwidth estimate and is re-balanced every 200 ms to bandwidth / writers")
    void baseRateRebalanced() {
        assertThat(estimator.baseRate(4)).isEqualTo(INITIAL_PAGES);

        advance(199);
        assertThat(estimator.baseRate(4)).as("not yet re-balanced").isEqualTo(INITIAL_PAGES);

        advance(1);
        assertThat(estimator.baseRate(4)).isEqualTo(INITIAL_PAGES / 4);
        assertThat(estimator.baseRate(1)).as("within the same 200 ms").isEqualTo(INITIAL_PAGES / 4);

        estimator.markIdle();
        advance(3_000);
        estimator.recordCompletions(3_000); // 1000 pages/s
        advance(200);
        assertThat(estimator.baseRate(3)).isEqualTo(333);
        advance(200);
        assertThat(estimator.baseRate(0)).as("no writers counts as one").isEqualTo(1_000);
    }
}
