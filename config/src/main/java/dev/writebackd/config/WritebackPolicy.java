package dev.writebackd.config;

import static dev.writebackd.config.Validation.require;
import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * The writeback policy ({@code writebackd.writeback}); every field can change at run time through
 * the {@code with…} methods, each of which validates like the constructor. An invalid value throws
 * {@link SettingsException}.
 *
 * <p>The four thresholds behave like the kernel's {@code vm.dirty_*} sysctls: a non-zero bytes value
 * wins over its ratio twin, which then reads as 0; {@link #withDirtyBytes} zeroes the ratio and
 * {@link #withDirtyRatio} zeroes the bytes, and likewise for the background pair. A background
 * ratio and bytes both 0 mean background writeback starts as soon as anything is dirty; the dirty
 * pair may not both be 0.
 *
 * @param dirtyBackgroundRatio percent of the cache budget at which background writeback starts, 0 to 100
 * @param dirtyBackgroundBytes the same threshold in bytes, 0 to use the ratio
 * @param dirtyRatio percent of the cache budget at which writers are throttled hard, 0 to 100
 * @param dirtyBytes the same threshold in bytes, 0 to use the ratio
 * @param dirtyExpireInterval age after which dirty data is written by the periodic pass, 0 or more
 * @param writebackInterval period of the periodic pass, 0 or more; 0 disables it
 * @param maxBioSegments most pages in one bio, 1 to 256
 * @param minChunkBytes smallest chunk of a file written per pass, positive; {@link Settings} also
 *     requires a multiple of the page size
 * @param commitInterval most time between commits of completed writes' mappings, above 0
 * @param errorPolicy what happens to a page whose write failed
 * @param redirtyBackoffInitial first retry delay under {@link ErrorPolicy#REDIRTY}, above 0
 * @param redirtyBackoffMax longest retry delay, at least {@code redirtyBackoffInitial}
 * @param retryLimit failed retries before a page falls back to {@link ErrorPolicy#LINUX}, 0 or more
 * @param durability when a write is answered unless the write says otherwise
 */
public record WritebackPolicy(
        double dirtyBackgroundRatio,
        long dirtyBackgroundBytes,
        double dirtyRatio,
        long dirtyBytes,
        Duration dirtyExpireInterval,
        Duration writebackInterval,
        int maxBioSegments,
        long minChunkBytes,
        Duration commitInterval,
        ErrorPolicy errorPolicy,
        Duration redirtyBackoffInitial,
        Duration redirtyBackoffMax,
        int retryLimit,
        Durability durability) {

    static final String DIRTY_BACKGROUND_RATIO = "writebackd.writeback.dirty-background-ratio";
    static final String DIRTY_BACKGROUND_BYTES = "writebackd.writeback.dirty-background-bytes";
    static final String DIRTY_RATIO = "writebackd.writeback.dirty-ratio";
    static final String DIRTY_BYTES = "writebackd.writeback.dirty-bytes";
    static final String DIRTY_EXPIRE_INTERVAL = "writebackd.writeback.dirty-expire-interval";
    static final String WRITEBACK_INTERVAL = "writebackd.writeback.writeback-interval";
    static final String MAX_BIO_SEGMENTS = "writebackd.writeback.max-bio-segments";
    static final String MIN_CHUNK = "writebackd.writeback.min-chunk";
    static final String COMMIT_INTERVAL = "writebackd.writeback.commit-interval";
    static final String REDIRTY_BACKOFF_INITIAL = "writebackd.writeback.redirty-backoff-initial";
    static final String REDIRTY_BACKOFF_MAX = "writebackd.writeback.redirty-backoff-max";
    static final String RETRY_LIMIT = "writebackd.writeback.retry-limit";

    public WritebackPolicy {
        Validation.ratio(DIRTY_BACKGROUND_RATIO, dirtyBackgroundRatio);
        Validation.nonNegative(DIRTY_BACKGROUND_BYTES, dirtyBackgroundBytes);
        Validation.ratio(DIRTY_RATIO, dirtyRatio);
        Validation.nonNegative(DIRTY_BYTES, dirtyBytes);
        require(dirtyRatio > 0 || dirtyBytes > 0, DIRTY_RATIO, dirtyRatio,
                "a percentage above 0 while dirty-bytes is 0");
        Validation.nonNegative(DIRTY_EXPIRE_INTERVAL, requireNonNull(dirtyExpireInterval, "dirtyExpireInterval"));
        Validation.nonNegative(WRITEBACK_INTERVAL, requireNonNull(writebackInterval, "writebackInterval"));
        Validation.between(MAX_BIO_SEGMENTS, maxBioSegments, 1, 256);
        Validation.positive(MIN_CHUNK, minChunkBytes);
        Validation.positive(COMMIT_INTERVAL, requireNonNull(commitInterval, "commitInterval"));
        requireNonNull(errorPolicy, "errorPolicy");
        Validation.positive(REDIRTY_BACKOFF_INITIAL, requireNonNull(redirtyBackoffInitial, "redirtyBackoffInitial"));
        requireNonNull(redirtyBackoffMax, "redirtyBackoffMax");
        require(redirtyBackoffMax.compareTo(redirtyBackoffInitial) >= 0, REDIRTY_BACKOFF_MAX, redirtyBackoffMax,
                "a duration of at least redirty-backoff-initial (" + Validation.render(redirtyBackoffInitial) + ")");
        require(retryLimit >= 0, RETRY_LIMIT, retryLimit, "an integer of 0 or more");
        requireNonNull(durability, "durability");
        if (dirtyBackgroundBytes != 0) {
            dirtyBackgroundRatio = 0;
        }
        if (dirtyBytes != 0) {
            dirtyRatio = 0;
        }
    }

    static WritebackPolicy read(SettingsReader in) {
        return new WritebackPolicy(
                in.getDouble(DIRTY_BACKGROUND_RATIO),
                in.getBytes(DIRTY_BACKGROUND_BYTES),
                in.getDouble(DIRTY_RATIO),
                in.getBytes(DIRTY_BYTES),
                in.getDuration(DIRTY_EXPIRE_INTERVAL),
                in.getDuration(WRITEBACK_INTERVAL),
                in.getInt(MAX_BIO_SEGMENTS),
                in.getBytes(MIN_CHUNK),
                in.getDuration(COMMIT_INTERVAL),
                ErrorPolicy.parse(in.getString(ErrorPolicy.KEY)),
                in.getDuration(REDIRTY_BACKOFF_INITIAL),
                in.getDuration(REDIRTY_BACKOFF_MAX),
                in.getInt(RETRY_LIMIT),
                Durability.parse(in.getString(Durability.KEY)));
    }

    /**
     * The dirty threshold above which writers are throttled hard: {@code dirtyBytes} if non-zero,
     * else {@code dirtyRatio} percent of {@code budgetBytes}.
     */
    public long dirtyThresholdBytes(long budgetBytes) {
        return threshold(dirtyBytes, dirtyRatio, budgetBytes);
    }

    /**
     * The dirty threshold at which background writeback starts: {@code dirtyBackgroundBytes} if
     * non-zero, else {@code dirtyBackgroundRatio} percent of {@code budgetBytes}. Not capped by the
     * dirty threshold; the throttle applies that rule.
     */
    public long backgroundThresholdBytes(long budgetBytes) {
        return threshold(dirtyBackgroundBytes, dirtyBackgroundRatio, budgetBytes);
    }

    private static long threshold(long bytes, double ratio, long budgetBytes) {
        if (budgetBytes < 0) {
            throw new IllegalArgumentException("budgetBytes must not be negative: " + budgetBytes);
        }
        return bytes != 0 ? bytes : (long) (budgetBytes * ratio / 100);
    }

    /** This policy with this background ratio and background bytes 0, as writing vm.dirty_background_ratio does. */
    public WritebackPolicy withDirtyBackgroundRatio(double ratio) {
        return new WritebackPolicy(ratio, 0, dirtyRatio, dirtyBytes, dirtyExpireInterval, writebackInterval,
                maxBioSegments, minChunkBytes, commitInterval, errorPolicy, redirtyBackoffInitial,
                redirtyBackoffMax, retryLimit, durability);
    }

    /** This policy with these background bytes and background ratio 0, as writing vm.dirty_background_bytes does. */
    public WritebackPolicy withDirtyBackgroundBytes(long bytes) {
        return new WritebackPolicy(0, bytes, dirtyRatio, dirtyBytes, dirtyExpireInterval, writebackInterval,
                maxBioSegments, minChunkBytes, commitInterval, errorPolicy, redirtyBackoffInitial,
                redirtyBackoffMax, retryLimit, durability);
    }

    /** This policy with the given dirty ratio and dirty bytes 0, as writing vm.dirty_ratio does. */
    public WritebackPolicy withDirtyRatio(double ratio) {
        return new WritebackPolicy(dirtyBackgroundRatio, dirtyBackgroundBytes, ratio, 0, dirtyExpireInterval,
                writebackInterval, maxBioSegments, minChunkBytes, commitInterval, errorPolicy,
                redirtyBackoffInitial, redirtyBackoffMax, retryLimit, durability);
    }

    /**
     * This policy with the given dirty bytes and dirty ratio 0, as writing vm.dirty_bytes does; so
     * 0 is refused, as the kernel refuses it: it would leave no hard threshold.
     */
    public WritebackPolicy withDirtyBytes(long bytes) {
        Validation.positive(DIRTY_BYTES, bytes);
        return new WritebackPolicy(dirtyBackgroundRatio, dirtyBackgroundBytes, 0, bytes, dirtyExpireInterval,
                writebackInterval, maxBioSegments, minChunkBytes, commitInterval, errorPolicy,
                redirtyBackoffInitial, redirtyBackoffMax, retryLimit, durability);
    }

    /** This policy with another dirty expire interval. */
    public WritebackPolicy withDirtyExpireInterval(Duration interval) {
        return new WritebackPolicy(dirtyBackgroundRatio, dirtyBackgroundBytes, dirtyRatio, dirtyBytes, interval,
                writebackInterval, maxBioSegments, minChunkBytes, commitInterval, errorPolicy,
                redirtyBackoffInitial, redirtyBackoffMax, retryLimit, durability);
    }

    /** This policy with another writeback interval; 0 disables periodic writeback. */
    public WritebackPolicy withWritebackInterval(Duration interval) {
        return new WritebackPolicy(dirtyBackgroundRatio, dirtyBackgroundBytes, dirtyRatio, dirtyBytes,
                dirtyExpireInterval, interval, maxBioSegments, minChunkBytes, commitInterval, errorPolicy,
                redirtyBackoffInitial, redirtyBackoffMax, retryLimit, durability);
    }

    /** This policy with another limit of pages per bio. */
    public WritebackPolicy withMaxBioSegments(int segments) {
        return new WritebackPolicy(dirtyBackgroundRatio, dirtyBackgroundBytes, dirtyRatio, dirtyBytes,
                dirtyExpireInterval, writebackInterval, segments, minChunkBytes, commitInterval, errorPolicy,
                redirtyBackoffInitial, redirtyBackoffMax, retryLimit, durability);
    }

    /** This policy with another minimum chunk; {@link Settings#withWriteback} checks it against the page size. */
    public WritebackPolicy withMinChunkBytes(long bytes) {
        return new WritebackPolicy(dirtyBackgroundRatio, dirtyBackgroundBytes, dirtyRatio, dirtyBytes,
                dirtyExpireInterval, writebackInterval, maxBioSegments, bytes, commitInterval, errorPolicy,
                redirtyBackoffInitial, redirtyBackoffMax, retryLimit, durability);
    }

    /** This policy with another commit interval. */
    public WritebackPolicy withCommitInterval(Duration interval) {
        return new WritebackPolicy(dirtyBackgroundRatio, dirtyBackgroundBytes, dirtyRatio, dirtyBytes,
                dirtyExpireInterval, writebackInterval, maxBioSegments, minChunkBytes, interval, errorPolicy,
                redirtyBackoffInitial, redirtyBackoffMax, retryLimit, durability);
    }

    /** This policy with another error policy. */
    public WritebackPolicy withErrorPolicy(ErrorPolicy policy) {
        return new WritebackPolicy(dirtyBackgroundRatio, dirtyBackgroundBytes, dirtyRatio, dirtyBytes,
                dirtyExpireInterval, writebackInterval, maxBioSegments, minChunkBytes, commitInterval, policy,
                redirtyBackoffInitial, redirtyBackoffMax, retryLimit, durability);
    }

    /** This policy with another first retry delay. */
    public WritebackPolicy withRedirtyBackoffInitial(Duration delay) {
        return new WritebackPolicy(dirtyBackgroundRatio, dirtyBackgroundBytes, dirtyRatio, dirtyBytes,
                dirtyExpireInterval, writebackInterval, maxBioSegments, minChunkBytes, commitInterval, errorPolicy,
                delay, redirtyBackoffMax, retryLimit, durability);
    }

    /** This policy with another longest retry delay. */
    public WritebackPolicy withRedirtyBackoffMax(Duration delay) {
        return new WritebackPolicy(dirtyBackgroundRatio, dirtyBackgroundBytes, dirtyRatio, dirtyBytes,
                dirtyExpireInterval, writebackInterval, maxBioSegments, minChunkBytes, commitInterval, errorPolicy,
                redirtyBackoffInitial, delay, retryLimit, durability);
    }

    /** This policy with another retry limit. */
    public WritebackPolicy withRetryLimit(int limit) {
        return new WritebackPolicy(dirtyBackgroundRatio, dirtyBackgroundBytes, dirtyRatio, dirtyBytes,
                dirtyExpireInterval, writebackInterval, maxBioSegments, minChunkBytes, commitInterval, errorPolicy,
                redirtyBackoffInitial, redirtyBackoffMax, limit, durability);
    }

    /** This policy with another default durability. */
    public WritebackPolicy withDurability(Durability mode) {
        return new WritebackPolicy(dirtyBackgroundRatio, dirtyBackgroundBytes, dirtyRatio, dirtyBytes,
                dirtyExpireInterval, writebackInterval, maxBioSegments, minChunkBytes, commitInterval, errorPolicy,
                redirtyBackoffInitial, redirtyBackoffMax, retryLimit, mode);
    }
}
