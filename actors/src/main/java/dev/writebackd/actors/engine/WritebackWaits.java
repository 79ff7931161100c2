package dev.writebackd.actors.engine;

import dev.writebackd.block.Bio;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One file's write bios in flight, and who waits for them: fsync's "wait for every page of the
 * file under writeback, including ones the flusher started" (E1).
 *
 * <p>A waiter waits for the bios in flight when it starts waiting, not for later ones: while other
 * writers keep dirtying the file and the flusher keeps writing it, a wait still ends (C2). Bios are
 * numbered as they are submitted; a waiter registered when {@code n} bios had been submitted is done
 * once none of the first {@code n} is in flight.
 *
 * <p>Mutable, single-threaded: owned by the inode actor.
 *
 * @param <W> what a waiter is
 */
final class WritebackWaits<W> {
    private record Waiter<W>(long upTo, W who) {}

    private final Map<Bio, Long> numbers = new IdentityHashMap<>();
    private final TreeSet<Long> inFlight = new TreeSet<>();
    private final Deque<Waiter<W>> waiters = new ArrayDeque<>();
    private long submitted;

    /** A write bio of the file was submitted. */
    void submitted(Bio bio) {
        long number = ++submitted;
        numbers.put(bio, number);
        inFlight.add(number);
    }

    /**
     * A write bio of the file completed.
     *
     * @return the waiters whose wait is over, oldest first
     */
    List<W> ended(Bio bio) {
        Long number = numbers.remove(bio);
        if (number == null) {
            return List.of();
        }
        inFlight.remove(number);
        List<W> done = new ArrayList<>();
        long oldest = inFlight.isEmpty() ? Long.MAX_VALUE : inFlight.first();
        // Waiters are registered in order of upTo, so those done form a prefix.
        while (!waiters.isEmpty() && waiters.peekFirst().upTo() < oldest) {
            done.add(waiters.pollFirst().who());
        }
        return done;
    }

    /**
     * {@code who} starts waiting for the bios in flight now.
     *
     * @return {@code true} if none is in flight: the wait is already over and {@code who} is not kept
     */
    boolean await(W who) {
        if (inFlight.isEmpty()) {
            return true;
        }
        waiters.addLast(new Waiter<>(submitted, who));
        return false;
    }

    /** Forgets every waiter and answers them, oldest first (the owner failed). */
    List<W> drain() {
        List<W> all = new ArrayList<>();
        waiters.forEach(waiter -> all.add(waiter.who()));
        waiters.clear();
        return all;
    }

    /** Write bios of the file in flight. */
    int inFlight() {
        return inFlight.size();
    }
}
