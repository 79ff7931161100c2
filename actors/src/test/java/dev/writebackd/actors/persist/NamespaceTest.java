package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.persist.Namespace.Command;
import dev.writebackd.actors.persist.Namespace.Create;
import dev.writebackd.actors.persist.Namespace.Created;
import dev.writebackd.actors.persist.Namespace.Entry;
import dev.writebackd.actors.persist.Namespace.Event;
import dev.writebackd.actors.persist.Namespace.FileCreated;
import dev.writebackd.actors.persist.Namespace.FileRenamed;
import dev.writebackd.actors.persist.Namespace.FileUnlinked;
import dev.writebackd.actors.persist.Namespace.Listing;
import dev.writebackd.actors.persist.Namespace.Lookup;
import dev.writebackd.actors.persist.Namespace.Rename;
import dev.writebackd.actors.persist.Namespace.Renamed;
import dev.writebackd.actors.persist.Namespace.State;
import dev.writebackd.actors.persist.Namespace.Unlink;
import dev.writebackd.error.Errno;
import java.util.Map;
import java.util.OptionalLong;
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
class NamespaceTest {
    private static final int SNAPSHOT_EVERY = 3;

    @JUnit5TestKit
    final ActorTestKit testKit = ActorTestKit.create(ConfigFactory
            .parseString("writebackd.persistence.snapshot-every = " + SNAPSHOT_EVERY)
            .withFallback(EventSourcedBehaviorTestKit.config()));

    private final EventSourcedBehaviorTestKit<Command, Event, State> namespace = EventSourcedBehaviorTestKit.create(
            testKit.system(),
            Namespace.create("dev0", PersistenceSettings.fromConfig(testKit.system().settings().config())));

    @BeforeEach
    void clearJournal() {
        namespace.clear();
    }

    @Test
    void createAllocatesConsecutiveInodesStartingAtOne() {
        CommandResultWithReply<Command, Event, State, StatusReply<Created>> first = create("a");
        CommandResultWithReply<Command, Event, State, StatusReply<Created>> second = create("b");

        assertThat(first.reply().getValue()).isEqualTo(new Created("a", 1, true));
        assertThat(first.event()).isEqualTo(new FileCreated("a", 1));
        assertThat(second.reply().getValue()).isEqualTo(new Created("b", 2, true));
        assertThat(second.state()).isEqualTo(new State(Map.of("a", 1L, "b", 2L), 3));
    }

    @Test
    void createOfAnExistingNameAnswersItsInodeAndPersistsNothing() {
        create("a");

        CommandResultWithReply<Command, Event, State, StatusReply<Created>> again = create("a");

        assertThat(again.reply().getValue()).isEqualTo(new Created("a", 1, false));
        assertThat(again.hasNoEvents()).isTrue();
        assertThat(again.state().nextInode()).isEqualTo(2);
    }

    @Test
    void lookupAnswersTheInodeOrEnoent() {
        create("a");

        assertThat(lookup("a").reply().getValue()).isEqualTo(new Entry("a", 1));
        CommandResultWithReply<Command, Event, State, StatusReply<Entry>> missing = lookup("b");
        assertThat(errno(missing.reply())).isEqualTo(Errno.ENOENT);
        assertThat(missing.hasNoEvents()).isTrue();
    }

    @Test
    void unlinkRemovesTheNameAndAnswersItsInode() {
        create("a");
        create("b");

        CommandResultWithReply<Command, Event, State, StatusReply<Entry>> result = unlink("a");

        assertThat(result.reply().getValue()).isEqualTo(new Entry("a", 1));
        assertThat(result.event()).isEqualTo(new FileUnlinked("a", 1));
        assertThat(result.state().inodes()).containsExactly(Map.entry("b", 2L));
    }

    @Test
    void unlinkOfAMissingNameIsEnoentAndPersistsNothing() {
        CommandResultWithReply<Command, Event, State, StatusReply<Entry>> result = unlink("a");

        assertThat(errno(result.reply())).isEqualTo(Errno.ENOENT);
        assertThat(result.hasNoEvents()).isTrue();
    }

    @Test
    void inodeNumbersAreNeverReused() {
        create("a");
        create("b");
        unlink("b");

        assertThat(create("b").reply().getValue()).isEqualTo(new Created("b", 3, true));
    }

    @Test
    void renameMovesTheInodeToTheNewName() {
        create("a");

        CommandResultWithReply<Command, Event, State, StatusReply<Renamed>> result = rename("a", "b");

        assertThat(result.reply().getValue()).isEqualTo(new Renamed("a", "b", 1, OptionalLong.empty()));
        assertThat(result.event()).isEqualTo(new FileRenamed("a", "b", 1, OptionalLong.empty()));
        assertThat(result.state().inodes()).containsExactly(Map.entry("b", 1L));
    }

