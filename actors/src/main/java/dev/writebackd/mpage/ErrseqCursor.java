package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;

/**
 * One handle's position in an {@link Errseq}: sampled when the handle is opened, advanced by each
 * fsync (or syncfs) check, so the handle reports every error once (E4). A handle keeps one cursor
 * on its file's errseq and one on its device's.
 *
 * <p>Mutable and <b>not thread-safe</b>: owned by the one actor that owns the handle (the
 * InodeActor). The {@link Errseq} it reads is thread-safe and shared.
 */
public final class ErrseqCursor {

    private final Errseq errseq;
    private long since;

    private ErrseqCursor(Errseq errseq, long since) {
        this.errseq = errseq;
        this.since = since;
    }

    /** A cursor for a handle opened now (errseq_sample). */
    public static ErrseqCursor open(Errseq errseq) {
        requireNonNull(errseq, "errseq");
        return new ErrseqCursor(errseq, errseq.sample());
    }

    /** A cursor resumed at a {@code since} recorded earlier. */
    public static ErrseqCursor at(Errseq errseq, long since) {
        return new ErrseqCursor(requireNonNull(errseq, "errseq"), since);
    }

    /**
     * Checks and advances (file_check_and_advance_wb_err): the error that happened since this
     * cursor's previous check or its opening, or {@code null} if none; each error is returned once.
     */
    public Errno checkAndAdvance() {
        Errseq.Check check = errseq.checkAndAdvance(since);
        since = check.since();
        return check.error();
    }

    /** The value this cursor compares against. */
    public long since() {
        return since;
    }

    /** The sequence this cursor follows. */
    public Errseq errseq() {
        return errseq;
    }

    @Override
    public String toString() {
        return "ErrseqCursor[since=" + since + " of " + errseq + "]";
    }
}
