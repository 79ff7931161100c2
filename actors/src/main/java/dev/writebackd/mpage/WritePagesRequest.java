package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

/**
 * One writepages call on one file (the kernel's {@code struct writeback_control} as the flusher
 * fills it): the coordinator's {@code WritePages} to an inode, or an fsync's own pass. The page
 * chooser (C1–C7) runs it.
 *
 * <p><b>Ranges are page indices, both ends inclusive</b> (the kernel keeps bytes in
 * {@code range_start}/{@code range_end}; we convert once, at the API). With {@code cyclic} the range
 * is ignored and normalised to the whole file: the scan starts at the file's writebackIndex (C1).
 *
 * @param mode WB_SYNC_NONE or WB_SYNC_ALL
 * @param nrToWrite pages the chooser may hand to the page writer (C5); {@link #UNLIMITED} in sync
 *     mode; 0 or less makes the call do nothing
 * @param rangeStart first page index, 0 or more
 * @param rangeEnd last page index, inclusive; {@link #WHOLE_FILE_END} for "to EOF"
 * @param cyclic scan from writebackIndex to EOF (range_cyclic)
 * @param reason why; background and periodic requests get BACKGROUND bios (W6)
 * @param tagged tag DIRTY pages TOWRITE first and visit only those, even in WB_SYNC_NONE
 *     (tagged_writepages, C2)
 */
public record WritePagesRequest(
        SyncMode mode,
        long nrToWrite,
        long rangeStart,
        long rangeEnd,
        boolean cyclic,
        WritebackReason reason,
        boolean tagged) {

    /** nrToWrite of a call no count limits (LONG_MAX, as the kernel uses). */
    public static final long UNLIMITED = Long.MAX_VALUE;
    /** rangeEnd meaning "to the end of the file" (LLONG_MAX). */
    public static final long WHOLE_FILE_END = Long.MAX_VALUE;

    /** Validates; a cyclic request's range becomes the whole file. */
    public WritePagesRequest {
        requireNonNull(mode, "mode");
        requireNonNull(reason, "reason");
        if (cyclic) {
            rangeStart = 0;
            rangeEnd = WHOLE_FILE_END;
        }
        if (rangeStart < 0 || rangeEnd < rangeStart) {
            throw new IllegalArgumentException("bad range [" + rangeStart + ", " + rangeEnd + "]");
        }
    }

    /** A data-integrity pass over the whole file: WB_SYNC_ALL, unlimited, tagged (fsync, E1). */
    public static WritePagesRequest syncAll(WritebackReason reason) {
        return new WritePagesRequest(SyncMode.ALL, UNLIMITED, 0, WHOLE_FILE_END, false, reason, true);
    }

    /** Whether the chooser tags DIRTY → TOWRITE first and visits only TOWRITE pages (C2). */
    public boolean tagsToWrite() {
        return mode == SyncMode.ALL || tagged;
    }

    /** A non-cyclic call over the whole file (range_whole), which stores writebackIndex like a cyclic one (C6). */
    public boolean isWholeRange() {
        return !cyclic && rangeStart == 0 && rangeEnd == WHOLE_FILE_END;
    }

    /** A background or periodic WB_SYNC_NONE call, whose bios are flagged BACKGROUND (W6). */
    public boolean isBackground() {
        return mode == SyncMode.NONE
                && (reason == WritebackReason.BACKGROUND || reason == WritebackReason.PERIODIC);
    }
}
