package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one engine that exist only to be observed (metrics): the sizes of finished write
 * bios, write errors by errno, the pauses the throttle imposed on writers, and the file-metadata
 * events persisted to the journal. The engine's parts increment them as things happen — the
 * completion actor per finished write bio, the inode actors per throttle pause, the persistent
 * committer per committed batch — and nothing in the engine ever reads them back to decide.
 *
 * <p>Thread-safe: increments are lock-free and a {@link #snapshot()} may run concurrently with them
 * (each counter in it is exact, the set of them is not one atomic cut).
 */
public final class EngineCounters {
    /**
     * Upper bounds, in bytes, of the bio-size histogram's buckets (a bio of exactly a bound's size
     * falls in that bucket); one last bucket holds every larger bio.
     */
    public static final List<Long> BIO_SIZE_BOUNDS = List.of(4096L, 8192L, 16384L, 32768L, 65536L, 131072L,
            262144L, 524288L, 1048576L, 2097152L, 4194304L, 16777216L);

    private static final long[] BOUNDS = BIO_SIZE_BOUNDS.stream().mapToLong(Long::longValue).toArray();

    private final AtomicLongArray bioSizes = new AtomicLongArray(BOUNDS.length + 1);
    private final LongAdder bioBytes = new LongAdder();
    private final AtomicLongArray errors = new AtomicLongArray(Errno.values().length);
    private final LongAdder pauses = new LongAdder();
    private final LongAdder pauseNanos = new LongAdder();
    private final LongAdder journalEvents = new LongAdder();

    /**
     * One write bio ended.
     *
     * @param bytes its length
     * @param error the device's error, or {@code null} if it succeeded
     */
    public void writeEnded(long bytes, Errno error) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative bio length " + bytes);
        }
        int bucket = Arrays.binarySearch(BOUNDS, bytes);
        bioSizes.incrementAndGet(bucket >= 0 ? bucket : -bucket - 1);
        bioBytes.add(bytes);
        if (error != null) {
            errors.incrementAndGet(error.ordinal());
        }
    }

    /** The throttle delayed a writer's answer by {@code pause}. */
    public void writerPaused(Duration pause) {
        requireNonNull(pause, "pause");
        if (pause.isNegative()) {
            throw new IllegalArgumentException("negative pause " + pause);
        }
        pauses.increment();
        pauseNanos.add(pause.toNanos());
    }

    /** {@code events} file-metadata events were persisted to the journal. */
    public void journalEventsPersisted(long events) {
        if (events < 0) {
            throw new IllegalArgumentException("negative event count " + events);
        }
        journalEvents.add(events);
    }

    /** The counters now. */
    public Snapshot snapshot() {
        long[] sizes = new long[bioSizes.length()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = bioSizes.get(i);
        }
        Map<Errno, Long> byErrno = new EnumMap<>(Errno.class);
        for (Errno errno : Errno.values()) {
            long count = errors.get(errno.ordinal());
            if (count > 0) {
                byErrno.put(errno, count);
            }
        }
        return new Snapshot(Arrays.stream(sizes).boxed().toList(), bioBytes.sum(), byErrno, pauses.sum(), pauseNanos.sum(), journalEvents.sum());
    }

    /**
     * The counters at one moment, each since the engine started.
     *
     * @param bioSizeCounts write bios ended per size bucket: one count per bound of
     *     {@link #BIO_SIZE_BOUNDS} (bios larger than the previous bound and at most this one), then
     *     one for larger bios; not cumulative
     * @param bioBytes bytes of all ended write bios
     * @param writeErrorsByErrno failed write bios per errno, only errnos that occurred
     * @param throttlePauses writer answers the throttle delayed
     * @param throttlePauseNanos the sum of those delays
     * @param journalEvents file-metadata events persisted to the journal
     */
    public record Snapshot(List<Long> bioSizeCounts, long bioBytes, Map<Errno, Long> writeErrorsByErrno,
            long throttlePauses, long throttlePauseNanos, long journalEvents) {
        /** Freezes the snapshot. */
        public Snapshot {
            bioSizeCounts = List.copyOf(bioSizeCounts);
            Map<Errno, Long> errors = new EnumMap<>(Errno.class);
            errors.putAll(writeErrorsByErrno);
            writeErrorsByErrno = Collections.unmodifiableMap(errors);
        }

        /** Write bios ended, of any size. */
        public long bios() {
            return bioSizeCounts.stream().mapToLong(Long::longValue).sum();
        }
    }
}
