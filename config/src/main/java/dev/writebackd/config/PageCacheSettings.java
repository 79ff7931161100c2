package dev.writebackd.config;

import static dev.writebackd.config.Validation.require;

/**
 * The page cache ({@code writebackd.page-cache}). An invalid value throws {@link SettingsException}.
 *
 * @param pageSize bytes per page: a power of two from 4096 to 65536
 * @param cacheBudgetBytes memory for cached pages, clean and dirty: at least 16 pages
 */
public record PageCacheSettings(int pageSize, long cacheBudgetBytes) {

    static final String PAGE_SIZE = "writebackd.page-cache.page-size";
    static final String CACHE_BUDGET = "writebackd.page-cache.cache-budget";
    static final int MIN_BUDGET_PAGES = 16;

    public PageCacheSettings {
        require(pageSize >= 4096 && pageSize <= 65536 && Integer.bitCount(pageSize) == 1,
                PAGE_SIZE, pageSize, "a power of two from 4096 to 65536");
        long minBudget = (long) MIN_BUDGET_PAGES * pageSize;
        require(cacheBudgetBytes >= minBudget, CACHE_BUDGET, cacheBudgetBytes,
                "at least " + MIN_BUDGET_PAGES + " pages (" + minBudget + " bytes)");
    }

    static PageCacheSettings read(SettingsReader in) {
        return new PageCacheSettings(in.getInt(PAGE_SIZE), in.getBytes(CACHE_BUDGET));
    }
}
