package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Writer throttling (T2–T5, the kernel's {@code balance_dirty_pages}) as a pure function: given the
 * device's dirty + writeback pages, its {@link DirtyLimits}, the measured write bandwidth and one
 * writer's {@link WriterState}, {@link #decide} says whether to wake the flusher and how long to
 * hold the writer's answer. It never sleeps: the caller delays the answer with a timer (T6).
 *
 * <p>In pages, with {@code limit = thresh}:
 * <ul>
 *   <li>T3: {@code dirty ≤ freerun = (thresh + bg) / 2}: no pause; the writer's count and credit
 *       restart from 0.
 *   <li>T4: above freerun and below the limit: {@code setpoint = (freerun + limit) / 2},
 *       {@code posRatio = 1 + ((setpoint − dirty) / (limit − setpoint))³} clamped to [0, 2],
 *       {@code taskRate = baseRate × posRatio}, and the writer owes
 *       {@code pagesDirtiedSinceLastPause / taskRate} seconds.
 *   <li>T5: {@code dirty ≥ limit}: wait, in steps of at most 200 ms, and ask again.
 * </ul>
 *
 * <p><b>Credit</b> (T4's "a pause under 10 ms is carried as credit"): the writer's
 * {@code creditNanos} is pause time it owes but has not taken. On each decision above freerun the
 * owed time is {@code creditNanos + pagesDirtied / taskRate}. If that is under
 * {@link #MIN_PAUSE_NANOS} the writer is not paused: the owed time becomes its new credit and its
 * page count restarts at 0. Otherwise it pauses for the owed time, at most {@link #MAX_PAUSE_NANOS}
 * (any excess is forgiven, as the kernel forgives it), and its credit and count restart at 0. Credit
 * never decays with time, and is dropped whenever the writer runs free (T3). While waiting for the
 * limit (T5), count and credit are kept and apply once dirty drops.
 */
public final class Throttle {

    /** The longest single pause (MAX_PAUSE), and the longest T5 wait step. */
    public static final long MAX_PAUSE_NANOS = Duration.ofMillis(200).toNanos();
    /** Pauses shorter than this are carried as credit instead of taken. */
    public static final long MIN_PAUSE_NANOS = Duration.ofMillis(10).toNanos();

    private static final double NANOS_PER_SECOND = 1e9;

    private Throttle() {
    }

    /** What a writer does after dirtying pages. */
    public enum Action {
        /** Answer the writer now (T3 freerun, or T4 with the owed pause carried as credit). */
        NO_PAUSE,
        /** Answer the writer after {@link Decision#delayNanos()} (T4). */
        PAUSE,
        /** At or above the hard limit: decide again after {@link Decision#delayNanos()} (T5). */
        WAIT_FOR_LIMIT
    }

    /**
     * One writer's throttling state, kept by whoever answers that writer, replaced after each
     * decision by {@link Decision#next()}.
     *
     * @param pagesDirtiedSinceLastPause pages this writer dirtied since its last pause (or credit)
     * @param creditNanos pause time owed but not yet taken, each piece under {@link #MIN_PAUSE_NANOS}
     * @param baseRate this writer's share of the write bandwidth in pages/s, above 0; see
     *     {@link BandwidthEstimator#baseRate(int)}
     */
    public record WriterState(long pagesDirtiedSinceLastPause, long creditNanos, long baseRate) {
        /** Validates. */
        public WriterState {
            if (pagesDirtiedSinceLastPause < 0 || creditNanos < 0) {
                throw new IllegalArgumentException("negative writer state: pages=" + pagesDirtiedSinceLastPause
                        + ", credit=" + creditNanos);
            }
            if (baseRate <= 0) {
                throw new IllegalArgumentException("baseRate must be positive: " + baseRate);
            }
        }

        /** A writer that has dirtied nothing yet. */
        public static WriterState initial(long baseRate) {
            return new WriterState(0, 0, baseRate);
        }

        /** This state after dirtying {@code pages} more pages. */
        public WriterState dirtied(long pages) {
            if (pages < 0) {
                throw new IllegalArgumentException("negative pages: " + pages);
            }
            return new WriterState(pagesDirtiedSinceLastPause + pages, creditNanos, baseRate);
        }

        /** This state with a re-balanced base rate. */
        public WriterState withBaseRate(long rate) {
            return new WriterState(pagesDirtiedSinceLastPause, creditNanos, rate);
        }
    }

    /**
     * The throttle's answer for one writer.
     *
     * @param action what to do
     * @param delayNanos the pause (PAUSE) or the wait step before deciding again (WAIT_FOR_LIMIT); 0
     *     for NO_PAUSE
     * @param next the writer's state to keep after this decision
     * @param wakeFlusher dirty is above the background threshold: wake the flusher (T2); the writer
     *     itself never writes pages
     */
    public record Decision(Action action, long delayNanos, WriterState next, boolean wakeFlusher) {
        /** Validates. */
        public Decision {
            requireNonNull(action, "action");
            requireNonNull(next, "next");
            if (delayNanos < 0 || (action == Action.NO_PAUSE) != (delayNanos == 0)) {
                throw new IllegalArgumentException(action + " with delay " + delayNanos);
            }
        }

        /** {@link #delayNanos()} as a duration, for timers. */
        public Duration delay() {
            return Duration.ofNanos(delayNanos);
        }
    }

    /**
     * Decides for a writer that has just dirtied pages (its {@code writer} state already counts
     * them).
     *
     * @param dirtyPages dirty + writeback pages of the device
     * @param limits the device's thresholds (T1)
     * @param bandwidthPagesPerSec the measured write bandwidth; sizes the T5 wait step
     * @param writer this writer's state
     */
    public static Decision decide(long dirtyPages, DirtyLimits limits, long bandwidthPagesPerSec, WriterState writer) {
        requireNonNull(limits, "limits");
        requireNonNull(writer, "writer");
        if (dirtyPages < 0) {
            throw new IllegalArgumentException("negative dirty pages: " + dirtyPages);
        }
        boolean wakeFlusher = dirtyPages > limits.bgThreshPages();
        if (dirtyPages <= limits.freerunPages()) {
            return new Decision(Action.NO_PAUSE, 0, WriterState.initial(writer.baseRate()), wakeFlusher);
        }
        if (dirtyPages >= limits.threshPages()) {
            return new Decision(Action.WAIT_FOR_LIMIT, waitStepNanos(dirtyPages, limits, bandwidthPagesPerSec),
                    writer, wakeFlusher);
        }
        double taskRate = writer.baseRate() * posRatio(dirtyPages, limits);
        double owed = writer.creditNanos() + writer.pagesDirtiedSinceLastPause() * NANOS_PER_SECOND / taskRate;
        if (owed < MIN_PAUSE_NANOS) {
            WriterState carried = new WriterState(0, (long) owed, writer.baseRate());
            return new Decision(Action.NO_PAUSE, 0, carried, wakeFlusher);
        }
        long pause = owed >= MAX_PAUSE_NANOS ? MAX_PAUSE_NANOS : (long) owed;
        return new Decision(Action.PAUSE, pause, WriterState.initial(writer.baseRate()), wakeFlusher);
    }

    /**
     * T4's position ratio for {@code dirtyPages}:
     * {@code 1 + ((setpoint − dirty) / (limit − setpoint))³}, clamped to [0, 2]. 1 at the setpoint,
     * above 1 below it, below 1 above it, 0 at the limit.
     */
    public static double posRatio(long dirtyPages, DirtyLimits limits) {
        requireNonNull(limits, "limits");
        long limit = limits.threshPages();
        long setpoint = limits.setpointPages();
        if (limit <= setpoint) {
            return dirtyPages < limit ? 2 : 0;
        }
        double x = (double) (setpoint - dirtyPages) / (limit - setpoint);
        double ratio = 1 + x * x * x;
        return Math.max(0, Math.min(2, ratio));
    }

    /**
     * T5's wait step: the time the device needs, at the measured bandwidth, to bring dirty just
     * below the limit, within [{@link #MIN_PAUSE_NANOS}, {@link #MAX_PAUSE_NANOS}].
     */
    static long waitStepNanos(long dirtyPages, DirtyLimits limits, long bandwidthPagesPerSec) {
        if (bandwidthPagesPerSec <= 0) {
            return MAX_PAUSE_NANOS;
        }
        double excess = dirtyPages - limits.threshPages() + 1;
        double nanos = excess * NANOS_PER_SECOND / bandwidthPagesPerSec;
        return (long) Math.max(MIN_PAUSE_NANOS, Math.min(MAX_PAUSE_NANOS, nanos));
    }
}
