package dev.writebackd.actors.persist;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The routing shared by a device's per-inode entities ({@link FileRecords}, {@link JournaledFiles}):
 * a command for an inode goes to that inode's entity, started as a child on its first command and
 * forgotten when it stops, so the next command starts it again.
 *
 * @param <M> the router's own messages
 * @param <C> the entities' commands
 */
abstract class InodeEntities<M, C> extends AbstractBehavior<M> {
    private final Map<Long, ActorRef<C>> running = new HashMap<>();
    private final String namePrefix;
    private final LongFunction<M> stoppedMessage;

    /**
     * A router naming its entities {@code namePrefix + inode}, told {@code stoppedMessage(inode)}
     * when one stops, which it must hand to {@link #onEntityStopped}.
     */
    InodeEntities(ActorContext<M> context, String namePrefix, LongFunction<M> stoppedMessage) {
        super(context);
        this.namePrefix = namePrefix;
        this.stoppedMessage = stoppedMessage;
    }

    /** The behaviour of the entity of {@code inode}. */
    abstract Behavior<C> entity(long inode);

    /** Hands {@code command} to the entity of {@code inode}, starting it if it is not running. */
    final Behavior<M> deliver(long inode, C command) {
        running.computeIfAbsent(inode, this::start).tell(command);
        return this;
    }

    /** Forgets the stopped entity of {@code inode}. */
    final Behavior<M> onEntityStopped(long inode) {
        running.remove(inode);
        return this;
    }

    private ActorRef<C> start(long inode) {
        ActorRef<C> entity = getContext().spawn(entity(inode), namePrefix + inode);
        getContext().watchWith(entity, stoppedMessage.apply(inode));
        return entity;
    }
}
