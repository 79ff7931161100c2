package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.persist.FileRecord.Command;
import dev.writebackd.actors.persist.FileRecord.Commit;
import dev.writebackd.actors.persist.FileRecord.CommitInode;
import dev.writebackd.actors.persist.FileRecord.Committed;
import dev.writebackd.actors.persist.FileRecord.Delete;
import dev.writebackd.actors.persist.FileRecord.Event;
import dev.writebackd.actors.persist.FileRecord.FileDeleted;
import dev.writebackd.actors.persist.FileRecord.InodeCommitted;
import dev.writebackd.actors.persist.FileRecord.State;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.Ext2Mapper.InodePointers;
import dev.writebackd.layout.Extent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** An ext2 file's record: the inode (size and pointers) committed whole, recovered on restart, from events and snapshots. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FileRecordInodeTest {
    private static final int SNAPSHOT_EVERY = 3;

    @JUnit5TestKit
    final ActorTestKit testKit = ActorTestKit.create(ConfigFactory
            .parseString("writebackd.persistence.snapshot-every = " + SNAPSHOT_EVERY)
            .withFallback(EventSourcedBehaviorTestKit.config()));

    private final EventSourcedBehaviorTestKit<Command, Event, State> record = EventSourcedBehaviorTestKit.create(
            testKit.system(),
            FileRecord.create("dev0", 9, PersistenceSettings.fromConfig(testKit.system().settings().config())));

    @BeforeEach
    void clearJournal() {
        record.clear();
    }

    @Test
    void anInodeCommitPersistsTheSizeAndEveryPointerAsOneEvent() {
        InodePointers pointers = pointers(List.of(100L, 101L, 0L), 113, 400, 0);

        CommandResultWithReply<Command, Event, State, StatusReply<Committed>> result = commitInode(300_000, pointers);

        assertThat(result.events()).containsExactly(new InodeCommitted(300_000, pointers));
        assertThat(result.state()).isEqualTo(new State(300_000, List.of(), false, pointers));
        assertThat(result.reply().getValue()).isEqualTo(new Committed(300_000, 4));
    }

    @Test
    void eachCommitReplacesTheWholeInode() {
        commitInode(50_000, pointers(List.of(100L, 101L), 113, 0, 0));
        InodePointers truncated = pointers(List.of(100L), 0, 0, 0);

        State state = commitInode(1000, truncated).state();

        assertThat(state).isEqualTo(new State(1000, List.of(), false, truncated));
    }

    @Test
    void aCommitOfTheSameInodePersistsNothing() {
        InodePointers pointers = pointers(List.of(100L), 0, 0, 0);
        commitInode(1000, pointers);

        CommandResultWithReply<Command, Event, State, StatusReply<Committed>> again = commitInode(1000, pointers);

        assertThat(again.hasNoEvents()).isTrue();
        assertThat(again.reply().getValue()).isEqualTo(new Committed(1000, 1));
    }

    static Stream<Arguments> invalidInodes() {
        List<Long> eleven = new ArrayList<>(Collections.nCopies(11, 0L));
        return Stream.of(
                Arguments.of("negative size", -1L, pointers(List.of(5L), 0, 0, 0)),
                Arguments.of("eleven direct pointers", 10L, new InodePointers(eleven, 0, 0, 0)),
                Arguments.of("a negative pointer", 10L, pointers(List.of(5L), -3, 0, 0)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidInodes")
    void invalidInodesAreRefusedWithEinvalAndChangeNothing(String why, long size, InodePointers pointers) {
        commitInode(4096, pointers(List.of(100L), 0, 0, 0));
        State before = record.getState();

        CommandResultWithReply<Command, Event, State, StatusReply<Committed>> result = commitInode(size, pointers);

        assertThat(errno(result.reply())).as(why).isEqualTo(Errno.EINVAL);
        assertThat(result.hasNoEvents()).isTrue();
        assertThat(record.restart().state()).isEqualTo(before);
    }

    @Test
    void aRecordHoldsExtentsOrInodePointersNeverBoth() {
        commitInode(4096, pointers(List.of(100L), 0, 0, 0));
        CommandResultWithReply<Command, Event, State, StatusReply<Committed>> extents = record.runCommand(
                replyTo -> new Commit(4096, List.of(new Extent(1, 200, 1)), List.of(), replyTo));
        assertThat(errno(extents.reply())).isEqualTo(Errno.EINVAL);

        record.clear();
        record.<StatusReply<Committed>>runCommand(
                replyTo -> new Commit(4096, List.of(new Extent(0, 200, 1)), List.of(), replyTo));
        assertThat(errno(commitInode(4096, pointers(List.of(100L), 0, 0, 0)).reply())).isEqualTo(Errno.EINVAL);
    }

    @Test
    void aDeletedInodeRefusesLaterCommitsAsStale() {
        commitInode(4096, pointers(List.of(100L), 0, 0, 0));

        CommandResultWithReply<Command, Event, State, StatusReply<Committed>> deleted = record.runCommand(Delete::new);

        assertThat(deleted.events()).containsExactly(new FileDeleted(List.of()));
        assertThat(deleted.state().deleted()).isTrue();
        assertThat(errno(commitInode(1, pointers(List.of(7L), 0, 0, 0)).reply())).isEqualTo(Errno.ESTALE);
        assertThat(record.restart().state()).isEqualTo(new State(0, List.of(), true));
    }

    @Test
    void restartRecoversTheInodeFromEventsAndFromTheNewestSnapshot() {
        commitInode(4096, pointers(List.of(100L), 0, 0, 0));
        assertThat(record.restart().state()).isEqualTo(new State(4096, List.of(), false, pointers(List.of(100L), 0, 0, 0)));

        for (int i = 1; i <= 2 * SNAPSHOT_EVERY; i++) {
            commitInode(4096L * (i + 1), pointers(List.of(100L, 100L + i), 200 + i, i % 2 == 0 ? 300 : 0, 0));
        }
        State before = record.getState();

        assertThat(record.snapshotTestKit().orElseThrow()
                .persistedInStorage(FileRecord.persistenceId("dev0", 9).id())).isNotEmpty();
        assertThat(record.restart().state()).isEqualTo(before);
        assertThat(before.inode()).isEqualTo(pointers(List.of(100L, 100L + 2 * SNAPSHOT_EVERY), 206, 300, 0));
    }

    private CommandResultWithReply<Command, Event, State, StatusReply<Committed>> commitInode(
            long size, InodePointers pointers) {
        return record.runCommand(replyTo -> new CommitInode(size, pointers, replyTo));
    }

    /** Inode pointers whose first direct ones are {@code direct}, the rest zero. */
    private static InodePointers pointers(List<Long> direct, long single, long dbl, long triple) {
        List<Long> all = new ArrayList<>(direct);
        while (all.size() < 12) {
            all.add(0L);
        }
        return new InodePointers(all, single, dbl, triple);
    }

    private static Errno errno(StatusReply<?> reply) {
        assertThat(reply.isError()).as("error reply").isTrue();
        assertThat(reply.getError()).isInstanceOf(FileError.class);
        return ((FileError) reply.getError()).errno();
    }
}
