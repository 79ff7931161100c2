package dev.writebackd.actors.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.actors.engine.DurabilityTracker.Ticket;
import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class DurabilityTrackerTest {
    private final DurabilityTracker tracker = new DurabilityTracker();

    private Ticket ticket(long... pagesAndSlots) {
        Ticket ticket = tracker.open(new CompletableFuture<>());
        for (int i = 0; i < pagesAndSlots.length; i += 2) {
            tracker.applied(ticket, pagesAndSlots[i], (int) pagesAndSlots[i + 1]);
        }
        tracker.close(ticket);
        return ticket;
    }

    private static Errno errno(Ticket ticket) {
        try {
            ticket.future().join();
            return null;
        } catch (CompletionException e) {
            return ((ErrnoException) e.getCause()).errno();
        }
    }

    @Test
    void aWriteIsDurableOnceEachOfItsPagesIsWrittenAndAFlushFollows() {
        Ticket write = ticket(0, 10, 1, 11);

        tracker.submitted(0, 10);
        tracker.submitted(1, 11);
        tracker.ended(0, null, false, 0);
        assertThat(tracker.hasWritten()).isFalse();
        tracker.ended(1, null, false, 0);
        List<Ticket> flushed = tracker.takeWritten();
        assertThat(write.future()).isNotDone();

        DurabilityTracker.flushed(flushed, null);

        assertThat(errno(write)).isNull();
    }

    @Test
    void bytesWrittenIntoACopyDoNotRideOnTheOlderCopyInFlight() {
        Ticket first = ticket(0, 10);
        tracker.submitted(0, 10);
        Ticket second = ticket(0, 12); // S5: the page was copied to slot 12 while slot 10 is in flight

        tracker.ended(0, null, false, 0);
        DurabilityTracker.flushed(tracker.takeWritten(), null);

        assertThat(first.future()).isDone();
        assertThat(second.future()).isNotDone();
        tracker.submitted(0, 12);
        tracker.ended(0, null, false, 0);
        DurabilityTracker.flushed(tracker.takeWritten(), null);
        assertThat(errno(second)).isNull();
    }

    @Test
    void aDroppedPageFailsItsWritesAndARetriedOneWaitsForTheNextWrite() {
        Ticket dropped = ticket(0, 10);
        Ticket retried = ticket(1, 11);
        tracker.submitted(0, 10);
        tracker.submitted(1, 11);

        tracker.ended(0, Errno.EIO, false, 10);
        tracker.ended(1, Errno.EIO, true, 11);

        assertThat(errno(dropped)).isEqualTo(Errno.EIO);
        assertThat(retried.future()).isNotDone();
        tracker.submitted(1, 11);
        tracker.ended(1, null, false, 0);
        DurabilityTracker.flushed(tracker.takeWritten(), null);
        assertThat(errno(retried)).isNull();
    }

    @Test
    void aFailedFlushFailsTheWritesItWouldHaveMadeDurable() {
        Ticket write = ticket(0, 10);
        tracker.submitted(0, 10);
        tracker.ended(0, null, false, 0);

        DurabilityTracker.flushed(tracker.takeWritten(), Errno.EIO);

        assertThat(errno(write)).isEqualTo(Errno.EIO);
    }

    @Test
    void failAllFailsEveryOpenTicket() {
        Ticket waiting = ticket(0, 10);
        Ticket inFlight = ticket(1, 11);
        tracker.submitted(1, 11);

        tracker.failAll(Errno.ENOENT, "deleted");

        assertThat(errno(waiting)).isEqualTo(Errno.ENOENT);
        assertThat(errno(inFlight)).isEqualTo(Errno.ENOENT);
    }

    @Test
    void writebackWaitsEndOnceTheBiosInFlightAtTheStartHaveCompleted() {
        WritebackWaits<String> waits = new WritebackWaits<>();
        Bio a = flushLike();
        Bio b = flushLike();
        Bio c = flushLike();
        assertThat(waits.await("idle")).isTrue();
        waits.submitted(a);
        waits.submitted(b);

        assertThat(waits.await("fsync")).isFalse();
        waits.submitted(c); // later writeback is not waited for (C2)

        assertThat(waits.ended(b)).isEmpty();
        assertThat(waits.ended(a)).containsExactly("fsync");
        assertThat(waits.inFlight()).isEqualTo(1);
    }

    private static Bio flushLike() {
        return new Bio(BioOp.FLUSH, 0, List.of(), Set.of(), 0);
    }
}
