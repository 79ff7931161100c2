package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

/**
 * One unit of flusher work (the kernel's {@code struct wb_writeback_work}): write up to
 * {@code nrPages} pages of the device's dirty inodes in one mode. Callers queue {@link Kind#QUEUED}
 * works (sync, syncfs, shutdown, memory pressure) with {@link FlusherState#queueWork}; the flusher
 * makes the other kinds itself (F1). Immutable; the flusher keeps the pages left.
 *
 * @param id the caller's id, handed back in {@link FlusherDecision.WorkDone}; 0 for the flusher's
 *     own works
 * @param kind who made it, which decides its cutoff (F2) and whether it yields (F5)
 * @param mode WB_SYNC_NONE or WB_SYNC_ALL
 * @param nrPages pages to write at most; {@link WritePagesRequest#UNLIMITED} for no limit; 0 or
 *     less finishes at once
 * @param cyclic each inode from its writebackIndex (range_cyclic); else {@code rangeStart}–{@code rangeEnd}
 * @param rangeStart first page index of each file (ignored when cyclic)
 * @param rangeEnd last page index of each file, inclusive (ignored when cyclic)
 * @param reason why
 * @param tagged write only pages dirty when each inode's chunk starts (tagged_writepages)
 * @param startNanos when the work was made; for QUEUED and START_ALL works, inodes first dirtied
 *     after it are not written (F2's sync cutoff)
 */
public record WritebackWork(
        long id,
        Kind kind,
        SyncMode mode,
        long nrPages,
        boolean cyclic,
        long rangeStart,
        long rangeEnd,
        WritebackReason reason,
        boolean tagged,
        long startNanos) {

    /** Who made a work. */
    public enum Kind {
        /** Queued by a caller; runs first, in FIFO order, never yields. */
        QUEUED,
        /** The pending "start all" request: every dirty page, WB_SYNC_NONE. */
        START_ALL,
        /** The periodic (kupdate) pass over expired inodes; yields to queued work. */
        PERIODIC,
        /** Background writeback while over bg_thresh; yields to queued work. */
        BACKGROUND;

        /** Whether a pass of this kind stops as soon as other work is queued (F5). */
        public boolean yieldsToQueuedWork() {
            return this == PERIODIC || this == BACKGROUND;
        }
    }

    /** Validates; a cyclic work's range becomes the whole file. */
    public WritebackWork {
        requireNonNull(kind, "kind");
        requireNonNull(mode, "mode");
        requireNonNull(reason, "reason");
        if (cyclic) {
            rangeStart = 0;
            rangeEnd = WritePagesRequest.WHOLE_FILE_END;
        }
        if (rangeStart < 0 || rangeEnd < rangeStart) {
            throw new IllegalArgumentException("bad range [" + rangeStart + ", " + rangeEnd + "]");
        }
    }

    /**
     * A data-integrity pass over every inode dirtied before {@code startNanos}: WB_SYNC_ALL,
     * unlimited, whole files (sync, syncfs, shutdown).
     */
    public static WritebackWork sync(long id, WritebackReason reason, long startNanos) {
        return new WritebackWork(id, Kind.QUEUED, SyncMode.ALL, WritePagesRequest.UNLIMITED, false, 0,
                WritePagesRequest.WHOLE_FILE_END, reason, true, startNanos);
    }

    /**
     * Write about {@code nrPages} pages of inodes dirtied before {@code startNanos}, WB_SYNC_NONE,
     * each inode from its writebackIndex (memory pressure).
     */
    public static WritebackWork pages(long id, long nrPages, WritebackReason reason, long startNanos) {
        return new WritebackWork(id, Kind.QUEUED, SyncMode.NONE, nrPages, true, 0,
                WritePagesRequest.WHOLE_FILE_END, reason, false, startNanos);
    }

    static WritebackWork startAll(long nrPages, WritebackReason reason, long nowNanos) {
        return new WritebackWork(0, Kind.START_ALL, SyncMode.NONE, nrPages, true, 0,
                WritePagesRequest.WHOLE_FILE_END, reason, false, nowNanos);
    }

    static WritebackWork periodic(long nrPages, long nowNanos) {
        return new WritebackWork(0, Kind.PERIODIC, SyncMode.NONE, nrPages, true, 0,
                WritePagesRequest.WHOLE_FILE_END, WritebackReason.PERIODIC, false, nowNanos);
    }

    static WritebackWork background(long nowNanos) {
        return new WritebackWork(0, Kind.BACKGROUND, SyncMode.NONE, WritePagesRequest.UNLIMITED, true, 0,
                WritePagesRequest.WHOLE_FILE_END, WritebackReason.BACKGROUND, false, nowNanos);
    }

    /** Whether each chunk of this work is unlimited and still-dirty inodes are stamped now (F3, F4). */
    public boolean isIntegrity() {
        return mode == SyncMode.ALL || tagged;
    }

    /** The request for one inode's chunk of this work. */
    WritePagesRequest request(long chunkPages) {
        return new WritePagesRequest(mode, chunkPages, rangeStart, rangeEnd, cyclic, reason, tagged);
    }
}
