package dev.writebackd.block.fault;

/**
 * Where a stall rule's bios wait: {@link #release()} lets the bios waiting now go (later ones wait
 * again); {@link #open()} lets every bio through for good (the rule was removed or the device closed).
 * Thread-safe.
 */
final class StallGate {
    private long generation;
    private int waiting;
    private boolean open;

    /** Waits until released or opened; an interrupt ends the wait too (the flag is kept). */
    synchronized void await() {
        long mine = generation;
        waiting++;
        try {
            while (!open && generation == mine) {
                wait();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            waiting--;
        }
    }

    /** Lets the bios waiting now go; answers how many. */
    synchronized int release() {
        int released = waiting;
        generation++;
        notifyAll();
        return released;
    }

    /** Lets every bio through, now and later. */
    synchronized void open() {
        open = true;
        notifyAll();
    }

    /** Bios waiting now. */
    synchronized int waiting() {
        return waiting;
    }
}
