package dev.writebackd.daemon.crashcheck;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.StackedDevice;
import dev.writebackd.error.Errno;

/**
 * The crash checker's power switch, a device layer between the engine and the volatile cache:
 * armed to cut at the {@code n}-th write or flush from now, it runs the cut (the cache's power
 * cut) inside that bio's submit — so the device holds exactly what it held at that instant — and
 * from then on fails every bio with EIO without passing it down, as a device without power. The
 * engine is halted soon after; nothing it does meanwhile reaches the device. Reads before the cut
 * pass and are not counted.
 *
 * <p>Thread-safe (the engine's I/O threads call {@link #submit}; the checker arms and resets).
 */
public final class CutSwitch extends StackedDevice {
    private final java.util.function.Consumer<Bio> observer;
    private Runnable cut;
    private long countdown;
    private boolean off;
    private long writesAndFlushes;

    /** A switch, on and unarmed, over {@code below}. */
    public CutSwitch(BlockDevice below) {
        this(below, null);
    }

    /** A switch over {@code below} that shows {@code observer} (if not null) each write and flush it counts. */
    public CutSwitch(BlockDevice below, java.util.function.Consumer<Bio> observer) {
        super(below);
        this.observer = observer;
    }

    /** One bio at a time: the checker runs at queue depth 1, and a cut never overlaps a bio. */
    @Override
    public synchronized Errno submit(Bio bio) {
        if (off) {
            return Errno.EIO;
        }
        if (bio.op() != BioOp.READ) {
            writesAndFlushes++;
            if (observer != null) {
                observer.accept(bio);
            }
            if (cut != null && --countdown == 0) {
                cutNow();
                return Errno.EIO;
            }
        }
        return below.submit(bio);
    }

    /**
     * Arms the switch: the {@code afterBios}-th write or flush from now does not happen; instead
     * {@code cut} runs and the power stays off.
     */
    public synchronized void arm(long afterBios, Runnable cut) {
        if (afterBios < 1) {
            throw new IllegalArgumentException("afterBios " + afterBios);
        }
        this.cut = requireNonNull(cut, "cut");
        this.countdown = afterBios;
    }

    /** Cuts now if armed and not cut yet (between two bios). */
    public synchronized void cutIfArmed() {
        if (cut != null && !off) {
            cutNow();
        }
    }

    /** Whether the power is off. */
    public synchronized boolean isOff() {
        return off;
    }

    /** Whether the switch is armed and has not cut yet. */
    public synchronized boolean isArmed() {
        return cut != null && !off;
    }

    /** Turns the power back on, unarmed, for the next engine. */
    public synchronized void reset() {
        off = false;
        cut = null;
        countdown = 0;
    }

    /** Writes and flushes that reached the switch while on, since it was made. */
    public synchronized long writesAndFlushes() {
        return writesAndFlushes;
    }

    private void cutNow() {
        off = true;
        Runnable action = cut;
        cut = null;
        action.run();
    }

    /** Closes the device below. */
    @Override
    public void close() {
        below.close();
    }
}
