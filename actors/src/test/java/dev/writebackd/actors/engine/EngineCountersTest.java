package dev.writebackd.actors.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.error.Errno;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EngineCountersTest {
    private final EngineCounters counters = new EngineCounters();

    @Test
    void bioSizesFallInTheBucketOfTheirUpperBoundAndLargerOnesInTheLast() {
        counters.writeEnded(512, null);
        counters.writeEnded(4096, null);
        counters.writeEnded(4097, null);
        counters.writeEnded(1L << 20, null);
        counters.writeEnded(32L << 20, null);

        EngineCounters.Snapshot snapshot = counters.snapshot();

        assertThat(snapshot.bioSizeCounts()).hasSize(EngineCounters.BIO_SIZE_BOUNDS.size() + 1);
        assertThat(snapshot.bioSizeCounts().get(0)).isEqualTo(2); // 512 and 4096
        assertThat(snapshot.bioSizeCounts().get(1)).isEqualTo(1); // 4097
        assertThat(snapshot.bioSizeCounts().get(EngineCounters.BIO_SIZE_BOUNDS.indexOf(1L << 20))).isEqualTo(1);
        assertThat(snapshot.bioSizeCounts().get(EngineCounters.BIO_SIZE_BOUNDS.size())).isEqualTo(1);
        assertThat(snapshot.bios()).isEqualTo(5);
        assertThat(snapshot.bioBytes()).isEqualTo(512 + 4096 + 4097 + (1L << 20) + (32L << 20));
    }

    @Test
    void failedBiosAreCountedByErrnoAndOnlyErrnosThatOccurredAreListed() {
        counters.writeEnded(4096, Errno.EIO);
        counters.writeEnded(8192, Errno.EIO);
        counters.writeEnded(4096, Errno.ENOSPC);
        counters.writeEnded(4096, null);

        assertThat(counters.snapshot().writeErrorsByErrno()).isEqualTo(Map.of(Errno.EIO, 2L, Errno.ENOSPC, 1L));
    }

    @Test
    void pausesAndJournalEventsAddUp() {
        counters.writerPaused(Duration.ofMillis(20));
        counters.writerPaused(Duration.ofMillis(5));
        counters.journalEventsPersisted(3);

        EngineCounters.Snapshot snapshot = counters.snapshot();
        assertThat(snapshot.throttlePauses()).isEqualTo(2);
        assertThat(snapshot.throttlePauseNanos()).isEqualTo(Duration.ofMillis(25).toNanos());
        assertThat(snapshot.journalEvents()).isEqualTo(3);
    }

    @Test
    void negativeAmountsAreRefusedAndCountNothing() {
        assertThatThrownBy(() -> counters.writeEnded(-1, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> counters.writerPaused(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> counters.journalEventsPersisted(-2)).isInstanceOf(IllegalArgumentException.class);

        EngineCounters.Snapshot snapshot = counters.snapshot();
        assertThat(snapshot.bios()).isZero();
        assertThat(snapshot.throttlePauses()).isZero();
        assertThat(snapshot.journalEvents()).isZero();
    }

    @Test
    void aSnapshotDoesNotChangeWithLaterCounts() {
        EngineCounters.Snapshot before = counters.snapshot();
        counters.writeEnded(4096, Errno.EIO);

        assertThat(before.bios()).isZero();
        assertThat(before.writeErrorsByErrno()).isEmpty();
    }
}
