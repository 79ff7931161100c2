package dev.writebackd.mpage;

/**
 * Why pages are being written back (the kernel's {@code enum wb_reason}, reduced to ours): carried
 * by every {@link WritePagesRequest} for bio flags, statistics and logs.
 */
public enum WritebackReason {
    /** Dirty pages above the background threshold (F1, T2). */
    BACKGROUND,
    /** The periodic (kupdate) pass writing expired inodes (F1, F2). */
    PERIODIC,
    /** sync or syncfs: every dirty page of the device (E6). */
    SYNC,
    /** fsync of one file, run by the file's own actor (E1). */
    FSYNC,
    /** Draining every dirty page before the daemon exits. */
    SHUTDOWN,
    /** The cache budget needs clean pages to evict. */
    MEMORY_PRESSURE
}
