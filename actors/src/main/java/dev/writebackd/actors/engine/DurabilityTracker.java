package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The <em>durable</em> futures of one file's writes (DESIGN "Durability per write"): a write's
 * future completes once every page it touched has been written from a copy holding its bytes (or a
 * later copy), a device flush has completed after that and, where metadata is persisted, the
 * mappings that flush made committable are committed (its owner calls {@link #flushed} only then);
 * it fails with the error that lost one of them.
 *
 * <p>A write's bytes ride on a page's buffer, named by its pool slot: a write applied to a page
 * not under writeback changes the page in place, one applied while an older copy is in flight goes
 * into a new copy (S5). So a page's pending tickets are those of its current slot; when a bio
 * carrying page {@code p} from slot {@code s} is submitted, the tickets of {@code (p, s)} ride on
 * it, and when that writeback ends they are done with that page — or go back to waiting (a retry),
 * or fail (a dropped or held page). A ticket whose pages are all done waits for the next flush and commit.
 *
 * <p>Mutable, single-threaded: owned by the inode actor that owns the page cache.
 */
final class DurabilityTracker {

    /** One write's promise. */
    static final class Ticket {
        private final CompletableFuture<Void> future;
        private final boolean urgent;
        private int pagesLeft;
        private boolean closed;

        private Ticket(CompletableFuture<Void> future, boolean urgent) {
            this.future = future;
            this.urgent = urgent;
        }

        /** The future this ticket completes. */
        CompletableFuture<Void> future() {
            return future;
        }

        private boolean settled() {
            return future.isDone();
        }
    }

    private record Pending(Ticket ticket, int slot) {}

    private final Map<Long, List<Pending>> waiting = new HashMap<>();
    private final Map<Long, List<Ticket>> inFlight = new HashMap<>();
    private List<Ticket> written = new ArrayList<>();
    /** How many of {@link #written} are urgent: asked after every completion batch, so never scanned. */
    private int urgentWritten;

    /** Whether no write's promise is pending here (nothing waiting, in flight or written unflushed). */
    boolean idle() {
        return waiting.isEmpty() && inFlight.isEmpty() && written.isEmpty();
    }

    /** A ticket for a write about to be applied, completing {@code future}. */
    Ticket open(CompletableFuture<Void> future) {
        return open(future, false);
    }

    /**
     * A ticket for a write about to be applied, completing {@code future}; {@code urgent} when the
     * writer waits for it ({@code synced}), so its flush and commit must not wait for the next
     * periodic commit.
     */
    Ticket open(CompletableFuture<Void> future, boolean urgent) {
        return new Ticket(requireNonNull(future, "future"), urgent);
    }

    /** The write's bytes for page {@code page} are now in its buffer {@code slot}. */
    void applied(Ticket ticket, long page, int slot) {
        ticket.pagesLeft++;
        waiting.computeIfAbsent(page, p -> new ArrayList<>(2)).add(new Pending(ticket, slot));
    }

    /** Every page of the write has been applied ({@link #applied}); none will be added. */
    void close(Ticket ticket) {
        ticket.closed = true;
        if (ticket.pagesLeft == 0 && !ticket.settled()) {
            addWritten(ticket);
        }
    }

    /** The write failed before it was wholly applied. */
    void fail(Ticket ticket, Errno error) {
        ticket.closed = true;
        fail(ticket, error, "the write could not be applied");
    }

    /** A bio carrying page {@code page} from buffer {@code slot} was submitted. */
    void submitted(long page, int slot) {
        List<Pending> pending = waiting.get(page);
        if (pending == null) {
            return;
        }
        List<Ticket> riding = null;
        for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (p.slot() == slot) {
                it.remove();
                if (riding == null) {
                    riding = inFlight.computeIfAbsent(page, k -> new ArrayList<>(2));
                }
                riding.add(p.ticket());
            }
        }
        if (pending.isEmpty()) {
            waiting.remove(page);
        }
    }

    /**
     * The writeback of page {@code page} ended.
     *
     * @param error {@code null} if it succeeded
     * @param retry the page will be written again (the {@code redirty} policy): its tickets wait for
     *     that write of {@code currentSlot}
     */
    void ended(long page, Errno error, boolean retry, int currentSlot) {
        List<Ticket> riding = inFlight.remove(page);
        if (riding == null) {
            return;
        }
        for (Ticket ticket : riding) {
            if (error == null) {
                pageDone(ticket);
            } else if (retry) {
                waiting.computeIfAbsent(page, p -> new ArrayList<>(2)).add(new Pending(ticket, currentSlot));
            } else {
                fail(ticket, error, "writing page " + page + " failed");
            }
        }
    }

    /**
     * A writeback pass reported {@code error} for the file (a block could not be mapped, B5): the
     * tickets of pages that are cached but neither dirty nor under writeback any more were cleaned
     * without being written, and fail.
     */
    void lostUnlessPending(PageCache cache, Errno error) {
        for (Iterator<Map.Entry<Long, List<Pending>>> it = waiting.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, List<Pending>> entry = it.next();
            long page = entry.getKey();
            if (cache.contains(page) && !cache.has(page, PageFlags.DIRTY) && !cache.has(page, PageFlags.WRITEBACK)
                    && !cache.has(page, PageFlags.HELD)) {
                for (Pending p : entry.getValue()) {
                    fail(p.ticket(), error, "page " + page + " could not be written");
                }
                it.remove();
            }
        }
    }

    /** Pages that left the cache (truncated away, U2): their bytes were discarded on purpose. */
    void discardMissing(PageCache cache) {
        for (Iterator<Map.Entry<Long, List<Pending>>> it = waiting.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, List<Pending>> entry = it.next();
            if (!cache.contains(entry.getKey())) {
                entry.getValue().forEach(p -> pageDone(p.ticket()));
                it.remove();
            }
        }
    }

    /** Fails every ticket still open with {@code error} (the file is going away unwritten). */
    void failAll(Errno error, String why) {
        waiting.values().forEach(list -> list.forEach(p -> fail(p.ticket(), error, why)));
        inFlight.values().forEach(list -> list.forEach(t -> fail(t, error, why)));
        written.forEach(t -> fail(t, error, why));
        waiting.clear();
        inFlight.clear();
        written = new ArrayList<>();
        urgentWritten = 0;
    }

    /** Fails {@code tickets}, taken earlier for a flush whose answer will not come, with {@code error}. */
    static void abandon(List<Ticket> tickets, Errno error, String why) {
        tickets.forEach(ticket -> fail(ticket, error, why));
    }

    /** Whether some tickets have all their pages written and wait for a flush. */
    boolean hasWritten() {
        return !written.isEmpty();
    }

    /** Whether a ticket waiting for a flush is urgent. */
    boolean hasUrgentWritten() {
        return urgentWritten > 0;
    }

    /** Whether one of {@code tickets} is urgent. */
    static boolean urgent(List<Ticket> tickets) {
        for (Ticket ticket : tickets) {
            if (ticket.urgent) {
                return true;
            }
        }
        return false;
    }

    /** Takes the tickets waiting for a flush: a flush submitted from now on settles them. */
    List<Ticket> takeWritten() {
        List<Ticket> taken = written;
        written = new ArrayList<>();
        urgentWritten = 0;
        return taken;
    }

    /** A flush issued after {@link #takeWritten()} returned {@code tickets} completed. */
    static void flushed(List<Ticket> tickets, Errno error) {
        for (Ticket ticket : tickets) {
            if (error == null) {
                ticket.future.complete(null);
            } else {
                fail(ticket, error, "the device flush failed");
            }
        }
    }

    private void addWritten(Ticket ticket) {
        written.add(ticket);
        if (ticket.urgent) {
            urgentWritten++;
        }
    }

    private void pageDone(Ticket ticket) {
        if (--ticket.pagesLeft == 0 && ticket.closed && !ticket.settled()) {
            addWritten(ticket);
        }
    }

    private static void fail(Ticket ticket, Errno error, String why) {
        ticket.future.completeExceptionally(new ErrnoException(error, why));
    }
}
