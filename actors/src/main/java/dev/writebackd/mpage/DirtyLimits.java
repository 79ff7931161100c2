package dev.writebackd.mpage;

/**
 * The dirty thresholds of one device in pages (T1, the kernel's {@code domain_dirty_limits}):
 * {@code threshPages}, at which writers are throttled hard, and {@code bgThreshPages}, above which
 * the flusher writes in the background.
 *
 * <p>Every instance obeys T1's last rule: if the background threshold is not below the hard one it
 * becomes half of it. Immutable.
 *
 * @param threshPages the hard limit (dirty_thresh), 0 or more
 * @param bgThreshPages the background threshold (dirty_background_thresh), below {@code threshPages}
 *     unless both are 0
 */
public record DirtyLimits(long threshPages, long bgThreshPages) {

    /** Default vm.dirty_ratio, percent of the cache budget. */
    public static final double DEFAULT_DIRTY_RATIO = 20;
    /** Default vm.dirty_background_ratio, percent of the cache budget. */
    public static final double DEFAULT_BACKGROUND_RATIO = 10;

    /** Validates, and halves a background threshold that is not below the hard one (T1). */
    public DirtyLimits {
        if (threshPages < 0 || bgThreshPages < 0) {
            throw new IllegalArgumentException("negative threshold: thresh=" + threshPages + ", bg=" + bgThreshPages);
        }
        if (bgThreshPages >= threshPages) {
            bgThreshPages = threshPages / 2;
        }
    }

    /**
     * T1: {@code dirtyBytes} (rounded up to whole pages) if non-zero, else {@code dirtyRatio} percent
     * of the cache budget (rounded down); the same for the background pair; then a background
     * threshold at or above the hard one becomes half of it.
     *
     * @param cacheBudgetPages pages the cache may hold, clean and dirty
     * @param pageSize bytes per page
     * @param dirtyRatio vm.dirty_ratio, percent (decimals allowed), 0 to 100
     * @param dirtyBytes vm.dirty_bytes, 0 to use the ratio
     * @param backgroundRatio vm.dirty_background_ratio, percent, 0 to 100
     * @param backgroundBytes vm.dirty_background_bytes, 0 to use the ratio
     */
    public static DirtyLimits of(long cacheBudgetPages, int pageSize, double dirtyRatio, long dirtyBytes,
            double backgroundRatio, long backgroundBytes) {
        if (cacheBudgetPages < 0) {
            throw new IllegalArgumentException("negative cache budget: " + cacheBudgetPages);
        }
        if (pageSize <= 0) {
            throw new IllegalArgumentException("page size must be positive: " + pageSize);
        }
        long thresh = pages(cacheBudgetPages, pageSize, dirtyRatio, dirtyBytes);
        long bg = pages(cacheBudgetPages, pageSize, backgroundRatio, backgroundBytes);
        return new DirtyLimits(thresh, bg);
    }

    /** T1 with the kernel's default ratios, 20 % and 10 % of the cache budget. */
    public static DirtyLimits defaults(long cacheBudgetPages, int pageSize) {
        return of(cacheBudgetPages, pageSize, DEFAULT_DIRTY_RATIO, 0, DEFAULT_BACKGROUND_RATIO, 0);
    }

    private static long pages(long budgetPages, int pageSize, double ratio, long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative bytes: " + bytes);
        }
        if (!(ratio >= 0 && ratio <= 100)) {
            throw new IllegalArgumentException("ratio must be a percentage from 0 to 100: " + ratio);
        }
        if (bytes != 0) {
            return (bytes + pageSize - 1) / pageSize;
        }
        return (long) Math.floor(budgetPages * ratio / 100);
    }

    /** T3: dirty + writeback pages up to which writers are not delayed, {@code (thresh + bg) / 2}. */
    public long freerunPages() {
        return (threshPages + bgThreshPages) / 2;
    }

    /** T4: the level the throttle steers towards, {@code (freerun + thresh) / 2}. */
    public long setpointPages() {
        return (freerunPages() + threshPages) / 2;
    }
}
