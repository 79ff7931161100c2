package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The device's write bandwidth, estimated from completed pages over time, and the writers' base
 * rate derived from it (T4, F3; the kernel's {@code wb_update_write_bandwidth} and, simplified,
 * {@code wb_update_dirty_ratelimit}).
 *
 * <p><b>Time</b> comes from the injected clock: a {@code LongSupplier} of monotonic nanoseconds
 * ({@code System::nanoTime} in production, a manual counter in tests and in deterministic mode), the
 * same convention as the flusher lists ({@code FlusherState}).
 *
 * <p><b>Bandwidth.</b> Until the first measurement it is 100 MiB/s in pages (the kernel's INIT_BW).
 * Completions are summed over a window of at least {@link #WINDOW_NANOS} (200 ms); when a window
 * closes — at the first {@link #recordCompletions} or {@link #tick} at or after its end — its rate
 * {@code pages / elapsed} is blended in as an exponential moving average with weight
 * {@code min(elapsed, 3 s) / 3 s}, so the estimate follows a change with a time constant of about
 * 3 s (the kernel's averaging period) and a 200 ms window moves it 1/15 of the way. Time when the
 * device had nothing to write must not count as slow writing: call {@link #markIdle} when the last
 * write in flight completes, which restarts the window without closing it.
 *
 * <p><b>Base rate.</b> {@link #baseRate(int)} is the pages/s each writer may dirty at the setpoint:
 * it starts at the bandwidth estimate, and is re-balanced at most every {@link #REBALANCE_NANOS}
 * (200 ms) to {@code bandwidth / activeWriters}, so the writers together dirty about as fast as the
 * device writes.
 *
 * <p>Mutable and <b>not thread-safe</b>: owned by one actor, which publishes its figures.
 */
public final class BandwidthEstimator {

    /** The bandwidth assumed until measured: 100 MiB/s. */
    public static final long INITIAL_BYTES_PER_SECOND = 100L << 20;
    /** The shortest measuring window. */
    public static final long WINDOW_NANOS = Duration.ofMillis(200).toNanos();
    /** The averaging period: a window this long or longer replaces the estimate. */
    public static final long PERIOD_NANOS = Duration.ofSeconds(3).toNanos();
    /** How often the base rate is re-balanced. */
    public static final long REBALANCE_NANOS = Duration.ofMillis(200).toNanos();

    private static final double NANOS_PER_SECOND = 1e9;

    private final LongSupplier nanoClock;
    private double bandwidth;
    private boolean measured;
    private long windowStart;
    private long windowPages;
    private long lastTotal;
    private long baseRate;
    private long lastRebalance;

    /**
     * @param pageSize bytes per page
     * @param nanoClock monotonic nanoseconds
     */
    public BandwidthEstimator(int pageSize, LongSupplier nanoClock) {
        if (pageSize <= 0) {
            throw new IllegalArgumentException("page size must be positive: " + pageSize);
        }
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        this.bandwidth = (double) INITIAL_BYTES_PER_SECOND / pageSize;
        long now = nanoClock.getAsLong();
        this.windowStart = now;
        this.lastRebalance = now;
        this.baseRate = bandwidthPagesPerSec();
    }

    /** Counts {@code pages} whose writeback just completed, and closes the window if it is due. */
    public void recordCompletions(long pages) {
        if (pages < 0) {
            throw new IllegalArgumentException("negative pages: " + pages);
        }
        windowPages += pages;
        tick();
    }

    /**
     * Counts completions given as a running total, such as the dirty ledger's pages-written counter:
     * the growth since the previous total (0 before the first call) is recorded as by
     * {@link #recordCompletions}. A total below the previous one only resets the baseline.
     */
    public void recordCompletedTotal(long pagesWrittenTotal) {
        long delta = pagesWrittenTotal - lastTotal;
        lastTotal = pagesWrittenTotal;
        recordCompletions(Math.max(0, delta));
    }

    /**
     * Closes the window if it is due, even with no completions in it: call periodically while writes
     * are in flight, so a stalled device drags the estimate down.
     */
    public void tick() {
        long now = nanoClock.getAsLong();
        long elapsed = now - windowStart;
        if (elapsed < WINDOW_NANOS) {
            return;
        }
        double rate = windowPages * NANOS_PER_SECOND / elapsed;
        double weight = Math.min(elapsed, PERIOD_NANOS) / (double) PERIOD_NANOS;
        bandwidth = bandwidth * (1 - weight) + rate * weight;
        measured = true;
        windowStart = now;
        windowPages = 0;
    }

    /**
     * The device has nothing in flight: drop the open window so the idle time is not measured. Pages
     * counted in it since it opened are dropped too.
     */
    public void markIdle() {
        windowStart = nanoClock.getAsLong();
        windowPages = 0;
    }

    /** The estimated write bandwidth in pages/s, at least 1. */
    public long bandwidthPagesPerSec() {
        return Math.max(1, Math.round(bandwidth));
    }

    /** Whether at least one window has been measured (else the estimate is the initial 100 MiB/s). */
    public boolean measured() {
        return measured;
    }

    /**
     * The base rate in pages/s per writer (T4), re-balanced to
     * {@code bandwidth / max(1, activeWriters)} if {@link #REBALANCE_NANOS} have passed since the last
     * re-balance; otherwise the current one. At least 1.
     */
    public long baseRate(int activeWriters) {
        if (activeWriters < 0) {
            throw new IllegalArgumentException("negative writers: " + activeWriters);
        }
        long now = nanoClock.getAsLong();
        if (now - lastRebalance >= REBALANCE_NANOS) {
            baseRate = Math.max(1, Math.round(bandwidth / Math.max(1, activeWriters)));
            lastRebalance = now;
        }
        return baseRate;
    }

    @Override
    public String toString() {
        return "BandwidthEstimator[" + bandwidthPagesPerSec() + " pages/s" + (measured ? "" : " (initial)")
                + ", baseRate=" + baseRate + "]";
    }
}
