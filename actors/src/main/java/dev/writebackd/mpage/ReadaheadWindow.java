package dev.writebackd.mpage;

/**
 * The readahead window of one open file (A1–A3, the kernel's {@code ondemand_readahead} in
 * {@code mm/readahead.c}, with {@code get_init_ra_size} and {@code get_next_ra_size}).
 *
 * <p>The reader tells it about each read: {@link #onRead} when the first page needed is not cached
 * (the kernel's synchronous readahead), {@link #onMarkedPage} when a cached page carrying the async
 * marker is reached (asynchronous readahead; the reader clears the marker), and {@link #onCacheHit}
 * for the part of a read served from the cache. The first two answer the {@link Range} of pages to
 * read and the page that gets the marker. Sizes are in pages; the window never reads past
 * {@code maxPages} at once.
 *
 * <ul>
 *   <li>A1: a read that is neither at index 0, nor sequential, nor larger than the window reads only
 *       what was asked, sets no marker and leaves the window as it was.
 *   <li>A2, first window: {@code size = roundUpPow2(request)}, ×4 if that is ≤ max/32, ×2 if
 *       ≤ max/4, else max; {@code asyncSize = size − request}, or {@code size} if that is ≤ 0; the
 *       marker goes on page {@code start + size − asyncSize}.
 *   <li>A3, next window (reaching the marker, or a miss right at the marker or the window's end):
 *       starts at {@code start + size}; {@code size} ×4 if below max/16, ×2 if ≤ max/2, else max;
 *       {@code asyncSize = size}, so the marker is the new window's first page.
 * </ul>
 * With the default 32 pages (128 KiB of 4 KiB pages), a cold sequential scan of one-page reads
 * reads 4, 8, 16, 32, 32 … pages: 16, 32, 64, 128, 128 … KiB. Spec formulas and that example agree.
 *
 * <p>Like the kernel, when a new window's marker would land on the page being read (its async part
 * is the whole window), the following window is merged in at once: {@code size += next} if that
 * fits in max, else {@code size = max, asyncSize = max / 2}.
 *
 * <p>"Sequential" means the read starts on the last page of the previous read or the page after it
 * (the kernel compares with {@code prev_pos}); the previous read is the last one reported through
 * {@link #onRead} or {@link #onCacheHit}. The window knows nothing of EOF:
 * the reader clips a range at EOF, and skips pages already cached inside it; the marker is set only
 * on a page this range actually reads.
 *
 * <p>Mutable and <b>not thread-safe</b>: owned by the actor that owns the open file.
 */
public final class ReadaheadWindow {

    /** The default largest window: 128 KiB of 4 KiB pages. */
    public static final int DEFAULT_MAX_PAGES = 32;

    private final int maxPages;
    private final int ioPages;
    private long start;
    private int size;
    private int asyncSize;
    private long prevIndex = -1;

    /** A window of at most {@link #DEFAULT_MAX_PAGES}. */
    public ReadaheadWindow() {
        this(DEFAULT_MAX_PAGES);
    }

    /** A window of at most {@code maxPages} (the file's ra_pages); a larger request is cut to it. */
    public ReadaheadWindow(int maxPages) {
        this(maxPages, maxPages);
    }

    /**
     * A window of at most {@code maxPages}, which a request larger than it may stretch up to
     * {@code ioPages} (the device's optimal request size, the kernel's {@code bdi->io_pages}), so a
     * large read is read whole in one range. As in the kernel, a request within the stretched
     * window is then no longer "larger than the window": at index 0 or sequential it opens a first
     * window of the stretched size, otherwise it is read as asked (A1).
     */
    public ReadaheadWindow(int maxPages, int ioPages) {
        if (maxPages <= 0) {
            throw new IllegalArgumentException("maxPages must be positive: " + maxPages);
        }
        if (ioPages <= 0) {
            throw new IllegalArgumentException("ioPages must be positive: " + ioPages);
        }
        this.maxPages = maxPages;
        this.ioPages = ioPages;
    }

    /**
     * Pages to read, and where the async marker goes.
     *
     * @param start the first page to read
     * @param size how many pages, at least 1
     * @param markerIndex the page to mark for async readahead, or {@link #NO_MARKER}
     */
    public record Range(long start, int size, long markerIndex) {
        /** {@link #markerIndex()} when no page is marked (A1). */
        public static final long NO_MARKER = -1;

        /** Validates. */
        public Range {
            if (start < 0 || size <= 0) {
                throw new IllegalArgumentException("bad range: start=" + start + ", size=" + size);
            }
            if (markerIndex != NO_MARKER && (markerIndex < start || markerIndex >= start + size)) {
                throw new IllegalArgumentException("marker " + markerIndex + " outside [" + start + ", "
                        + (start + size) + ")");
            }
        }

