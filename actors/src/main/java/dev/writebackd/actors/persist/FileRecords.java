package dev.writebackd.actors.persist;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The {@link FileRecord}s of one device, each started on its first message: what makes a record
 * reachable by inode from any thread (a committer completing futures, the start-up code). The
 * single-node stand-in for a Cluster Sharding region, whose envelope replaces {@link Deliver}
 * across nodes; its messages stay local and are not serialized.
 */
public final class FileRecords extends InodeEntities<FileRecords.Command, FileRecord.Command> {

    /** Messages of the device's records. */
    public sealed interface Command {}

    /** Hand {@code command} to the record of {@code inode}, starting it if it is not running. */
    public record Deliver(long inode, FileRecord.Command command) implements Command {
        /** Checks the message here, at the sender, so that a bad one never stops the records. */
        public Deliver {
            if (inode < 0) {
                throw new IllegalArgumentException("inode " + inode);
            }
            requireNonNull(command, "command");
        }
    }

    private record RecordStopped(long inode) implements Command {}

    private final String deviceId;
    private final PersistenceSettings settings;

    private FileRecords(ActorContext<Command> context, String deviceId, PersistenceSettings settings) {
        super(context, "inode-", RecordStopped::new);
        this.deviceId = deviceId;
        this.settings = settings;
    }

    /** The records of device {@code deviceId}, each snapshotting and restarting per {@code settings}. */
    public static Behavior<Command> create(String deviceId, PersistenceSettings settings) {
        requireNonNull(deviceId, "deviceId");
        requireNonNull(settings, "settings");
        FileRecord.persistenceId(deviceId, 0);
        return Behaviors.setup(context -> new FileRecords(context, deviceId, settings));
    }

    /**
     * Reads the committed state of every file in {@code inodes}, one {@link FileRecord.Get} per
     * record (so at most one outstanding command per record), for the start-up rebuild.
     *
     * @return inode → state, sorted by inode; fails when any record does not answer in time
     */
    public static CompletionStage<Map<Long, FileRecord.State>> readAll(
            ActorRef<Command> records, Collection<Long> inodes, Duration timeout, Scheduler scheduler) {
        requireNonNull(records, "records");
        requireNonNull(timeout, "timeout");
        requireNonNull(scheduler, "scheduler");
        Map<Long, CompletableFuture<FileRecord.State>> asks = new TreeMap<>();
        for (long inode : inodes) {
            asks.put(inode, AskPattern.<Command, FileRecord.State>ask(records,
                    replyTo -> new Deliver(inode, new FileRecord.Get(replyTo)), timeout, scheduler)
                    .toCompletableFuture());
        }
        return CompletableFuture.allOf(asks.values().toArray(CompletableFuture[]::new)).thenApply(done -> {
            Map<Long, FileRecord.State> states = new TreeMap<>();
            asks.forEach((inode, ask) -> states.put(inode, ask.join()));
            return states;
        });
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Deliver.class, deliver -> deliver(deliver.inode(), deliver.command()))
                .onMessage(RecordStopped.class, stopped -> onEntityStopped(stopped.inode()))
                .build();
    }

    @Override
    Behavior<FileRecord.Command> entity(long inode) {
        return FileRecord.create(deviceId, inode, settings);
    }
}
