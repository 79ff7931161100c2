package dev.writebackd.page;

/**
 * Bits of a cached page's state (the folio flags and page-cache tags that the algorithms use),
 * packed in one {@code int} per page.
 */
public final class PageFlags {
    /** The page is in the cache. */
    public static final int PRESENT = 1;
    /** Its contents match the file (read, written whole, or zeroed over holes). */
    public static final int UPTODATE = 1 << 1;
    /** PG_dirty: it must be written back. Counted as dirty in the ledger. */
    public static final int DIRTY = 1 << 2;
    /** The DIRTY tag: set with PG_dirty, cleared only when writeback starts on a clean page (S1, S2). */
    public static final int TAG_DIRTY = 1 << 3;
    /** The TOWRITE tag: copied from DIRTY at the start of a sync or tagged pass (C2). */
    public static final int TAG_TOWRITE = 1 << 4;
    /** PG_writeback (and its tag): a copy of the page is being written. */
    public static final int WRITEBACK = 1 << 5;
    /** PG_error: the last I/O on the page failed. */
    public static final int ERROR = 1 << 6;
    /** PG_mappedtodisk: every block of the page is mapped (R8). */
    public static final int MAPPED_TO_DISK = 1 << 7;
    /** The page has per-block buffers (S6). */
    public static final int HAS_BUFFERS = 1 << 8;
    /**
     * Stable pages (S5): the page was written while under writeback, so its current buffer is a
     * copy and the buffer in flight is an older one that ends writeback later.
     */
    public static final int COPIED = 1 << 9;
    /** Held after a failed write under the {@code sticky} policy: never written again until rewritten. */
    public static final int HELD = 1 << 10;

    private PageFlags() {}

    /** {@code true} if every bit of {@code bits} is set in {@code flags}. */
    public static boolean has(int flags, int bits) {
        return (flags & bits) == bits;
    }
}