        /** Whether a page is to be marked. */
        public boolean hasMarker() {
            return markerIndex != NO_MARKER;
        }

        /** The page after the range. */
        public long end() {
            return start + size;
        }
    }

    /**
     * A read of {@code nrPages} from {@code index} missed the cache at {@code index} (synchronous
     * readahead). The answer starts at {@code index} and covers the request unless the request is
     * larger than the window may grow; then the reader reads it and calls again for the rest.
     */
    public Range onRead(long index, int nrPages) {
        checkRead(index, nrPages);
        try {
            int max = maxFor(nrPages);
            if (index == 0) {
                return initial(index, nrPages, max);
            }
            if (index == start + size - asyncSize || index == start + size) {
                return next(index, max);
            }
            if (nrPages > max || isSequential(index)) {
                return initial(index, nrPages, max);
            }
            return new Range(index, nrPages, Range.NO_MARKER);
        } finally {
            prevIndex = index + nrPages - 1;
        }
    }

    /**
     * The reader reached the cached page {@code index} that carries the async marker; the next
     * window is read ahead of the reader. Assumes the page after it is the first one not cached.
     */
    public Range onMarkedPage(long index) {
        return onMarkedPage(index, index + 1);
    }

    /**
     * As {@link #onMarkedPage(long)}, with {@code nextMissIndex} the first page after {@code index}
     * that is not cached. It matters only for a marker left by an older window (interleaved
     * readers): the new window then starts there, sized from the cached run as the kernel does; if
     * that run is longer than the window, there is nothing to read ahead yet and the answer is
     * {@code null}.
     */
    public Range onMarkedPage(long index, long nextMissIndex) {
        if (index < 0) {
            throw new IllegalArgumentException("negative index: " + index);
        }
        if (nextMissIndex <= index) {
            throw new IllegalArgumentException("next miss " + nextMissIndex + " not after " + index);
        }
        if (index == 0) {
            return initial(index, 1, maxPages);
        }
        if (index == start + size - asyncSize || index == start + size) {
            return next(index, maxPages);
        }
        long cachedRun = nextMissIndex - index;
        if (cachedRun > maxPages) {
            return null;
        }
        start = nextMissIndex;
        size = nextSize((int) cachedRun + 1, maxPages);
        asyncSize = size;
        return readIt(index, maxPages);
    }

    /** A read of {@code nrPages} from {@code index} was served from the cache: history only. */
    public void onCacheHit(long index, int nrPages) {
        checkRead(index, nrPages);
        prevIndex = index + nrPages - 1;
    }

    /** The largest window in pages. */
    public int maxPages() {
        return maxPages;
    }

    @Override
    public String toString() {
        return "ReadaheadWindow[start=" + start + ", size=" + size + ", asyncSize=" + asyncSize + ", max="
                + maxPages + "]";
    }

    private int maxFor(int nrPages) {
        return nrPages > maxPages && ioPages > maxPages ? Math.min(nrPages, ioPages) : maxPages;
    }

    private boolean isSequential(long index) {
        return prevIndex >= 0 && index >= prevIndex && index - prevIndex <= 1;
    }

    private Range initial(long index, int nrPages, int max) {
        start = index;
        size = initialSize(nrPages, max);
        asyncSize = size > nrPages ? size - nrPages : size;
        return readIt(index, max);
    }

    private Range next(long index, int max) {
        start += size;
        size = nextSize(size, max);
        asyncSize = size;
        return readIt(index, max);
    }

    private Range readIt(long index, int max) {
        if (index == start && size == asyncSize) {
            int add = nextSize(size, max);
            if (size + add <= max) {
                asyncSize = add;
                size += add;
            } else {
                size = max;
                asyncSize = max >> 1;
            }
        }
        // A window of one page has no async part (max >> 1 == 0): nothing to mark.
        return new Range(start, size, asyncSize > 0 ? start + size - asyncSize : Range.NO_MARKER);
    }

    /** A2: get_init_ra_size. */
    static int initialSize(int request, int max) {
        int size = roundUpPowerOfTwo(request);
        if (size <= max / 32) {
            return size * 4;
        }
        if (size <= max / 4) {
            return size * 2;
        }
        return max;
    }

    /** A3: get_next_ra_size. */
    static int nextSize(int current, int max) {
        if (current < max / 16) {
            return current * 4;
        }
        if (current <= max / 2) {
            return current * 2;
        }
        return max;
    }

    private static int roundUpPowerOfTwo(int n) {
        int high = Integer.highestOneBit(n);
        return high == n ? n : high << 1;
    }

    private static void checkRead(long index, int nrPages) {
        if (index < 0) {
            throw new IllegalArgumentException("negative index: " + index);
        }
        if (nrPages <= 0) {
            throw new IllegalArgumentException("nrPages must be positive: " + nrPages);
        }
    }
}
