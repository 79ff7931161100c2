package dev.writebackd.actors;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The futures an {@link Engine} handed to callers and has not completed yet, so that a halt can
 * fail them and a write's answer can fail once its deadline has passed.
 *
 * <p>Built for the write path, where every call adds one or two futures: an add is one store into
 * an array under a lock that is almost never contended (the arrays are striped by the adding
 * thread), with no per-future node and no action chained on the future. Completed futures are not
 * removed when they complete; they are dropped when a stripe fills up (which then doubles its
 * room) and by {@link #sweep}, so the cost of forgetting them is spread over the adds.
 *
 * <p>Thread-safe.
 */
final class PendingCalls {
    private static final int STRIPES = 8;
    private static final int INITIAL = 64;
    /** Means "no deadline". */
    static final long NO_DEADLINE = Long.MIN_VALUE;

    private final Stripe[] stripes = new Stripe[STRIPES];

    PendingCalls() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
    }

    /** Keeps {@code future} until it completes. */
    void add(CompletableFuture<?> future) {
        add(future, NO_DEADLINE);
    }

    /**
     * Keeps {@code future} until it completes; {@link #sweep} fails it if it is still pending at
     * {@code deadline} ({@link System#nanoTime()}), or never with {@link #NO_DEADLINE}.
     */
    void add(CompletableFuture<?> future, long deadline) {
        requireNonNull(future, "future");
        stripes[(int) Thread.currentThread().getId() & (STRIPES - 1)].add(future, deadline);
    }

    /** Fails every future still pending with a fresh {@code error}. */
    void failAll(Supplier<? extends Throwable> error) {
        for (Stripe stripe : stripes) {
            stripe.failAll(error);
        }
    }

    /**
     * Forgets the futures that completed, and fails those whose deadline is before {@code now}
     * with a fresh {@code timeout}.
     */
    void sweep(long now, Supplier<? extends Throwable> timeout) {
        for (Stripe stripe : stripes) {
            stripe.sweep(now, timeout);
        }
    }

    /** Futures kept, completed or not (for tests). */
    int size() {
        int size = 0;
        for (Stripe stripe : stripes) {
            synchronized (stripe) {
                size += stripe.size;
            }
        }
        return size;
    }

    private static final class Stripe {
        private CompletableFuture<?>[] futures = new CompletableFuture<?>[INITIAL];
        private long[] deadlines = new long[INITIAL];
        private int size;

        synchronized void add(CompletableFuture<?> future, long deadline) {
            if (size == futures.length) {
                compact(System.nanoTime(), null);
                if (size * 2 > futures.length) {
                    futures = Arrays.copyOf(futures, futures.length * 2);
                    deadlines = Arrays.copyOf(deadlines, deadlines.length * 2);
                }
            }
            futures[size] = future;
            deadlines[size] = deadline;
            size++;
        }

        void failAll(Supplier<? extends Throwable> error) {
            CompletableFuture<?>[] taken;
            int n;
            synchronized (this) {
                taken = futures;
                n = size;
                futures = new CompletableFuture<?>[INITIAL];
                deadlines = new long[INITIAL];
                size = 0;
            }
            for (int i = 0; i < n; i++) {
                if (!taken[i].isDone()) {
                    taken[i].completeExceptionally(error.get());
                }
            }
        }

        void sweep(long now, Supplier<? extends Throwable> timeout) {
            CompletableFuture<?>[] expired;
            synchronized (this) {
                expired = compact(now, timeout);
            }
            if (expired != null) {
                for (CompletableFuture<?> future : expired) {
                    if (future != null) {
                        future.completeExceptionally(timeout.get());
                    }
                }
            }
        }

        /** Drops the completed futures (and, with {@code timeout}, those past their deadline, returned). */
        private CompletableFuture<?>[] compact(long now, Supplier<? extends Throwable> timeout) {
            CompletableFuture<?>[] expired = null;
            int kept = 0;
            int late = 0;
            for (int i = 0; i < size; i++) {
                CompletableFuture<?> future = futures[i];
                if (future.isDone()) {
                    continue;
                }
                long deadline = deadlines[i];
                if (timeout != null && deadline != NO_DEADLINE && deadline - now < 0) {
                    if (expired == null) {
                        expired = new CompletableFuture<?>[size - i];
                    }
                    expired[late++] = future;
                    continue;
                }
                futures[kept] = future;
                deadlines[kept] = deadline;
                kept++;
            }
            Arrays.fill(futures, kept, size, null);
            size = kept;
            return expired;
        }
    }
}
