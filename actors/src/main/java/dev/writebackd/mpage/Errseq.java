package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An error sequence (the kernel's {@code errseq_t}, {@code lib/errseq.c}): the latest write error
 * of a file or of a whole device, packed with a SEEN bit and a change counter into one value, so
 * that every open handle can learn of every error exactly once (E3, E4).
 *
 * <p>Layout of the 64-bit value, as in the kernel's 32-bit one but with a wider counter: bits 0–11
 * hold the errno code ({@link Errno#code()}, 0 = no error yet), bit 12 is {@link #SEEN}, bits 13–63
 * are the counter. A value of 0 means "no error ever recorded".
 *
 * <p><b>Thread-safe</b> and lock-free: one instance is shared per file (its mapping) and one per
 * device (for syncfs), and is read and updated from any actor.
 *
 * <ul>
 *   <li>{@link #set}: replaces the errno; bumps the counter only if SEEN was set (so an error nobody
 *       has seen yet is not counted twice); clears SEEN.
 *   <li>{@link #sample}: what a handle records at open: the current value if SEEN is set, else 0 —
 *       so a handle opened after an unseen error still reports it.
 *   <li>{@link #checkAndAdvance}: if the current value differs from the handle's {@code since},
 *       marks it SEEN and reports its errno with the new {@code since}; otherwise reports nothing.
 * </ul>
 * {@link ErrseqCursor} wraps the {@code since} bookkeeping for one handle.
 */
public final class Errseq {

    /** Bits that hold the errno code (the kernel's MAX_ERRNO). */
    public static final long ERRNO_MASK = 0xFFFL;
    /** Set once some handle has reported the current error. */
    public static final long SEEN = 1L << 12;
    /** One step of the counter (ERRSEQ_CTR_INC). */
    public static final long COUNTER_INCREMENT = 1L << 13;

    private static final Errno[] BY_CODE = byCode();

    private final AtomicLong value = new AtomicLong();

    /** A sequence with no error recorded (value 0). */
    public Errseq() {
    }

    /**
     * Records {@code error} (E2, E3): replaces the errno, bumps the counter if the previous error was
     * SEEN, clears SEEN. Setting the same errno again while it is still unseen changes nothing.
     *
     * @return the new value
     */
    public long set(Errno error) {
        requireNonNull(error, "error");
        long code = error.code();
        while (true) {
            long old = value.get();
            long updated = (old & ~(ERRNO_MASK | SEEN)) | code;
            if ((old & SEEN) != 0) {
                updated += COUNTER_INCREMENT;
            }
            if (updated == old || value.compareAndSet(old, updated)) {
                return updated;
            }
        }
    }

    /**
     * The value a new handle starts from (errseq_sample): the current value if its error has been
     * seen, else 0, so that an unseen error is still reported to a handle opened after it (E4).
     */
    public long sample() {
        long current = value.get();
        return (current & SEEN) != 0 ? current : 0;
    }

    /**
     * Reports what happened since {@code since} (errseq_check_and_advance): if the current value
     * differs, marks it SEEN and returns its errno and the new {@code since}; otherwise returns
     * {@code since} unchanged and no error.
     *
     * <p>Like the kernel, a single compare-and-set: if it loses against a concurrent {@link #set},
     * the returned {@code since} differs from the newer value, so the newer error is reported by the
     * next check.
     */
    public Check checkAndAdvance(long since) {
        long old = value.get();
        if (old == since) {
            return new Check(since, null);
        }
        long updated = old | SEEN;
        if (updated != old) {
            value.compareAndSet(old, updated);
        }
        return new Check(updated, errnoOf(updated));
    }

    /** The raw current value, for diagnostics and tests. */
    public long current() {
        return value.get();
    }

    /** The errno packed in {@code value}, or {@code null} if it holds none. */
    public static Errno errnoOf(long value) {
        int code = (int) (value & ERRNO_MASK);
        return code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /** The counter packed in {@code value}. */
    public static long counterOf(long value) {
        return value >>> 13;
    }

    /** Whether {@code value} carries the SEEN bit. */
    public static boolean isSeen(long value) {
        return (value & SEEN) != 0;
    }

    @Override
    public String toString() {
        long v = value.get();
        return "Errseq[" + errnoOf(v) + ", seen=" + isSeen(v) + ", counter=" + counterOf(v) + "]";
    }

    private static Errno[] byCode() {
        int max = 0;
        for (Errno e : Errno.values()) {
            if (e.code() <= 0 || e.code() > ERRNO_MASK) {
                throw new IllegalStateException(e + " does not fit in an errseq: " + e.code());
            }
            max = Math.max(max, e.code());
        }
        Errno[] table = new Errno[max + 1];
        for (Errno e : Errno.values()) {
            table[e.code()] = e;
        }
        return table;
    }

    /**
     * The outcome of {@link #checkAndAdvance}: the handle's new {@code since}, and the error to
     * report, or {@code null} if nothing happened since the previous check.
     *
     * @param since the value to pass to the next check
     * @param error the error to report now, or {@code null}
     */
    public record Check(long since, Errno error) {
        /** Whether there is an error to report. */
        public boolean hasError() {
            return error != null;
        }
    }
}
