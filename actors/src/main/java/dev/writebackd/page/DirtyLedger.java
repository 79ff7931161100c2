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
}
