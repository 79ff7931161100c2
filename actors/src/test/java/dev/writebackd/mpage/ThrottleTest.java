package dev.writebackd.mpage;

import static dev.writebackd.mpage.Throttle.MAX_PAUSE_NANOS;
import static dev.writebackd.mpage.Throttle.MIN_PAUSE_NANOS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.writebackd.mpage.Throttle.Action;
import dev.writebackd.mpage.Throttle.Decision;
import dev.writebackd.mpage.Throttle.WriterState;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ThrottleTest {

    private static final int PAGE = 4096;
    /** 1 GiB of 4 KiB pages. */
    private static final long BUDGET = 262_144;

    /** thresh 1000, bg 500: freerun 750, setpoint 875, limit − setpoint = 125. */
    private static final DirtyLimits LIMITS = new DirtyLimits(1000, 500);
    /** 1000 pages/s: one page dirtied at the setpoint owes exactly 1 ms. */
    private static final long RATE = 1000;

    private static long ms(long millis) {
        return Duration.ofMillis(millis).toNanos();
    }

    // ---- T1 ---------------------------------------------------------------------------------

    @Test
    @DisplayName("T1 default ratios: thresh is 20 % and bg 10 % of the cache budget")
    void defaultRatios() {
        DirtyLimits limits = DirtyLimits.defaults(BUDGET, PAGE);

        assertThat(limits.threshPages()).isEqualTo(52_428); // floor(262144 × 0.2)
        assertThat(limits.bgThreshPages()).isEqualTo(26_214);
    }

    @Test
    @DisplayName("T1 fractional ratios are applied to the budget and rounded down")
    void fractionalRatios() {
        DirtyLimits limits = DirtyLimits.of(1000, PAGE, 12.5, 0, 2.55, 0);

        assertThat(limits).isEqualTo(new DirtyLimits(125, 25));
    }

    @Test
    @DisplayName("T1 non-zero bytes win over the ratios and round up to whole pages")
    void bytesWin() {
        DirtyLimits limits = DirtyLimits.of(BUDGET, PAGE, 20, 64L << 20, 10, 10_000);

        assertThat(limits.threshPages()).isEqualTo(16_384);
        assertThat(limits.bgThreshPages()).isEqualTo(3); // 10000 bytes → 2.44 pages → 3
    }

    @Test
    @DisplayName("T1 a bytes twin wins for one threshold while the other keeps its ratio")
    void bytesWinPerThreshold() {
        DirtyLimits limits = DirtyLimits.of(BUDGET, PAGE, 20, 0, 10, 8L << 20);

        assertThat(limits).isEqualTo(new DirtyLimits(52_428, 2048));
    }

    @ParameterizedTest(name = "ratio {0} % / bg {1} % → thresh {2}, bg {3}")
    @CsvSource({
        "20, 20, 200, 100",
        "20, 30, 200, 100",
        "10, 50, 100, 50",
        "0.1, 0.1, 1, 0",
    })
    @DisplayName("T1 a background threshold at or above thresh becomes thresh / 2")
    void bgAtOrAboveThreshIsHalved(double ratio, double bgRatio, long thresh, long bg) {
        assertThat(DirtyLimits.of(1000, PAGE, ratio, 0, bgRatio, 0)).isEqualTo(new DirtyLimits(thresh, bg));
    }

    @Test
    @DisplayName("T1 bytes that put bg above thresh are halved too, and zero thresholds stay zero")
    void bytesHalvedAndZero() {
        assertThat(DirtyLimits.of(BUDGET, PAGE, 20, 40960, 10, 81920)).isEqualTo(new DirtyLimits(10, 5));
        assertThat(new DirtyLimits(0, 0)).isEqualTo(new DirtyLimits(0, 0));
        assertThat(DirtyLimits.of(BUDGET, PAGE, 20, 0, 0, 0).bgThreshPages()).isZero();
    }

    @Test
    @DisplayName("T1 invalid ratios, bytes and budgets are refused")
    void invalidInputs() {
        assertThatThrownBy(() -> DirtyLimits.of(BUDGET, PAGE, 101, 0, 10, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DirtyLimits.of(BUDGET, PAGE, Double.NaN, 0, 10, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DirtyLimits.of(BUDGET, PAGE, 20, -1, 10, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DirtyLimits.of(-1, PAGE, 20, 0, 10, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DirtyLimits(-1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- T2 ---------------------------------------------------------------------------------

    @ParameterizedTest(name = "dirty {0} → wake {1}")
    @CsvSource({"0, false", "500, false", "501, true", "750, true", "900, true", "1000, true", "5000, true"})
    @DisplayName("T2 a decision wakes the flusher exactly when dirty is above bg_thresh, whatever the pause")
    void wakeFlusherAboveBackground(long dirty, boolean wake) {
        Decision d = Throttle.decide(dirty, LIMITS, RATE, WriterState.initial(RATE).dirtied(1));

        assertThat(d.wakeFlusher()).isEqualTo(wake);
    }

    @Test
    @DisplayName("T2 the writer is only delayed, never asked to write: every action is an answer time")
    void writersNeverWrite() {
        for (long dirty = 0; dirty <= 2 * LIMITS.threshPages(); dirty++) {
            for (long pages : new long[] {1, 50, 10_000}) {
                Decision d = Throttle.decide(dirty, LIMITS, RATE, WriterState.initial(RATE).dirtied(pages));

                assertThat(d.delayNanos()).as("dirty %d, %d pages: delay", dirty, pages).isBetween(0L, MAX_PAUSE_NANOS);
                if (d.action() != Action.NO_PAUSE) {
                    assertThat(d.delayNanos()).as("dirty %d, %d pages: a taken delay", dirty, pages)
                            .isGreaterThanOrEqualTo(MIN_PAUSE_NANOS);
                }
                assertThat(d.action() == Action.WAIT_FOR_LIMIT).as("dirty %d: waits exactly at and above the limit", dirty)
                        .isEqualTo(dirty >= LIMITS.threshPages());
            }
        }
    }

    // ---- T3 ---------------------------------------------------------------------------------

    @Test
    @DisplayName("T3 at exactly freerun = (thresh + bg) / 2 the writer is not delayed; one page more and it is")
    void freerunBoundary() {
        WriterState writer = WriterState.initial(RATE).dirtied(100);
        assertThat(LIMITS.freerunPages()).isEqualTo(750);

        Decision atFreerun = Throttle.decide(750, LIMITS, RATE, writer);
        Decision above = Throttle.decide(751, LIMITS, RATE, writer);

        assertThat(atFreerun.action()).isEqualTo(Action.NO_PAUSE);
        assertThat(atFreerun.delayNanos()).isZero();
        assertThat(above.action()).isEqualTo(Action.PAUSE);
    }

    @Test
    @DisplayName("T3 running free drops the writer's count and credit")
    void freerunResetsWriter() {
        WriterState writer = new WriterState(400, ms(7), RATE);

        Decision d = Throttle.decide(10, LIMITS, RATE, writer);

        assertThat(d.next()).isEqualTo(WriterState.initial(RATE));
    }

    @Test
    @DisplayName("T3 with an odd sum the freerun ceiling rounds down")
    void freerunRoundsDown() {
        DirtyLimits limits = new DirtyLimits(101, 50);
        WriterState writer = WriterState.initial(RATE).dirtied(100);

        assertThat(limits.freerunPages()).isEqualTo(75);
        assertThat(Throttle.decide(75, limits, RATE, writer).action()).isEqualTo(Action.NO_PAUSE);
        assertThat(Throttle.decide(76, limits, RATE, writer).action()).isEqualTo(Action.PAUSE);
    }

    // ---- T4 ---------------------------------------------------------------------------------

    @Test
    @DisplayName("T4 setpoint = (freerun + limit) / 2 and posRatio there is exactly 1")
    void posRatioAtSetpoint() {
        assertThat(LIMITS.setpointPages()).isEqualTo(875);
        assertThat(Throttle.posRatio(875, LIMITS)).isEqualTo(1.0);
    }

    @Test
    @DisplayName("T4 posRatio is above 1 below the setpoint and below 1 above it, following the cubic")
    void posRatioCubic() {
        // x = (875 − 800) / 125 = 0.6 → 1.216; x = (875 − 950) / 125 = −0.6 → 0.784
        assertThat(Throttle.posRatio(800, LIMITS)).isCloseTo(1.216, within(1e-12));
        assertThat(Throttle.posRatio(950, LIMITS)).isCloseTo(0.784, within(1e-12));
        assertThat(Throttle.posRatio(751, LIMITS)).isGreaterThan(1.9).isLessThanOrEqualTo(2);
        assertThat(Throttle.posRatio(999, LIMITS)).isGreaterThan(0).isLessThan(0.1);
    }

    @Test
    @DisplayName("T4 posRatio is clamped to [0, 2]: 0 at and above the limit, 2 far below the setpoint")
    void posRatioClamps() {
        assertThat(Throttle.posRatio(1000, LIMITS)).isZero();
        assertThat(Throttle.posRatio(5000, LIMITS)).isZero();
        assertThat(Throttle.posRatio(0, LIMITS)).isEqualTo(2.0);
        assertThat(Throttle.posRatio(600, LIMITS)).isEqualTo(2.0);
    }

    @Test
    @DisplayName("T4 pause = pagesDirtied / (baseRate × posRatio): 50 pages at the setpoint and 1000 pages/s is 50 ms")
    void pauseAtSetpoint() {
        Decision d = Throttle.decide(875, LIMITS, RATE, WriterState.initial(RATE).dirtied(50));

        assertThat(d.action()).isEqualTo(Action.PAUSE);
        assertThat(d.delayNanos()).isEqualTo(ms(50));
        assertThat(d.delay()).isEqualTo(Duration.ofMillis(50));
        assertThat(d.next()).isEqualTo(WriterState.initial(RATE));
    }

    @Test
    @DisplayName("T4 below the setpoint the same pages cost a shorter pause, above it a longer one")
    void pauseScalesWithPosRatio() {
        WriterState writer = WriterState.initial(RATE).dirtied(50);

        long below = Throttle.decide(800, LIMITS, RATE, writer).delayNanos();
        long above = Throttle.decide(950, LIMITS, RATE, writer).delayNanos();

        assertThat(below).isEqualTo((long) (50e9 / (RATE * 1.216)));
        assertThat(above).isEqualTo((long) (50e9 / (RATE * 0.784)));
    }

    @Test
    @DisplayName("T4 a pause is capped at 200 ms and the excess is forgiven")
    void pauseCapped() {
        Decision d = Throttle.decide(875, LIMITS, RATE, new WriterState(10_000, ms(9), RATE));

        assertThat(d.action()).isEqualTo(Action.PAUSE);
        assertThat(d.delayNanos()).isEqualTo(MAX_PAUSE_NANOS).isEqualTo(ms(200));
        assertThat(d.next()).isEqualTo(WriterState.initial(RATE));
    }

    @Test
    @DisplayName("T4 a pause under 10 ms is carried as credit, and taken once the credit reaches 10 ms")
    void shortPausesCarriedAsCredit() {
        WriterState writer = WriterState.initial(RATE);

        Decision first = Throttle.decide(875, LIMITS, RATE, writer.dirtied(4));
        assertThat(first.action()).isEqualTo(Action.NO_PAUSE);
        assertThat(first.delayNanos()).isZero();
        assertThat(first.next()).isEqualTo(new WriterState(0, ms(4), RATE));

        Decision second = Throttle.decide(875, LIMITS, RATE, first.next().dirtied(5));
        assertThat(second.action()).isEqualTo(Action.NO_PAUSE);
        assertThat(second.next()).isEqualTo(new WriterState(0, ms(9), RATE));

        Decision third = Throttle.decide(875, LIMITS, RATE, second.next().dirtied(3));
        assertThat(third.action()).isEqualTo(Action.PAUSE);
        assertThat(third.delayNanos()).isEqualTo(ms(12));
        assertThat(third.next()).isEqualTo(WriterState.initial(RATE));
    }

    @Test
    @DisplayName("T4 exactly 10 ms owed is taken as a pause, just under it is credit")
    void creditBoundary() {
        assertThat(Throttle.decide(875, LIMITS, RATE, WriterState.initial(RATE).dirtied(10)).action())
                .isEqualTo(Action.PAUSE);
        assertThat(Throttle.decide(875, LIMITS, RATE, new WriterState(9, ms(1) - 1, RATE)).action())
                .isEqualTo(Action.NO_PAUSE);
        assertThat(MIN_PAUSE_NANOS).isEqualTo(ms(10));
    }

    @Test
    @DisplayName("T4 the writer's base rate sets its pace: twice the rate, half the pause")
    void baseRateSetsPace() {
        long slow = Throttle.decide(875, LIMITS, RATE, WriterState.initial(RATE).dirtied(40)).delayNanos();
        long fast = Throttle.decide(875, LIMITS, RATE, WriterState.initial(2 * RATE).dirtied(40)).delayNanos();

        assertThat(slow).isEqualTo(ms(40));
        assertThat(fast).isEqualTo(ms(20));
    }

    // ---- T5 ---------------------------------------------------------------------------------

    @ParameterizedTest(name = "dirty {0}")
    @CsvSource({"1000", "1001", "2000"})
    @DisplayName("T5 at or above the hard limit the writer waits and asks again, keeping its count and credit")
    void waitAtLimit(long dirty) {
        WriterState writer = new WriterState(30, ms(3), RATE);

        Decision d = Throttle.decide(dirty, LIMITS, RATE, writer);

        assertThat(d.action()).isEqualTo(Action.WAIT_FOR_LIMIT);
        assertThat(d.delayNanos()).isBetween(MIN_PAUSE_NANOS, MAX_PAUSE_NANOS);
        assertThat(d.next()).isEqualTo(writer);
        assertThat(d.wakeFlusher()).isTrue();
    }

    @Test
    @DisplayName("T5 the wait step is what the device needs to drain below the limit, within 10–200 ms")
    void waitStepFollowsBandwidth() {
        WriterState writer = WriterState.initial(RATE).dirtied(1);

        // 1000 pages/s: 1 page over → 1 ms → at least 10 ms; 50 over → 51 ms; 1000 over → capped at 200 ms
        assertThat(Throttle.decide(1000, LIMITS, 1000, writer).delayNanos()).isEqualTo(ms(10));
        assertThat(Throttle.decide(1050, LIMITS, 1000, writer).delayNanos()).isEqualTo(ms(51));
        assertThat(Throttle.decide(2000, LIMITS, 1000, writer).delayNanos()).isEqualTo(ms(200));
        assertThat(Throttle.decide(1050, LIMITS, 0, writer).delayNanos()).isEqualTo(ms(200));
    }

    @Test
    @DisplayName("T5 once dirty drops below the limit the kept pages are paced again (T4)")
    void afterWaitPacedAgain() {
        WriterState writer = WriterState.initial(RATE).dirtied(50);
        Decision wait = Throttle.decide(1000, LIMITS, RATE, writer);

        Decision after = Throttle.decide(875, LIMITS, RATE, wait.next());

        assertThat(after.action()).isEqualTo(Action.PAUSE);
        assertThat(after.delayNanos()).isEqualTo(ms(50));
    }

    @Test
    @DisplayName("T4 writer states and decisions refuse impossible values")
    void invalidStates() {
        assertThatThrownBy(() -> new WriterState(-1, 0, RATE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WriterState(0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WriterState.initial(RATE).dirtied(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Throttle.decide(-1, LIMITS, RATE, WriterState.initial(RATE)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Decision(Action.PAUSE, 0, WriterState.initial(RATE), false))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
