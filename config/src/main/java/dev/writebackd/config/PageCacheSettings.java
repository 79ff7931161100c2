package dev.writebackd.config;

import static dev.writebackd.config.Validation.require;

import java.time.Duration;

/**
 * The page cache ({@code writebackd.page-cache}). An invalid value throws {@link SettingsException}.
 *
 * @param pageSize bytes per page: a power of two from 4096 to 65536
 * @param cacheBudgetBytes memory for cached pages, clean and dirty: at least 16 pages
 * @param inodeIdleTimeout how long a file with no open handle and nothing dirty keeps its actor and
 *     clean pages; zero: forever
 * @param pretouchBytes page memory allocated and touched when the engine starts, so that the first
 *     writes into the cache do not pay for fresh memory: 0 (the default: memory is taken as the
 *     cache grows) up to {@code cacheBudgetBytes}
 */
public record PageCacheSettings(int pageSize, long cacheBudgetBytes, Duration inodeIdleTimeout, long pretouchBytes) {

    /** The default idle timeout: 30 seconds. */
    public static final Duration DEFAULT_INODE_IDLE_TIMEOUT = Duration.ofSeconds(30);

    static final String PAGE_SIZE = "writebackd.page-cache.page-size";
    static final String CACHE_BUDGET = "writebackd.page-cache.cache-budget";
    static final String INODE_IDLE_TIMEOUT = "writebackd.page-cache.inode-idle-timeout";
    static final String PRETOUCH = "writebackd.page-cache.pretouch";
    static final int MIN_BUDGET_PAGES = 16;

    /** Settings with the default idle timeout and no memory touched at start. */
    public PageCacheSettings(int pageSize, long cacheBudgetBytes) {
        this(pageSize, cacheBudgetBytes, DEFAULT_INODE_IDLE_TIMEOUT);
    }

    /** Settings with no memory touched at start. */
    public PageCacheSettings(int pageSize, long cacheBudgetBytes, Duration inodeIdleTimeout) {
        this(pageSize, cacheBudgetBytes, inodeIdleTimeout, 0);
    }

    /** These settings with {@code bytes} of page memory touched at start. */
    public PageCacheSettings withPretouchBytes(long bytes) {
        return new PageCacheSettings(pageSize, cacheBudgetBytes, inodeIdleTimeout, bytes);
    }

    /** Validates. */
    public PageCacheSettings {
        require(pageSize >= 4096 && pageSize <= 65536 && Integer.bitCount(pageSize) == 1,
                PAGE_SIZE, pageSize, "a power of two from 4096 to 65536");
        long minBudget = (long) MIN_BUDGET_PAGES * pageSize;
        require(cacheBudgetBytes >= minBudget, CACHE_BUDGET, cacheBudgetBytes,
                "at least " + MIN_BUDGET_PAGES + " pages (" + minBudget + " bytes)");
        require(inodeIdleTimeout != null && !inodeIdleTimeout.isNegative(), INODE_IDLE_TIMEOUT, inodeIdleTimeout,
                "a duration of 0 or more");
        require(pretouchBytes >= 0 && pretouchBytes <= cacheBudgetBytes, PRETOUCH, pretouchBytes,
                "0 to the cache budget (" + cacheBudgetBytes + " bytes)");
    }

    static PageCacheSettings read(SettingsReader in) {
        return new PageCacheSettings(in.getInt(PAGE_SIZE), in.getBytes(CACHE_BUDGET),
                in.getDuration(INODE_IDLE_TIMEOUT), in.getBytes(PRETOUCH));
    }
}
