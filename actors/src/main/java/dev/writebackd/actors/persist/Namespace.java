package dev.writebackd.actors.persist;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * The names of one device's files: name → inode number, and the next inode number to hand out.
 * Event-sourced, one per device, persistence id {@code namespace|<deviceId>} (Pekko's entity-type
 * form, as Cluster Sharding will use it). Inode numbers start
 * at 1 and are never reused, so a handle to an unlinked file can never reach a newer one.
 *
 * <p>Names follow {@link FileNames}; an invalid name is answered with EINVAL or ENAMETOOLONG and
 * nothing is persisted. Failures are answered as {@link StatusReply#error(Throwable)} with a
 * {@link FileError} (an {@link ErrnoException}), so {@code AskPattern.askWithStatus} fails with it.
 *
 * <p><b>Back-pressure.</b> While an event is being persisted the entity stashes the commands that
 * reach it, at most {@link PersistenceSettings#stashCapacity()}; more would be dropped. Callers
 * therefore ask with at most {@link PersistenceSettings#maxOutstandingCommands()} requests
 * outstanding and send the next only as answers arrive; the two are checked against each other
 * when the settings are built.
 *
 * <p>The state is copied on every change (O(names) per event): cheap for the thousands of names a
 * device holds in the engine's workloads, and what keeps snapshots, which are serialized after the
 * entity has moved on, consistent.
 */
public final class Namespace
        extends ConfiguredEntity<Namespace.Command, Namespace.Event, Namespace.State> {

    /** Commands the namespace accepts. */
    public sealed interface Command extends CborSerializable {}

    /** Create {@code name}, or answer its inode if it exists (open with O_CREAT, without O_EXCL). */
    public record Create(String name, ActorRef<StatusReply<Created>> replyTo) implements Command {}

    /** Answer the inode of {@code name}; ENOENT if absent. */
    public record Lookup(String name, ActorRef<StatusReply<Entry>> replyTo) implements Command {}

    /** Remove {@code name}; answers the inode it named. ENOENT if absent. */
    public record Unlink(String name, ActorRef<StatusReply<Entry>> replyTo) implements Command {}

    /**
     * Rename {@code from} to {@code to}, replacing {@code to} if it exists, like rename(2). ENOENT
     * if {@code from} is absent; renaming a name to itself changes nothing.
     */
    public record Rename(String from, String to, ActorRef<StatusReply<Renamed>> replyTo) implements Command {}

    /** Answer every name with its inode, sorted by name. */
    public record List(ActorRef<Listing> replyTo) implements Command {}

    /** Answer to {@link Create}: {@code created} is false when the name already existed. */
    public record Created(String name, long inode, boolean created) implements CborSerializable {}

    /** A name and the inode it names (answer to {@link Lookup} and {@link Unlink}). */
    public record Entry(String name, long inode) implements CborSerializable {}

    /**
     * Answer to {@link Rename}: {@code replaced} is the inode that {@code to} named before, now
     * nameless, whose blocks the engine frees.
     */
    public record Renamed(String from, String to, long inode, OptionalLong replaced) implements CborSerializable {}

    /** Answer to {@link List}. */
    public record Listing(SortedMap<String, Long> entries) implements CborSerializable {}

    /** What happened to the namespace. */
    public sealed interface Event extends CborSerializable {}

    /** {@code name} was created as {@code inode}. */
    public record FileCreated(String name, long inode) implements Event {}

    /** {@code name}, which named {@code inode}, was removed. */
    public record FileUnlinked(String name, long inode) implements Event {}

    /** {@code from} was renamed to {@code to}; {@code replaced} is the inode {@code to} named before. */
    public record FileRenamed(String from, String to, long inode, OptionalLong replaced) implements Event {}

    /**
     * The namespace: an unmodifiable map of names to inodes and the next inode number.
     *
     * @param inodes name → inode
     * @param nextInode the inode number the next created file gets
     */
    public record State(Map<String, Long> inodes, long nextInode) implements CborSerializable {
        /** Wraps {@code inodes} unmodifiable (without copying: transitions hand over a fresh map). */
        public State {
            inodes = Collections.unmodifiableMap(requireNonNull(inodes, "inodes"));
        }

        static State empty() {
            return new State(Map.of(), 1);
        }

        Optional<Long> inodeOf(String name) {
            return Optional.ofNullable(inodes.get(name));
        }

        State created(FileCreated event) {
            Map<String, Long> next = new HashMap<>(inodes);
            next.put(event.name(), event.inode());
            return new State(next, Math.max(nextInode, event.inode() + 1));
        }

        State unlinked(FileUnlinked event) {
            Map<String, Long> next = new HashMap<>(inodes);
            next.remove(event.name());
            return new State(next, nextInode);
        }

        State renamed(FileRenamed event) {
            Map<String, Long> next = new HashMap<>(inodes);
            next.remove(event.from());
            next.put(event.to(), event.inode());
            return new State(next, nextInode);
        }
    }

    private Namespace(String deviceId, PersistenceSettings settings) {
        super(persistenceId(deviceId), settings);
    }

    /** The namespace of device {@code deviceId}, with snapshots and restarts per {@code settings}. */
    public static Behavior<Command> create(String deviceId, PersistenceSettings settings) {
        requireNonNull(deviceId, "deviceId");
        requireNonNull(settings, "settings");
        return Behaviors.setup(context -> new Namespace(deviceId, settings));
    }

    /** {@code namespace|<deviceId>}; the device id must not contain '|'. */
    public static PersistenceId persistenceId(String deviceId) {
        return PersistenceId.of("namespace", deviceId);
    }

    @Override
    public State emptyState() {
        return State.empty();
    }

    @Override
    public CommandHandlerWithReply<Command, Event, State> commandHandler() {
        return newCommandHandlerWithReplyBuilder()
                .forAnyState()
                .onCommand(Create.class, this::onCreate)
                .onCommand(Lookup.class, this::onLookup)
                .onCommand(Unlink.class, this::onUnlink)
                .onCommand(Rename.class, this::onRename)
                .onCommand(List.class, this::onList)
                .build();
    }

    private ReplyEffect<Event, State> onCreate(State state, Create command) {
        Optional<FileError> invalid = FileNames.problem(command.name());
        if (invalid.isPresent()) {
            return Effect().reply(command.replyTo(), StatusReply.error(invalid.get()));
        }
        Optional<Long> existing = state.inodeOf(command.name());
        if (existing.isPresent()) {
            return Effect().reply(command.replyTo(),
                    StatusReply.success(new Created(command.name(), existing.get(), false)));
        }
        FileCreated event = new FileCreated(command.name(), state.nextInode());
        return Effect().persist(event).thenReply(command.replyTo(),
                after -> StatusReply.success(new Created(event.name(), event.inode(), true)));
    }

    private ReplyEffect<Event, State> onLookup(State state, Lookup command) {
        Optional<FileError> invalid = FileNames.problem(command.name());
        if (invalid.isPresent()) {
            return Effect().reply(command.replyTo(), StatusReply.error(invalid.get()));
        }
        return Effect().reply(command.replyTo(), state.inodeOf(command.name())
                .map(inode -> StatusReply.success(new Entry(command.name(), inode)))
                .orElseGet(() -> StatusReply.error(noSuchFile(command.name()))));
    }

    private ReplyEffect<Event, State> onUnlink(State state, Unlink command) {
        Optional<FileError> invalid = FileNames.problem(command.name());
        if (invalid.isPresent()) {
            return Effect().reply(command.replyTo(), StatusReply.error(invalid.get()));
        }
        Optional<Long> inode = state.inodeOf(command.name());
        if (inode.isEmpty()) {
            return Effect().reply(command.replyTo(), StatusReply.error(noSuchFile(command.name())));
        }
        FileUnlinked event = new FileUnlinked(command.name(), inode.get());
        return Effect().persist(event).thenReply(command.replyTo(),
                after -> StatusReply.success(new Entry(event.name(), event.inode())));
    }

    private ReplyEffect<Event, State> onRename(State state, Rename command) {
        Optional<FileError> invalid = FileNames.problem(command.from()).or(() -> FileNames.problem(command.to()));
        if (invalid.isPresent()) {
            return Effect().reply(command.replyTo(), StatusReply.error(invalid.get()));
        }
        Optional<Long> inode = state.inodeOf(command.from());
        if (inode.isEmpty()) {
            return Effect().reply(command.replyTo(), StatusReply.error(noSuchFile(command.from())));
        }
        if (command.from().equals(command.to())) {
            return Effect().reply(command.replyTo(),
                    StatusReply.success(new Renamed(command.from(), command.to(), inode.get(), OptionalLong.empty())));
        }
        OptionalLong replaced = state.inodeOf(command.to()).map(OptionalLong::of).orElseGet(OptionalLong::empty);
        FileRenamed event = new FileRenamed(command.from(), command.to(), inode.get(), replaced);
        return Effect().persist(event).thenReply(command.replyTo(),
                after -> StatusReply.success(new Renamed(event.from(), event.to(), event.inode(), event.replaced())));
    }

    private ReplyEffect<Event, State> onList(State state, List command) {
        return Effect().reply(command.replyTo(), new Listing(Collections.unmodifiableSortedMap(new TreeMap<>(state.inodes()))));
    }

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder()
                .forAnyState()
                .onEvent(FileCreated.class, State::created)
                .onEvent(FileUnlinked.class, State::unlinked)
                .onEvent(FileRenamed.class, State::renamed)
                .build();
    }

    private static FileError noSuchFile(String name) {
        return new FileError(Errno.ENOENT, "no such file: " + name);
    }
}
