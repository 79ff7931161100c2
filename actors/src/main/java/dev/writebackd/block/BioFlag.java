package dev.writebackd.block;

/** Request flags carried by a bio (the subset of the kernel's REQ_* bits that matter here). */
public enum BioFlag {
    /** Issued for a data-integrity (WB_SYNC_ALL) writeback: someone waits for it. */
    SYNC,
    /** Issued by background or periodic writeback. */
    BACKGROUND,
    /** A readahead read: its failure is reported to no one (R1). */
    RAHEAD,
    /** Force unit access: durable when it completes, even below a volatile cache. */
    FUA,
    /** Carries file-system metadata (ext2 map blocks), not file data. */
    META
}
