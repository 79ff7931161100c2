package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import java.util.function.Consumer;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;

/**
 * A stash that keeps callers' commands in order: a command that must wait is stashed, and so is
 * every command that arrives after it, until the stash is replayed. During a replay a command that
 * must wait again goes back to the stash, and everything replayed after it follows it there, so
 * the order survives any number of replays.
 *
 * <p>Mutable, single-threaded: owned by one actor, used only from its message handlers.
 *
 * @param <T> the actor's command type
 */
final class OrderedStash<T> {
    private final StashBuffer<T> stash;
    private final String owner;
    private boolean replayWanted;
    private boolean replaying;
    private boolean restashing;

    OrderedStash(StashBuffer<T> stash, String owner) {
        this.stash = requireNonNull(stash, "stash");
        this.owner = requireNonNull(owner, "owner");
    }

    /**
     * Stashes {@code command} if it is {@code blocked} or commands before it wait.
     *
     * @return {@code true} if it was stashed: the caller handles it later, in its replay
     * @throws IllegalStateException if the stash is full
     */
    boolean defer(T command, boolean blocked) {
        if (!mustDefer(blocked)) {
            return false;
        }
        if (stash.isFull()) {
            throw new IllegalStateException(owner + " has " + stash.capacity() + " commands waiting");
        }
        stash.stash(command);
        restashing |= replaying;
        return true;
    }

    /** Whether no command is stashed. */
    /** Whether {@link #defer} would stash a command now, with the same {@code blocked}. */
    boolean mustDefer(boolean blocked) {
        return blocked || restashing || !(replaying || stash.isEmpty());
    }

    boolean isEmpty() {
        return stash.isEmpty();
    }

    /** Something that blocked commands has ended: the next {@link #replay} replays the stash. */
    void wantReplay() {
        replayWanted = true;
    }

    /** The behaviour a handler returns: {@code self} after replaying the stash, if a replay is wanted. */
    Behavior<T> replay(Behavior<T> self) {
        if (!replayWanted || replaying || stash.isEmpty()) {
            return self;
        }
        replayWanted = false;
        replaying = true;
        restashing = false;
        try {
            return stash.unstashAll(self);
        } finally {
            replaying = false;
            restashing = false;
        }
    }

    /** Hands every stashed command to {@code action} (to answer them when the owner stops). */
    void forEach(Consumer<T> action) {
        stash.forEach(action::accept);
    }
}