    @Test
    void renameOntoAnExistingNameReplacesItAndReportsTheReplacedInode() {
        create("a");
        create("b");

        CommandResultWithReply<Command, Event, State, StatusReply<Renamed>> result = rename("a", "b");

        assertThat(result.reply().getValue()).isEqualTo(new Renamed("a", "b", 1, OptionalLong.of(2)));
        assertThat(result.event()).isEqualTo(new FileRenamed("a", "b", 1, OptionalLong.of(2)));
        assertThat(result.state()).isEqualTo(new State(Map.of("b", 1L), 3));
    }

    @Test
    void renameOfAMissingNameIsEnoentAndPersistsNothing() {
        create("b");

        CommandResultWithReply<Command, Event, State, StatusReply<Renamed>> result = rename("a", "b");

        assertThat(errno(result.reply())).isEqualTo(Errno.ENOENT);
        assertThat(result.hasNoEvents()).isTrue();
        assertThat(result.state().inodes()).containsExactly(Map.entry("b", 1L));
    }

    @Test
    void renameOfANameToItselfChangesNothing() {
        create("a");

        CommandResultWithReply<Command, Event, State, StatusReply<Renamed>> result = rename("a", "a");

        assertThat(result.reply().getValue()).isEqualTo(new Renamed("a", "a", 1, OptionalLong.empty()));
        assertThat(result.hasNoEvents()).isTrue();
    }

    @Test
    void listAnswersEveryNameSortedWithItsInode() {
        create("zeta");
        create("alpha");
        create("mid");

        CommandResultWithReply<Command, Event, State, Listing> result = namespace.runCommand(Namespace.List::new);

        assertThat(result.reply().entries()).containsExactly(
                Map.entry("alpha", 2L), Map.entry("mid", 3L), Map.entry("zeta", 1L));
        assertThat(result.hasNoEvents()).isTrue();
    }

    static Stream<Arguments> invalidNames() {
        return Stream.of(
                Arguments.of("", Errno.EINVAL),
                Arguments.of("a/b", Errno.EINVAL),
                Arguments.of("/", Errno.EINVAL),
                Arguments.of("a\0b", Errno.EINVAL),
                Arguments.of("a".repeat(256), Errno.ENAMETOOLONG),
                Arguments.of("\u20AC".repeat(86), Errno.ENAMETOOLONG));
    }

    @ParameterizedTest
    @MethodSource("invalidNames")
    void invalidNamesAreRefusedAndChangeNothing(String name, Errno expected) {
        create("keep");
        State before = namespace.getState();

        Stream.of(create(name), lookup(name), unlink(name), rename("keep", name), rename(name, "keep"))
                .forEach(result -> {
                    assertThat(errno(result.reply())).isEqualTo(expected);
                    assertThat(result.hasNoEvents()).isTrue();
                });
        assertThat(namespace.getState()).isEqualTo(before);
    }

    @Test
    void namesOfExactly255BytesAreAccepted() {
        String ascii = "a".repeat(255);
        String euros = "\u20AC".repeat(85);

        assertThat(create(ascii).reply().isSuccess()).isTrue();
        assertThat(create(euros).reply().isSuccess()).isTrue();
    }

    @Test
    void restartRecoversNamesAndTheNextInode() {
        create("a");
        create("b");
        create("c");
        rename("a", "c");
        unlink("b");
        State before = namespace.getState();

        assertThat(namespace.restart().state()).isEqualTo(before).isEqualTo(new State(Map.of("c", 1L), 4));
        assertThat(create("d").reply().getValue()).isEqualTo(new Created("d", 4, true));
    }

    @Test
    void restartRecoversFromTheNewestSnapshotAndTheEventsAfterIt() {
        for (int i = 0; i < 2 * SNAPSHOT_EVERY + 1; i++) {
            create("f" + i);
        }
        State before = namespace.getState();

        assertThat(namespace.snapshotTestKit().orElseThrow()
                .persistedInStorage(Namespace.persistenceId("dev0").id())).hasSize(2);
        assertThat(namespace.restart().state()).isEqualTo(before);
    }

    private CommandResultWithReply<Command, Event, State, StatusReply<Created>> create(String name) {
        return namespace.runCommand(replyTo -> new Create(name, replyTo));
    }

    private CommandResultWithReply<Command, Event, State, StatusReply<Entry>> lookup(String name) {
        return namespace.runCommand(replyTo -> new Lookup(name, replyTo));
    }

    private CommandResultWithReply<Command, Event, State, StatusReply<Entry>> unlink(String name) {
        return namespace.runCommand(replyTo -> new Unlink(name, replyTo));
    }

    private CommandResultWithReply<Command, Event, State, StatusReply<Renamed>> rename(String from, String to) {
        return namespace.runCommand(replyTo -> new Rename(from, to, replyTo));
    }

    private static Errno errno(StatusReply<?> reply) {
        assertThat(reply.isError()).as("error reply").isTrue();
        assertThat(reply.getError()).isInstanceOf(FileError.class);
        return ((FileError) reply.getError()).errno();
    }
}
