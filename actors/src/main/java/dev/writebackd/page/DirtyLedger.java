package dev.writebackd.page;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The device's page counters, like the kernel's global NR_FILE_DIRTY / NR_WRITEBACK counters:
 * the page caches update them, the throttle and the flusher read them.
 *
 * <p>Thread-safe: one ledger is shared by every file of a device.
 */
public final class DirtyLedger {
    private final AtomicLong dirty = new AtomicLong();
    private final AtomicLong writeback = new AtomicLong();
    private final AtomicLong cached = new AtomicLong();
    private final AtomicLong held = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private volatile long bandwidthPagesPerSec;
    private volatile long dirtyThreshPages = Long.MAX_VALUE;
    private volatile long backgroundThreshPages = Long.MAX_VALUE;

    /** Pages dirty (PG_dirty set). */
    public long dirtyPages() {
        return dirty.get();
    }

    /** Pages under writeback. */
    public long writebackPages() {
        return writeback.get();
    }

    /** Pages in the cache. */
    public long cachedPages() {
        return cached.get();
    }

    /** Pages held after a failed write under the {@code sticky} error policy. */
    public long heldPages() {
        return held.get();
    }

    /** Pages whose writeback has ended since the ledger was created (the bandwidth estimate's input). */
    public long pagesWritten() {
        return written.get();
    }

    void addDirty(long delta) {
        dirty.addAndGet(delta);
    }

    void addWriteback(long delta) {
        writeback.addAndGet(delta);
    }

    void addCached(long delta) {
        cached.addAndGet(delta);
    }

    void addHeld(long delta) {
        held.addAndGet(delta);
    }

    void addWritten(long delta) {
        written.addAndGet(delta);
    }

    /**
     * The measured write bandwidth in pages per second, as the coordinator last published it; 0
     * until it publishes one (the throttle then uses its default estimate).
     */
    public long bandwidthPagesPerSec() {
        return bandwidthPagesPerSec;
    }

    /** The coordinator publishes its bandwidth estimate here for the throttle (T4). */
    public void publishBandwidth(long pagesPerSec) {
        bandwidthPagesPerSec = pagesPerSec;
    }

    /** The hard dirty threshold in pages (T1), as last published; unlimited until then. */
    public long dirtyThreshPages() {
        return dirtyThreshPages;
    }

    /** The background threshold in pages (T1), as last published; unlimited until then. */
    public long backgroundThreshPages() {
        return backgroundThreshPages;
    }

    /** Publishes the thresholds of the current policy (at start and at every policy change). */
    public void publishThresholds(long dirtyThresh, long backgroundThresh) {
        if (dirtyThresh <= 0 || backgroundThresh < 0) {
            throw new IllegalArgumentException("thresholds " + dirtyThresh + "/" + backgroundThresh);
        }
        this.dirtyThreshPages = dirtyThresh;
        this.backgroundThreshPages = backgroundThresh;
    }
}
