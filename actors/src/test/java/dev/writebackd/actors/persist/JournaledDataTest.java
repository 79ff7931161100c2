package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.persist.JournaledData.Append;
import dev.writebackd.actors.persist.JournaledData.Appended;
import dev.writebackd.actors.persist.JournaledData.Change;
import dev.writebackd.actors.persist.JournaledData.Command;
import dev.writebackd.actors.persist.JournaledData.DataJournaled;
import dev.writebackd.actors.persist.JournaledData.DataTrimmed;
import dev.writebackd.actors.persist.JournaledData.Entry;
import dev.writebackd.actors.persist.JournaledData.Event;
import dev.writebackd.actors.persist.JournaledData.SizeJournaled;
import dev.writebackd.actors.persist.JournaledData.State;
import dev.writebackd.actors.persist.JournaledData.Trimmed;
import dev.writebackd.error.Errno;
import java.util.List;
import java.util.stream.IntStream;
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

@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JournaledDataTest {
    private static final int SNAPSHOT_EVERY = 4;
    private static final String PID = JournaledData.persistenceId("dev0", 3).id();

    @JUnit5TestKit
    final ActorTestKit testKit = ActorTestKit.create(ConfigFactory
            .parseString("writebackd.persistence.snapshot-every = " + SNAPSHOT_EVERY)
            .withFallback(EventSourcedBehaviorTestKit.config()));

    private final EventSourcedBehaviorTestKit<Command, Event, State> data = EventSourcedBehaviorTestKit.create(
            testKit.system(),
            JournaledData.create("dev0", 3, PersistenceSettings.fromConfig(testKit.system().settings().config())));

    @BeforeEach
    void clearJournal() {
        data.clear();
    }

    @Test
    void persistenceIdNamesTheEntityTypeDeviceAndInode() {
        assertThat(PID).isEqualTo("journaled|dev0:3");
    }

    @Test
    void anAppendPersistsOneEventPerChangeWithConsecutiveSequenceNumbers() {
        CommandResultWithReply<Command, Event, State, StatusReply<Appended>> result =
                append(Change.write(100, bytes(10, 1)), Change.truncate(50), Change.write(0, bytes(3, 2)));

        assertThat(result.reply().getValue()).isEqualTo(new Appended(1, 3));
        assertThat(result.events()).containsExactly(new DataJournaled(1, 100, bytes(10, 1)), new SizeJournaled(2, 50),
                new DataJournaled(3, 0, bytes(3, 2)));
        assertThat(append(Change.write(7, bytes(1, 3))).reply().getValue()).isEqualTo(new Appended(4, 4));
        assertThat(data.getState().entries()).extracting(Entry::seq).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void restartRecoversTheUntrimmedChangesInOrder() {
        append(Change.write(0, bytes(5, 1)), Change.write(5, bytes(5, 2)));
        append(Change.truncate(7));
        State before = data.getState();

        State after = data.restart().state();

        assertThat(after).isEqualTo(before);
        assertThat(after.entries()).extracting(Entry::change).containsExactly(Change.write(0, bytes(5, 1)),
                Change.write(5, bytes(5, 2)), Change.truncate(7));
        assertThat(after.bytes()).isEqualTo(10);
    }

    @Test
    void aTrimDropsThePrefixAndSurvivesARestart() {
        append(Change.write(0, bytes(5, 1)), Change.write(5, bytes(5, 2)), Change.write(10, bytes(5, 3)));

        CommandResultWithReply<Command, Event, State, StatusReply<Trimmed>> result =
                data.runCommand(replyTo -> new JournaledData.Trim(2, replyTo));

        assertThat(result.events()).containsExactly(new DataTrimmed(2));
        assertThat(result.reply().getValue()).isEqualTo(new Trimmed(2, 1));
        State restarted = data.restart().state();
        assertThat(restarted.trimmedUpTo()).isEqualTo(2);
        assertThat(restarted.entries()).containsExactly(new Entry(3, Change.write(10, bytes(5, 3))));
        assertThat(data.<StatusReply<Trimmed>>runCommand(replyTo -> new JournaledData.Trim(1, replyTo)).events())
                .as("trimming what is already trimmed persists nothing").isEmpty();
    }

    @Test
    void discardDropsEverything() {
        append(Change.write(0, bytes(5, 1)), Change.write(5, bytes(5, 2)));

        assertThat(data.<StatusReply<Trimmed>>runCommand(JournaledData.Discard::new).reply().getValue())
                .isEqualTo(new Trimmed(2, 0));
        assertThat(data.restart().state()).isEqualTo(new State(2, 2, List.of()));
    }

    @Test
    void snapshotsCarryTheUntrimmedBytesAndOldEventsAreDeletedAsAPrefix() {
        IntStream.range(0, 3 * SNAPSHOT_EVERY).forEach(i -> append(Change.write(10L * i, bytes(10, i))));
        data.<StatusReply<Trimmed>>runCommand(replyTo -> new JournaledData.Trim(3 * SNAPSHOT_EVERY - 1, replyTo));
        State before = data.getState();

        assertThat(data.restart().state()).isEqualTo(before);
        assertThat(before.entries()).containsExactly(
                new Entry(3 * SNAPSHOT_EVERY, Change.write(10L * (3 * SNAPSHOT_EVERY - 1), bytes(10, 3 * SNAPSHOT_EVERY - 1))));
        List<Object> left = data.persistenceTestKit().persistedInStorage(PID);
        assertThat(left).as("events before the previous snapshot are deleted").hasSizeLessThan(3 * SNAPSHOT_EVERY + 1);
        assertThat(left).hasSizeLessThanOrEqualTo(2 * SNAPSHOT_EVERY);
    }

    @Test
    void anInvalidChangeRefusesTheWholeAppendAndPersistsNothing() {
        append(Change.write(0, bytes(5, 1)));
        State before = data.getState();
        for (Change bad : List.of(Change.write(-1, bytes(1, 1)), Change.write(0, new byte[0]),
                Change.write(0, new byte[JournaledData.MAX_CHUNK_BYTES + 1]), Change.truncate(-5),
                Change.write(Long.MAX_VALUE - 1, bytes(4, 1)))) {
            CommandResultWithReply<Command, Event, State, StatusReply<Appended>> result =
                    append(Change.write(100, bytes(5, 2)), bad);
            assertThat(result.events()).as(bad.toString()).isEmpty();
            assertThat(result.reply().isError()).isTrue();
            assertThat(((FileError) result.reply().getError()).errno()).isEqualTo(Errno.EINVAL);
        }
        assertThat(data.<StatusReply<Appended>>runCommand(replyTo -> new Append(List.of(), replyTo)).reply().isError())
                .isTrue();
        assertThat(data.getState()).isEqualTo(before);
    }

    @Test
    void aTrimBeyondTheLastChangeIsRefused() {
        append(Change.write(0, bytes(5, 1)));

        CommandResultWithReply<Command, Event, State, StatusReply<Trimmed>> result =
                data.runCommand(replyTo -> new JournaledData.Trim(2, replyTo));

        assertThat(result.events()).isEmpty();
        assertThat(((FileError) result.reply().getError()).errno()).isEqualTo(Errno.EINVAL);
        assertThat(data.getState().entries()).hasSize(1);
    }

    private CommandResultWithReply<Command, Event, State, StatusReply<Appended>> append(Change... changes) {
        return data.runCommand(replyTo -> new Append(List.of(changes), replyTo));
    }

    private static byte[] bytes(int length, int fill) {
        byte[] bytes = new byte[length];
        java.util.Arrays.fill(bytes, (byte) fill);
        return bytes;
    }
}
