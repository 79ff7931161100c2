package dev.writebackd.mpage;

/**
 * How hard a writeback pass tries (the kernel's {@code enum writeback_sync_modes}).
 */
public enum SyncMode {
    /**
     * WB_SYNC_NONE: write what can be written now. Pages under writeback are skipped, the first
     * page-writer error stops the scan, and the scan stops when nrToWrite runs out (C3–C5). Used by
     * background, periodic and memory-pressure writeback.
     */
    NONE,
    /**
     * WB_SYNC_ALL: data integrity. Only pages tagged TOWRITE at the start are written, pages under
     * writeback are waited for, errors do not stop the scan, nrToWrite does not limit it (C2–C5).
     * Used by fsync, sync and shutdown.
     */
    ALL
}
