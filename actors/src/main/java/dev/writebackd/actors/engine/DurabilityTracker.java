package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.util.ArrayList;
import java.util.List;
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

    /** A ticket waiting on one page: in a chain per page, newest first. */
    private static final class Pending {
        private final Ticket ticket;
        private int slot;
        private Pending next;

        Pending(Ticket ticket, int slot, Pending next) {
            this.ticket = ticket;
            this.slot = slot;
            this.next = next;
        }
    }

    /** Per page, the tickets waiting for a write of their slot. */
    private final LongMap<Pending> waiting = new LongMap<>();
    /** Per page, the tickets riding on its write in flight. */
    private final LongMap<Pending> inFlight = new LongMap<>();
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
        waiting.put(page, new Pending(ticket, slot, waiting.get(page)));
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
        Pending p = waiting.get(page);
        if (p == null) {
            return;
        }
        Pending keep = null;
        Pending riding = inFlight.get(page);
        boolean moved = false;
        while (p != null) {
            Pending next = p.next;
            if (p.slot == slot) {
                p.next = riding;
                riding = p;
                moved = true;
            } else {
                p.next = keep;
                keep = p;
            }
            p = next;
        }
        if (moved) {
            inFlight.put(page, riding);
        }
        if (keep == null) {
            waiting.remove(page);
        } else {
            waiting.put(page, keep);
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
        Pending p = inFlight.remove(page);
        while (p != null) {
            Pending next = p.next;
            if (error == null) {
                pageDone(p.ticket);
            } else if (retry) {
                p.slot = currentSlot;
                p.next = waiting.get(page);
                waiting.put(page, p);
            } else {
                fail(p.ticket, error, "writing page " + page + " failed");
            }
            p = next;
        }
    }

    /**
     * A writeback pass reported {@code error} for the file (a block could not be mapped, B5): the
     * tickets of pages that are cached but neither dirty nor under writeback any more were cleaned
     * without being written, and fail.
     */
    void lostUnlessPending(PageCache cache, Errno error) {
        waiting.removeIf(page -> {
            if (cache.contains(page) && !cache.has(page, PageFlags.DIRTY) && !cache.has(page, PageFlags.WRITEBACK)
                    && !cache.has(page, PageFlags.HELD)) {
                for (Pending p = waiting.get(page); p != null; p = p.next) {
                    fail(p.ticket, error, "page " + page + " could not be written");
                }
                return true;
            }
            return false;
        });
    }

    /** Pages that left the cache (truncated away, U2): their bytes were discarded on purpose. */
    void discardMissing(PageCache cache) {
        waiting.removeIf(page -> {
            if (!cache.contains(page)) {
                for (Pending p = waiting.get(page); p != null; p = p.next) {
                    pageDone(p.ticket);
                }
                return true;
            }
            return false;
        });
    }

    /** Fails every ticket still open with {@code error} (the file is going away unwritten). */
    void failAll(Errno error, String why) {
        ErrnoException lost = new ErrnoException(error, why); // one for all: a file's pages can be many
        LongMap.Entry<Pending> failChain = (page, head) -> {
            for (Pending p = head; p != null; p = p.next) {
                p.ticket.future.completeExceptionally(lost);
            }
        };
        waiting.forEach(failChain);
        inFlight.forEach(failChain);
        written.forEach(t -> t.future.completeExceptionally(lost));
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
