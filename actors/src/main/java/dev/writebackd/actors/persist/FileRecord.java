package dev.writebackd.actors.persist;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import dev.writebackd.layout.Ext2Geometry;
import dev.writebackd.layout.Ext2Mapper.InodePointers;
import dev.writebackd.layout.Extent;
import dev.writebackd.layout.MappingJournal.Batch;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * One file's committed metadata: its size and its block map, a sorted list of {@link Extent}s
 * with touching runs merged. Event-sourced, one per file, persistence id
 * {@code file|<deviceId>:<inode>} (Pekko's entity-type form, as Cluster Sharding will use it; the
 * entity id may not contain '|', so device and inode are joined by ':').
 *
 * <p>A {@link Commit} is what {@link dev.writebackd.layout.MappingJournal} drained for the file:
 * frees of runs the record maps, then new runs whose data is durable, then the size. It is
 * persisted as <em>one</em> {@link MetadataCommitted} event, whatever its number of runs: one
 * journal row per commit, never one per bio or block, applied whole or not at all on replay, and
 * with the frees-before-mappings order inside one event rather than spread over several. A commit
 * that does not fit the map (a freed block not mapped there, a mapped block already mapped, a
 * physical block used twice, a freed block reused in the same commit, a negative size) is refused
 * with EINVAL and persists nothing. Unlink is {@link Delete}: {@link FileDeleted} frees
 * everything; a deleted record answers later commits with ESTALE.
 *
 * <p>A file of the {@code ext2} layout keeps its block map on the device, in map blocks reached from
 * its inode; its record holds the inode: {@link CommitInode} persists the size and the inode
 * pointers as one {@link InodeCommitted} (the whole inode each time, so a lost or repeated commit
 * is harmless). A record holds either extents or inode pointers, never both.
 *
 * <p>Failures are answered as {@link StatusReply#error(Throwable)} with a {@link FileError}.
 * Back-pressure as in {@link Namespace}: callers keep at most
 * {@link PersistenceSettings#maxOutstandingCommands()} commands outstanding per record
 * ({@link PersistentCommitter} keeps one).
 *
 * <p>The state is copied on every commit (O(extents)); delayed allocation keeps a file's runs few
 * and long, and snapshots, serialized after the record has moved on, stay consistent.
 */
public final class FileRecord
        extends ConfiguredEntity<FileRecord.Command, FileRecord.Event, FileRecord.State> {

    /** Commands a file record accepts. */
    public sealed interface Command extends CborSerializable {}

    /**
     * Commit the file's metadata: free {@code freed}, then map {@code mapped}, then set the size.
     * Runs may come in any order. Answers the new size and block count.
     */
    public record Commit(long size, List<Extent> mapped, List<Extent> freed, ActorRef<StatusReply<Committed>> replyTo)
            implements Command {
        /** Copies the lists. */
        public Commit {
            mapped = List.copyOf(mapped);
            freed = List.copyOf(freed);
            requireNonNull(replyTo, "replyTo");
        }
    }

    /**
     * Commit an {@code ext2} file's inode: its size and its pointers (12 direct, the roots of the
     * single-, double- and triple-indirect trees). Answers the new size and the number of pointers
     * in the inode.
     */
    public record CommitInode(long size, InodePointers pointers, ActorRef<StatusReply<Committed>> replyTo)
            implements Command {
        /** Checks the message. */
        public CommitInode {
            requireNonNull(pointers, "pointers");
            requireNonNull(replyTo, "replyTo");
        }
    }

    /** Answer the committed state. */
    public record Get(ActorRef<State> replyTo) implements Command {}

    /** The file was unlinked: free every block it maps. Deleting a deleted record changes nothing. */
    public record Delete(ActorRef<StatusReply<Committed>> replyTo) implements Command {}

    /**
     * Answer to {@link Commit}, {@link CommitInode} and {@link Delete}: the committed size and
     * number of mapped blocks (for an inode, the number of its non-zero pointers).
     */
    public record Committed(long size, long blocks) implements CborSerializable {}

    /** What happened to the file's metadata. */
    public sealed interface Event extends CborSerializable {}

    /**
     * One commit: {@code freed} were removed from the map, then {@code mapped} added, and the size
     * became {@code size}. Both lists sorted by logical block.
     */
    public record MetadataCommitted(long size, List<Extent> mapped, List<Extent> freed) implements Event {}

    /** An {@code ext2} file's inode was committed: its size became {@code size}, its pointers {@code pointers}. */
    public record InodeCommitted(long size, InodePointers pointers) implements Event {}

    /** The file was deleted; {@code freed} is everything it mapped. */
    public record FileDeleted(List<Extent> freed) implements Event {}

    /**
     * The committed metadata.
     *
     * @param size the file size in bytes
     * @param extents the block map: sorted by logical block, touching runs merged, unmodifiable
     * @param deleted the file was unlinked; size and map are then empty
     * @param inode an {@code ext2} file's inode pointers, {@code null} for a file of extents
     */
    public record State(long size, List<Extent> extents, boolean deleted, InodePointers inode)
            implements CborSerializable {
        /** Copies the map. */
        public State {
            extents = List.copyOf(extents);
        }

        /** A state without inode pointers: a file of the {@code extent} layout, or a new one. */
        public State(long size, List<Extent> extents, boolean deleted) {
            this(size, extents, deleted, null);
        }

        static State empty() {
            return new State(0, List.of(), false);
        }

        State inodeCommitted(InodeCommitted event) {
            return new State(event.size(), List.of(), false, event.pointers());
        }

        /** The number of blocks mapped. */
        public long blocks() {
            return ExtentMaps.blocks(extents);
        }

        State committed(MetadataCommitted event) {
            return new State(event.size(), ExtentMaps.commit(extents, event.freed(), event.mapped()), false);
        }

        State unlinked(FileDeleted event) {
            return new State(0, List.of(), true);
        }

        /**
         * Whether this state holds {@code batch}: what a committer reads back when it does not
         * know whether its commit was persisted. A batch's new mappings were never in the record
         * before it, and its frees were all in it, so a record either shows the batch whole or not
         * at all.
         */
        boolean holds(Batch batch) {
            if (batch.deleted() || deleted) {
                return batch.deleted() && deleted;
            }
            return size == batch.size()
                    && batch.mapped().stream().allMatch(m -> ExtentMaps.maps(extents, m))
                    && batch.freed().stream().noneMatch(f -> ExtentMaps.mapsAny(extents, f));
        }
    }

    private FileRecord(String deviceId, long inode, PersistenceSettings settings) {
        super(persistenceId(deviceId, inode), settings);
    }

    /** The record of file {@code inode} of device {@code deviceId}, snapshotting and restarting per {@code settings}. */
    public static Behavior<Command> create(String deviceId, long inode, PersistenceSettings settings) {
        requireNonNull(deviceId, "deviceId");
        requireNonNull(settings, "settings");
        persistenceId(deviceId, inode);
        return Behaviors.setup(context -> new FileRecord(deviceId, inode, settings));
    }

    /** {@code file|<deviceId>:<inode>}; the device id must not contain '|', the inode is not negative. */
    public static PersistenceId persistenceId(String deviceId, long inode) {
        if (inode < 0) {
            throw new IllegalArgumentException("inode " + inode);
        }
        return PersistenceId.of("file", deviceId + ":" + inode);
    }

    @Override
    public State emptyState() {
        return State.empty();
    }

    @Override
    public CommandHandlerWithReply<Command, Event, State> commandHandler() {
        return newCommandHandlerWithReplyBuilder()
                .forAnyState()
                .onCommand(Commit.class, this::onCommit)
                .onCommand(CommitInode.class, this::onCommitInode)
                .onCommand(Get.class, this::onGet)
                .onCommand(Delete.class, this::onDelete)
                .build();
    }

    private ReplyEffect<Event, State> onCommit(State state, Commit command) {
        if (state.deleted()) {
            return Effect().reply(command.replyTo(), StatusReply.error(new FileError(Errno.ESTALE, "the file was deleted")));
        }
        if (command.size() < 0) {
            return refuse(command, "negative size " + command.size());
        }
        if (state.inode() != null) {
            return refuse(command, "the record holds inode pointers, not extents");
        }
        if (command.mapped().isEmpty() && command.freed().isEmpty() && command.size() == state.size()) {
            return Effect().reply(command.replyTo(), StatusReply.success(committed(state)));
        }
        MetadataCommitted event = new MetadataCommitted(
                command.size(), ExtentMaps.sorted(command.mapped()), ExtentMaps.sorted(command.freed()));
        try {
            state.committed(event);
        } catch (IllegalArgumentException e) {
            return refuse(command, e.getMessage());
        }
        return Effect().persist(event).thenReply(command.replyTo(), after -> StatusReply.success(committed(after)));
    }

    private ReplyEffect<Event, State> onCommitInode(State state, CommitInode command) {
        if (state.deleted()) {
            return Effect().reply(command.replyTo(), StatusReply.error(new FileError(Errno.ESTALE, "the file was deleted")));
        }
        String invalid = invalidInode(state, command);
        if (invalid != null) {
            return Effect().reply(command.replyTo(),
                    StatusReply.error(new FileError(Errno.EINVAL, "commit refused: " + invalid)));
        }
        if (command.size() == state.size() && command.pointers().equals(state.inode())) {
            return Effect().reply(command.replyTo(), StatusReply.success(committed(state)));
        }
        return Effect().persist(new InodeCommitted(command.size(), command.pointers()))
                .thenReply(command.replyTo(), after -> StatusReply.success(committed(after)));
    }

    private static String invalidInode(State state, CommitInode command) {
        if (command.size() < 0) {
            return "negative size " + command.size();
        }
        if (!state.extents().isEmpty()) {
            return "the record maps extents, not inode pointers";
        }
        InodePointers pointers = command.pointers();
        if (pointers.direct().size() != Ext2Geometry.DIRECT_BLOCKS) {
            return pointers.direct().size() + " direct pointers, not " + Ext2Geometry.DIRECT_BLOCKS;
        }
        boolean negative = pointers.direct().stream().anyMatch(p -> p == null || p < 0)
                || pointers.singleIndirect() < 0 || pointers.doubleIndirect() < 0 || pointers.tripleIndirect() < 0;
        return negative ? "a negative or missing pointer in " + pointers : null;
    }

    private ReplyEffect<Event, State> onGet(State state, Get command) {
        return Effect().reply(command.replyTo(), state);
    }

    private ReplyEffect<Event, State> onDelete(State state, Delete command) {
        if (state.deleted()) {
            return Effect().reply(command.replyTo(), StatusReply.success(committed(state)));
        }
        return Effect().persist(new FileDeleted(state.extents()))
                .thenReply(command.replyTo(), after -> StatusReply.success(committed(after)));
    }

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder()
                .forAnyState()
                .onEvent(MetadataCommitted.class, State::committed)
                .onEvent(InodeCommitted.class, State::inodeCommitted)
                .onEvent(FileDeleted.class, State::unlinked)
                .build();
    }

    private ReplyEffect<Event, State> refuse(Commit command, String why) {
        return Effect().reply(command.replyTo(), StatusReply.error(new FileError(Errno.EINVAL, "commit refused: " + why)));
    }

    private static Committed committed(State state) {
        if (state.inode() != null) {
            InodePointers p = state.inode();
            long pointers = p.direct().stream().filter(b -> b != 0).count() + (p.singleIndirect() != 0 ? 1 : 0)
                    + (p.doubleIndirect() != 0 ? 1 : 0) + (p.tripleIndirect() != 0 ? 1 : 0);
            return new Committed(state.size(), pointers);
        }
        return new Committed(state.size(), state.blocks());
    }
}
