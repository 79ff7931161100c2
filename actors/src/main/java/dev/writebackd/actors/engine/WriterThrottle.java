package dev.writebackd.actors.engine;

import dev.writebackd.mpage.BandwidthEstimator;
import dev.writebackd.mpage.DirtyLimits;
import dev.writebackd.mpage.Throttle;
import dev.writebackd.page.DirtyLedger;

/**
 * {@link Throttle} as the inode actors apply it (T1–T5): the thresholds and the bandwidth
 * estimate are those the coordinator published in the device's {@link DirtyLedger}, and the
 * device's dirty + writeback pages are the ledger's. Stateless.
 */
final class WriterThrottle {
    private WriterThrottle() {}

    /** Whether thresholds have been published: until then writers run free. */
    static boolean active(DirtyLedger ledger) {
        return ledger.dirtyThreshPages() != Long.MAX_VALUE;
    }

    /** The published bandwidth in pages/s, or the initial estimate until one is published. */
    static long bandwidth(DirtyLedger ledger, int pageSize) {
        long measured = ledger.bandwidthPagesPerSec();
        return measured > 0 ? measured : BandwidthEstimator.INITIAL_BYTES_PER_SECOND / pageSize;
    }

    /** The throttle's decision for a writer whose state already counts the pages it just dirtied. */
    static Throttle.Decision decide(DirtyLedger ledger, int pageSize, Throttle.WriterState writer) {
        DirtyLimits limits = new DirtyLimits(ledger.dirtyThreshPages(), ledger.backgroundThreshPages());
        return Throttle.decide(ledger.dirtyPages() + ledger.writebackPages(), limits, bandwidth(ledger, pageSize),
                writer);
    }
}
