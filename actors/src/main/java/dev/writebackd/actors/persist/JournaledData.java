package dev.writebackd.actors.persist;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * One file's {@code journaled} data (DESIGN "Durability per write"): the bytes of journaled writes,
 * and the truncates ordered among them, persisted before the write is answered and kept until the
 * engine {@linkplain Trim trims} them, once they are written back, flushed and their mapping
 * committed. Event-sourced, one per file, persistence id {@code journaled|<deviceId>:<inode>}.
 *
 * <p>Every change gets the next sequence number of the file ({@code seq}, from 1). An
 * {@link Append} persists its changes together ({@code persistAll}): one {@link DataJournaled}
 * event per chunk of at most {@link #MAX_CHUNK_BYTES} bytes (the caller chunks), one
 * {@link SizeJournaled} per truncate. A {@link Trim} drops every change up to a sequence number —
 * only ever a prefix — with one {@link DataTrimmed} event; what is not trimmed is what the next
 * start replays into the page cache, in sequence order, so later changes win.
 *
 * <p>Events leave the journal as a prefix too: the state (the untrimmed changes with their bytes)
 * is snapshotted every {@code writebackd.persistence.snapshot-every} events, and each snapshot
 * deletes the events of the snapshot before it (retention with delete-events-on-snapshot, one
 * snapshot kept). A snapshot therefore holds the untrimmed bytes; trimming keeps it small.
 *
 * <p>A change that is not valid (a negative offset or size, an empty or too large chunk) refuses the
 * whole {@link Append} with EINVAL and persists nothing; a trim beyond the last sequence number is
 * refused the same way. Failures are answered as {@link StatusReply#error(Throwable)} with a
 * {@link FileError}. Back-pressure: the caller keeps at most a few commands outstanding per file
 * (the engine keeps one append and one trim), far below the stash capacity.
 *
 * <p>What this promises: an acknowledged {@link Append} is in the journal database, which with
 * H2's {@code WRITE_DELAY=0} survives a killed process; it reaches the disk for a power loss of
 * the host only with the next {@link JournalSync#force()} (fsync, sync, shutdown), not per append.
 *
 * <p>The state is copied on every event (O(untrimmed changes)), which trimming keeps short.
 */
public final class JournaledData
        extends ConfiguredEntity<JournaledData.Command, JournaledData.Event, JournaledData.State> {

    /** The largest chunk of data one event carries: larger writes are split by the caller. */
    public static final int MAX_CHUNK_BYTES = 256 * 1024;

    /** Commands the file's journaled data accepts. */
    public sealed interface Command extends CborSerializable {}

    /** Persist {@code changes}, in order; answers their sequence numbers. */
    public record Append(List<Change> changes, ActorRef<StatusReply<Appended>> replyTo) implements Command {
        /** Copies the list. */
        public Append {
            changes = List.copyOf(changes);
            requireNonNull(replyTo, "replyTo");
        }
    }

    /** Drop every change up to and including sequence number {@code upToSeq}; answers the new state's bounds. */
    public record Trim(long upToSeq, ActorRef<StatusReply<Trimmed>> replyTo) implements Command {}

    /** Drop every change (the file was deleted). */
    public record Discard(ActorRef<StatusReply<Trimmed>> replyTo) implements Command {}

    /** Answer the state. */
    public record Get(ActorRef<State> replyTo) implements Command {}

    /** What a change does. */
    public enum Kind {
        /** Bytes written at an offset. */
        WRITE,
        /** The file's size set (its {@code offset} is the size). */
        TRUNCATE
    }

    /**
     * One change of the file: a write of {@code bytes} at {@code offset}, or a truncate to size
     * {@code offset} ({@code bytes} empty). The bytes are not copied: the caller hands them over.
     */
    public record Change(Kind kind, long offset, byte[] bytes) implements CborSerializable {
        /** Validates the kind and bytes' presence. */
        public Change {
            requireNonNull(kind, "kind");
            requireNonNull(bytes, "bytes");
        }

        /** Equal when kind, offset and the bytes' contents are. */
        @Override
        public boolean equals(Object other) {
            return other instanceof Change c && c.kind == kind && c.offset == offset && Arrays.equals(c.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return Objects.hash(kind, offset, Arrays.hashCode(bytes));
        }

        @Override
        public String toString() {
            return kind == Kind.WRITE ? "write " + bytes.length + " bytes at " + offset : "truncate to " + offset;
        }

        /** A write of {@code bytes} at {@code offset}. */
        public static Change write(long offset, byte[] bytes) {
            return new Change(Kind.WRITE, offset, bytes);
        }

        /** A truncate to {@code size} bytes. */
        public static Change truncate(long size) {
            return new Change(Kind.TRUNCATE, size, new byte[0]);
        }

        /** Why this change may not be journaled, or {@code null}. */
        String problem() {
            if (offset < 0) {
                return "negative " + (kind == Kind.WRITE ? "offset " : "size ") + offset;
            }
            if (kind == Kind.TRUNCATE) {
                return bytes.length == 0 ? null : "a truncate carries no bytes";
            }
            if (bytes.length == 0 || bytes.length > MAX_CHUNK_BYTES) {
                return "a chunk of " + bytes.length + " bytes (allowed 1 to " + MAX_CHUNK_BYTES + ")";
            }
            if (offset > Long.MAX_VALUE - bytes.length) {
                return "offset " + offset + " + " + bytes.length + " overflows";
            }
            return null;
        }
    }

    /** Answer to {@link Append}: the changes got sequence numbers {@code firstSeq} to {@code lastSeq}. */
    public record Appended(long firstSeq, long lastSeq) implements CborSerializable {}

    /** Answer to {@link Trim} and {@link Discard}: everything up to {@code trimmedUpTo} is gone. */
    public record Trimmed(long trimmedUpTo, int untrimmed) implements CborSerializable {}

    /** What happened to the file's journaled data. */
    public sealed interface Event extends CborSerializable {}

    /** {@code bytes} were written at {@code offset}, change number {@code seq}. */
    public record DataJournaled(long seq, long offset, byte[] bytes) implements Event {
        /** Equal when the sequence number, the offset and the bytes' contents are. */
        @Override
        public boolean equals(Object other) {
            return other instanceof DataJournaled d && d.seq == seq && d.offset == offset && Arrays.equals(d.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return Objects.hash(seq, offset, Arrays.hashCode(bytes));
        }

        @Override
        public String toString() {
            return "DataJournaled[seq=" + seq + ", offset=" + offset + ", " + bytes.length + " bytes]";
        }
    }

    /** The file was truncated to {@code size}, change number {@code seq}. */
    public record SizeJournaled(long seq, long size) implements Event {}

    /** Every change up to {@code upToSeq} was dropped. */
    public record DataTrimmed(long upToSeq) implements Event {}

    /** A change kept until it is trimmed: its sequence number and what it does. */
    public record Entry(long seq, Change change) implements CborSerializable {}

    /**
     * The file's untrimmed changes.
     *
     * @param lastSeq the sequence number of the last change journaled (0 before any)
     * @param trimmedUpTo every change up to this one was trimmed
     * @param entries the untrimmed changes, by sequence number; unmodifiable
     */
    public record State(long lastSeq, long trimmedUpTo, List<Entry> entries) implements CborSerializable {
        /** Copies the list. */
        public State {
            entries = List.copyOf(entries);
        }

        static State empty() {
            return new State(0, 0, List.of());
        }

        /** The bytes the untrimmed writes carry. */
        public long bytes() {
            return entries.stream().mapToLong(e -> e.change().bytes().length).sum();
        }

        State journaled(DataJournaled event) {
            return add(new Entry(event.seq(), Change.write(event.offset(), event.bytes())));
        }

        State sized(SizeJournaled event) {
            return add(new Entry(event.seq(), Change.truncate(event.size())));
        }

        State trimmed(DataTrimmed event) {
            List<Entry> kept = entries.stream().filter(e -> e.seq() > event.upToSeq()).toList();
            return new State(lastSeq, Math.max(trimmedUpTo, event.upToSeq()), kept);
        }

        private State add(Entry entry) {
            List<Entry> more = new ArrayList<>(entries.size() + 1);
            more.addAll(entries);
            more.add(entry);
            return new State(Math.max(lastSeq, entry.seq()), trimmedUpTo, more);
        }
    }

    private final int snapshotEvery;

    private JournaledData(String deviceId, long inode, PersistenceSettings settings) {
        super(persistenceId(deviceId, inode), settings);
        this.snapshotEvery = settings.snapshotEvery();
    }

    /** The journaled data of file {@code inode} of device {@code deviceId}. */
    public static Behavior<Command> create(String deviceId, long inode, PersistenceSettings settings) {
        requireNonNull(deviceId, "deviceId");
        requireNonNull(settings, "settings");
        persistenceId(deviceId, inode);
        return Behaviors.setup(context -> new JournaledData(deviceId, inode, settings));
    }

    /** {@code journaled|<deviceId>:<inode>}; the inode is not negative. */
    public static PersistenceId persistenceId(String deviceId, long inode) {
        if (inode < 0) {
            throw new IllegalArgumentException("inode " + inode);
        }
        return PersistenceId.of("journaled", deviceId + ":" + inode);
    }

    /** Snapshots every {@code snapshot-every} events, keeping one, and deletes the events before the previous one. */
    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(snapshotEvery, 1).withDeleteEventsOnSnapshot();
    }

    @Override
    public State emptyState() {
        return State.empty();
    }

    @Override
    public CommandHandlerWithReply<Command, Event, State> commandHandler() {
        return newCommandHandlerWithReplyBuilder()
                .forAnyState()
                .onCommand(Append.class, this::onAppend)
                .onCommand(Trim.class, this::onTrim)
                .onCommand(Discard.class, this::onDiscard)
                .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), state))
                .build();
    }

    private ReplyEffect<Event, State> onAppend(State state, Append command) {
        if (command.changes().isEmpty()) {
            return refuse(command.replyTo(), "nothing to journal");
        }
        List<Event> events = new ArrayList<>(command.changes().size());
        long seq = state.lastSeq();
        for (Change change : command.changes()) {
            String problem = change.problem();
            if (problem != null) {
                return refuse(command.replyTo(), problem);
            }
            seq++;
            events.add(change.kind() == Kind.WRITE ? new DataJournaled(seq, change.offset(), change.bytes())
                    : new SizeJournaled(seq, change.offset()));
        }
        Appended appended = new Appended(state.lastSeq() + 1, seq);
        return Effect().persist(events).thenReply(command.replyTo(), after -> StatusReply.success(appended));
    }

    private ReplyEffect<Event, State> onTrim(State state, Trim command) {
        if (command.upToSeq() > state.lastSeq() || command.upToSeq() < 0) {
            return refuse(command.replyTo(), "cannot trim up to change " + command.upToSeq() + ": the last is "
                    + state.lastSeq());
        }
        return trim(state, command.upToSeq(), command.replyTo());
    }

    private ReplyEffect<Event, State> onDiscard(State state, Discard command) {
        return trim(state, state.lastSeq(), command.replyTo());
    }

    private ReplyEffect<Event, State> trim(State state, long upToSeq, ActorRef<StatusReply<Trimmed>> replyTo) {
        if (upToSeq <= state.trimmedUpTo()) {
            return Effect().reply(replyTo, StatusReply.success(trimmed(state)));
        }
        return Effect().persist(new DataTrimmed(upToSeq)).thenReply(replyTo, after -> StatusReply.success(trimmed(after)));
    }

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder()
                .forAnyState()
                .onEvent(DataJournaled.class, State::journaled)
                .onEvent(SizeJournaled.class, State::sized)
                .onEvent(DataTrimmed.class, State::trimmed)
                .build();
    }

    private <T> ReplyEffect<Event, State> refuse(ActorRef<StatusReply<T>> replyTo, String why) {
        return Effect().reply(replyTo, StatusReply.error(new FileError(Errno.EINVAL, "refused: " + why)));
    }

    private static Trimmed trimmed(State state) {
        return new Trimmed(state.trimmedUpTo(), state.entries().size());
    }
}
