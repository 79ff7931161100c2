package dev.writebackd.actors.persist;

import static java.util.Objects.requireNonNull;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The {@link JournaledData} entities of one device, each started on its first message, like
 * {@link FileRecords} for the file records: what makes a file's journaled data reachable by inode
 * from any thread. Its messages stay local and are not serialized.
 */
public final class JournaledFiles extends InodeEntities<JournaledFiles.Command, JournaledData.Command> {

    /** Messages of the device's journaled data. */
    public sealed interface Command {}

    /** Hand {@code command} to the journaled data of {@code inode}, starting it if it is not running. */
    public record Deliver(long inode, JournaledData.Command command) implements Command {
        /** Checks the message here, at the sender, so that a bad one never stops the entities. */
        public Deliver {
            if (inode < 0) {
                throw new IllegalArgumentException("inode " + inode);
            }
            requireNonNull(command, "command");
        }
    }

    private record EntityStopped(long inode) implements Command {}

    private final String deviceId;
    private final PersistenceSettings settings;

    private JournaledFiles(ActorContext<Command> context, String deviceId, PersistenceSettings settings) {
        super(context, "journaled-", EntityStopped::new);
        this.deviceId = deviceId;
        this.settings = settings;
    }

    /** The journaled data of device {@code deviceId}'s files, each snapshotting and restarting per {@code settings}. */
    public static Behavior<Command> create(String deviceId, PersistenceSettings settings) {
        requireNonNull(deviceId, "deviceId");
        requireNonNull(settings, "settings");
        JournaledData.persistenceId(deviceId, 0);
        return Behaviors.setup(context -> new JournaledFiles(context, deviceId, settings));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Deliver.class, deliver -> deliver(deliver.inode(), deliver.command()))
                .onMessage(EntityStopped.class, stopped -> onEntityStopped(stopped.inode()))
                .build();
    }

    @Override
    Behavior<JournaledData.Command> entity(long inode) {
        return JournaledData.create(deviceId, inode, settings);
    }
}
