package dev.writebackd.actors.engine;

import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * When an idle {@link InodeActor} stops to free its memory, for the actor: a file with no open
 * handle, nothing dirty, under writeback, held or waiting for a retry, and no work pending, that
 * stays so for the idle timeout, asks its parent (the engine's guardian) to let it go. The parent
 * agrees only if no {@code OpenHandle} is on its way (every address it handed out for the file has
 * been used: {@link #opens()}), and from then on sends new opens to a fresh actor, once this one
 * has stopped. The actor stops as soon as it is idle again after the answer, dropping its clean
 * pages; the file's size and mapping live in the layout, so the next actor restores them.
 * Single-threaded (the actor's).
 */
final class Passivation {
    private static final Object TIMER = "idle";

    private final InodeFile file;
    private final Duration idleTimeout;
    private final ActorRef<InodeActor.Idle> parent;
    private long opens;
    private boolean timing;
    private boolean asked;
    private boolean approved;

    /**
     * @param idleTimeout how long the file stays idle before it stops; zero: never
     * @param parent who decides, or {@code null}: never
     */
    Passivation(InodeFile file, Duration idleTimeout, ActorRef<InodeActor.Idle> parent) {
        this.file = file;
        this.idleTimeout = idleTimeout;
        this.parent = parent;
    }

    /** A handle was opened. */
    void opened() {
        opens++;
    }

    /** Handles opened since the actor started: the parent compares it with the addresses it handed out. */
    long opens() {
        return opens;
    }

    /** After every message: starts the idle timer when the file turns idle, cancels it when it does not stay so. */
    void afterMessage() {
        if (parent == null || idleTimeout.isZero() || asked) {
            return;
        }
        boolean idle = idle();
        if (idle && !timing) {
            timing = true;
            file.timers.startSingleTimer(TIMER, InodeActor.IdleTimeout.INSTANCE, idleTimeout);
        } else if (!idle && timing) {
            timing = false;
            file.timers.cancel(TIMER);
        }
    }

    /** The idle timer fired: asks the parent if the file is still idle. */
    void timedOut() {
        timing = false;
        if (!asked && idle()) {
            asked = true;
            parent.tell(new InodeActor.Idle(file.inode, file.context.getSelf(), opens));
        }
    }

    /** The parent's answer. */
    void answered(boolean yes) {
        approved = yes;
        asked = yes; // refused: the file may ask again after another idle timeout
    }

    /** Whether the actor should stop now: approved, and idle. */
    boolean readyToStop() {
        return approved && idle();
    }

    /** Frees the file's pages and leaves the device's shared objects: the actor stops next. */
    void release() {
        file.stopping = true;
        for (long page = file.cache.next(0, Long.MAX_VALUE, 0); page >= 0;
                page = file.cache.next(page + 1, Long.MAX_VALUE, 0)) {
            file.cache.remove(page);
        }
        file.ages.clear();
        file.device.cacheBudget().unregister(file.inode);
        file.device.completions().tell(new CompletionActor.Unregister(file.inode));
        if (file.dirtyReported) {
            file.device.coordinator().tell(new Flushing.InodeClean(file.inode));
        }
    }

    /** No handle, nothing not clean, no work pending or in flight. */
    private boolean idle() {
        return file.handles.isEmpty() && !file.unlinked && !file.stopping
                && file.cache.dirtyPages() == 0 && file.cache.writebackPages() == 0
                && file.failedPages.held() == 0 && file.failedPages.retrying() == 0
                && !file.ops.busy() && !file.ops.truncating() && !file.passes.running() && !file.passes.queued()
                && file.waits.inFlight() == 0 && file.syncs.idle() && file.throttle.waiting() == 0
                && file.durability.idle() && !file.reads.anyBeingRead() && file.io.idle() && file.stash.isEmpty();
    }
}
