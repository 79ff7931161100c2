package dev.writebackd.actors.engine;

import dev.writebackd.mpage.BandwidthEstimator;
import dev.writebackd.page.DirtyLedger;
import java.util.function.LongSupplier;

/**
 * The device's write bandwidth (F3, T4): a {@link BandwidthEstimator} fed from the ledger's
 * pages-written total, measuring only while writeback is in progress, its estimate published into
 * the ledger for the throttle. The time the device had nothing to write is never counted as slow
 * writing: measuring stops at the first tick that finds the device idle, and restarts with a fresh
 * window when writeback starts again.
 *
 * <p>Mutable and not thread-safe: owned by the coordinator's actor, which calls {@link #tick} every
 * {@link BandwidthEstimator#WINDOW_NANOS} while measuring.
 */
final class BandwidthMeter {
    private final DirtyLedger ledger;
    private final BandwidthEstimator estimator;
    private boolean measuring;

    BandwidthMeter(int pageSize, LongSupplier nanoClock, DirtyLedger ledger) {
        this.ledger = ledger;
        this.estimator = new BandwidthEstimator(pageSize, nanoClock);
        ledger.publishBandwidth(estimator.bandwidthPagesPerSec());
    }

    /**
     * Feeds the completions so far and publishes the estimate.
     *
     * @param busy whether writeback is in progress now
     * @return {@code true} if measuring started just now: the caller starts its ticks
     */
    boolean refresh(boolean busy) {
        boolean started = false;
        if (!measuring && busy) {
            // A fresh window; completions made while unmeasured only move the baseline.
            estimator.markIdle();
            estimator.recordCompletedTotal(ledger.pagesWritten());
            estimator.markIdle();
            measuring = true;
            started = true;
        } else if (measuring) {
            estimator.recordCompletedTotal(ledger.pagesWritten());
        }
        ledger.publishBandwidth(estimator.bandwidthPagesPerSec());
        return started;
    }

    /**
     * Closes the window if it is due, even without completions (a stalled device drags the estimate
     * down), and publishes the estimate.
     *
     * @param busy whether writeback is in progress now
     * @return {@code false} if measuring stopped because the device is idle: the caller stops its ticks
     */
    boolean tick(boolean busy) {
        estimator.recordCompletedTotal(ledger.pagesWritten());
        if (!busy) {
            estimator.markIdle();
            measuring = false;
        }
        ledger.publishBandwidth(estimator.bandwidthPagesPerSec());
        return measuring;
    }

    /** The estimate in pages per second. */
    long pagesPerSec() {
        return estimator.bandwidthPagesPerSec();
    }
}
