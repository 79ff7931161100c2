package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.persist.FileRecord.Command;
import dev.writebackd.actors.persist.FileRecord.Commit;
import dev.writebackd.actors.persist.FileRecord.Committed;
import dev.writebackd.actors.persist.FileRecord.Delete;
import dev.writebackd.actors.persist.FileRecord.Event;
import dev.writebackd.actors.persist.FileRecord.FileDeleted;
import dev.writebackd.actors.persist.FileRecord.MetadataCommitted;
import dev.writebackd.actors.persist.FileRecord.State;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.Extent;
import dev.writebackd.layout.MappingJournal.Batch;
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

@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FileRecordTest {
    private static final int SNAPSHOT_EVERY = 3;

    @JUnit5TestKit
    final ActorTestKit testKit = ActorTestKit.create(ConfigFactory
            .parseString("writebackd.persistence.snapshot-every = " + SNAPSHOT_EVERY)
            .withFallback(EventSourcedBehaviorTestKit.config()));

    private final EventSourcedBehaviorTestKit<Command, Event, State> record = EventSourcedBehaviorTestKit.create(
            testKit.system(),
            FileRecord.create("dev0", 7, PersistenceSettings.fromConfig(testKit.system().settings().config())));

    @BeforeEach
    void clearJournal() {
        record.clear();
    }

    @Test
    void persistenceIdNamesTheEntityTypeDeviceAndInode() {
        assertThat(FileRecord.persistenceId("dev0", 7).id()).isEqualTo("file|dev0:7");
    }

    @Test
    void aCommitPersistsOneEventWithAllItsRunsAndSetsTheSize() {
        CommandResultWithReply<Command, Event, State, StatusReply<Committed>> result =
                commit(10_000, List.of(run(4, 30, 2), run(0, 10, 3)), List.of());

        assertThat(result.reply().getValue()).isEqualTo(new Committed(10_000, 5));
        assertThat(result.events()).containsExactly(
                new MetadataCommitted(10_000, List.of(run(0, 10, 3), run(4, 30, 2)), List.of()));
        assertThat(result.state()).isEqualTo(new State(10_000, List.of(run(0, 10, 3), run(4, 30, 2)), false));
    }

    @Test
    void runsThatTouchLogicallyAndPhysicallyAreMerged() {
        commit(4096, List.of(run(0, 10, 2)), List.of());
        commit(8192, List.of(run(2, 12, 3), run(5, 40, 1)), List.of());

        State state = commit(8192, List.of(run(6, 41, 2)), List.of()).state();

        assertThat(state.extents()).containsExactly(run(0, 10, 5), run(5, 40, 3));
    }

    @Test
    void freesApplyBeforeMappingsSoATruncatedAndRewrittenBlockMovesToItsNewRun() {
        commit(16_384, List.of(run(0, 10, 4)), List.of());

        CommandResultWithReply<Command, Event, State, StatusReply<Committed>> result =
                commit(12_288, List.of(run(1, 50, 2)), List.of(run(1, 11, 3)));

        assertThat(result.state().extents()).containsExactly(run(0, 10, 1), run(1, 50, 2));
        assertThat(result.reply().getValue()).isEqualTo(new Committed(12_288, 3));
    }

    @Test
    void aCommitThatChangesNothingPersistsNothing() {
        commit(100, List.of(run(0, 10, 1)), List.of());

        CommandResultWithReply<Command, Event, State, StatusReply<Committed>> again = commit(100, List.of(), List.of());

        assertThat(again.hasNoEvents()).isTrue();
        assertThat(again.reply().getValue()).isEqualTo(new Committed(100, 1));
    }

    static Stream<Arguments> invalidCommits() {
        return Stream.of(
                Arguments.of("negative size", -1L, List.of(), List.of()),
                Arguments.of("maps a logical block already mapped", 0L, List.of(run(3, 60, 2)), List.of()),
                Arguments.of("maps a physical block the file already uses", 0L, List.of(run(20, 12, 1)), List.of()),
                Arguments.of("maps one physical block twice", 0L, List.of(run(20, 60, 2), run(30, 61, 1)), List.of()),
                Arguments.of("maps one logical block twice", 0L, List.of(run(20, 60, 2), run(21, 70, 1)), List.of()),
                Arguments.of("frees a block it does not map", 0L, List.of(), List.of(run(8, 30, 1))),
                Arguments.of("frees a logical block mapped elsewhere", 0L, List.of(), List.of(run(0, 99, 1))),
                Arguments.of("frees beyond a run", 0L, List.of(), List.of(run(2, 12, 4))),
                Arguments.of("reuses a freed block in the same commit", 0L,
                        List.of(run(10, 11, 1)), List.of(run(1, 11, 1))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidCommits")
    void invalidCommitsAreRefusedWithEinvalAndChangeNothing(
            String why, long size, List<Extent> mapped, List<Extent> freed) {
        commit(20_000, List.of(run(0, 10, 4)), List.of());
        State before = record.getState();

        CommandResultWithReply<Command, Event, State, StatusReply<Committed>> result = commit(size, mapped, freed);

        assertThat(errno(result.reply())).as(why).isEqualTo(Errno.EINVAL);
        assertThat(result.hasNoEvents()).isTrue();
        assertThat(record.getState()).isEqualTo(before);
        assertThat(record.restart().state()).isEqualTo(before);
    }

    @Test
    void deleteFreesEveryBlockAndLaterCommitsAreStale() {
        commit(8192, List.of(run(0, 10, 2), run(5, 40, 1)), List.of());

        CommandResultWithReply<Command, Event, State, StatusReply<Committed>> deleted = delete();

        assertThat(deleted.events()).containsExactly(new FileDeleted(List.of(run(0, 10, 2), run(5, 40, 1))));
        assertThat(deleted.state()).isEqualTo(new State(0, List.of(), true));
        assertThat(deleted.reply().getValue()).isEqualTo(new Committed(0, 0));
        CommandResultWithReply<Command, Event, State, StatusReply<Committed>> late = commit(1, List.of(), List.of());
        assertThat(errno(late.reply())).isEqualTo(Errno.ESTALE);
        assertThat(late.hasNoEvents()).isTrue();
        assertThat(delete().hasNoEvents()).as("deleting twice changes nothing").isTrue();
    }

    @Test
    void getAnswersTheCommittedState() {
        commit(5000, List.of(run(0, 10, 2)), List.of());

        State state = record.<State>runCommand(FileRecord.Get::new).reply();

        assertThat(state).isEqualTo(new State(5000, List.of(run(0, 10, 2)), false));
        assertThat(state.blocks()).isEqualTo(2);
    }

    @Test
    void restartRecoversSizeMapAndDeletion() {
        commit(4096, List.of(run(0, 10, 1)), List.of());
        commit(9000, List.of(run(1, 20, 2)), List.of(run(0, 10, 1)));
        State before = record.getState();

        assertThat(record.restart().state()).isEqualTo(before)
                .isEqualTo(new State(9000, List.of(run(1, 20, 2)), false));

        delete();
        assertThat(record.restart().state()).isEqualTo(new State(0, List.of(), true));
    }

    @Test
    void restartRecoversFromTheNewestSnapshotAndTheEventsAfterIt() {
        for (int i = 0; i < 2 * SNAPSHOT_EVERY + 1; i++) {
            commit(4096L * (i + 1), List.of(run(i, 100 + 2L * i, 1)), List.of());
        }
        State before = record.getState();

        assertThat(record.snapshotTestKit().orElseThrow()
                .persistedInStorage(FileRecord.persistenceId("dev0", 7).id())).hasSize(2);
        assertThat(record.restart().state()).isEqualTo(before);
        assertThat(before.extents()).hasSize(2 * SNAPSHOT_EVERY + 1);
    }

    @Test
    void aStateHoldsABatchOnlyOnceTheBatchIsApplied() {
        commit(4096, List.of(run(0, 10, 4)), List.of());
        Batch batch = new Batch(7, 8192, List.of(run(4, 14, 2)), List.of(run(1, 11, 1)), false);
        State before = record.getState();

        State after = commit(batch.size(), batch.mapped(), batch.freed()).state();

        assertThat(before.holds(batch)).isFalse();
        assertThat(after.holds(batch)).isTrue();
        assertThat(after.holds(new Batch(7, 0, List.of(), List.of(), true))).isFalse();
        assertThat(new State(0, List.of(), true).holds(new Batch(7, 0, List.of(), List.of(), true))).isTrue();
    }

    private CommandResultWithReply<Command, Event, State, StatusReply<Committed>> commit(
            long size, List<Extent> mapped, List<Extent> freed) {
        return record.runCommand(replyTo -> new Commit(size, mapped, freed, replyTo));
    }

    private CommandResultWithReply<Command, Event, State, StatusReply<Committed>> delete() {
        return record.runCommand(Delete::new);
    }

    private static Extent run(long logical, long physical, long count) {
        return new Extent(logical, physical, count);
    }

    private static Errno errno(StatusReply<?> reply) {
        assertThat(reply.isError()).as("error reply").isTrue();
        assertThat(reply.getError()).isInstanceOf(FileError.class);
        return ((FileError) reply.getError()).errno();
    }
}
