package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.persist.Namespace.Command;
import dev.writebackd.actors.persist.Namespace.Create;
import dev.writebackd.actors.persist.Namespace.Created;
import dev.writebackd.actors.persist.Namespace.Entry;
import dev.writebackd.actors.persist.Namespace.Listing;
import dev.writebackd.actors.persist.Namespace.Rename;
import dev.writebackd.actors.persist.Namespace.Renamed;
import dev.writebackd.actors.persist.Namespace.Unlink;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The namespace on the real journal: H2 in a temporary data directory, across actor systems. */
class JournalTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dataDir;

    @Test
    void schemaIsCreatedOnFirstStartAndReusedOnTheSecond() throws Exception {
        Config config = PersistenceConfig.prepare(dataDir);
        PersistenceConfig.prepare(dataDir);
        JournalSchema.ensure(JournalDatabase.fromConfig(config));

        assertThat(dataDir.resolve("journal.mv.db")).exists();
        assertThat(tables(JournalDatabase.fromConfig(config))).contains("event_journal", "event_tag", "snapshot");
    }

    @Test
    void namesSurviveANewActorSystemOnTheSameDirectory() throws Exception {
        ActorTestKit first = ActorTestKit.create("first", PersistenceConfig.prepare(dataDir));
        try {
            ActorRef<Command> namespace = first.spawn(namespace(first));
            TestProbe<Object> probe = first.createTestProbe();
            for (String name : List.of("a", "b", "c")) {
                namespace.tell(new Create(name, probe.ref().narrow()));
                probe.expectMessageClass(StatusReply.class, TIMEOUT);
            }
            namespace.tell(new Unlink("b", probe.ref().narrow()));
            assertThat(probe.expectMessageClass(StatusReply.class, TIMEOUT).getValue()).isEqualTo(new Entry("b", 2));
            namespace.tell(new Rename("c", "d", probe.ref().narrow()));
            assertThat(probe.expectMessageClass(StatusReply.class, TIMEOUT).getValue()).isInstanceOf(Renamed.class);
        } finally {
            first.shutdownTestKit();
        }

        ActorTestKit second = ActorTestKit.create("second", PersistenceConfig.prepare(dataDir));
        try {
            ActorRef<Command> namespace = second.spawn(namespace(second));
            assertThat(list(second, namespace)).containsExactly(Map.entry("a", 1L), Map.entry("d", 3L));
            TestProbe<StatusReply<Created>> created = second.createTestProbe();
            namespace.tell(new Create("e", created.ref()));
            assertThat(created.receiveMessage(TIMEOUT).getValue()).isEqualTo(new Created("e", 4, true));
        } finally {
            second.shutdownTestKit();
        }
    }

    @Test
    void snapshotsAreWrittenKeptToTwoAndUsedForRecovery() throws Exception {
        Config everyFive = ConfigFactory.parseString("writebackd.persistence.snapshot-every = 5");
        Map<String, Long> expected;
        ActorTestKit first = ActorTestKit.create("first", PersistenceConfig.prepare(dataDir, everyFive));
        try {
            ActorRef<Command> namespace = first.spawn(namespace(first));
            TestProbe<StatusReply<Created>> probe = first.createTestProbe();
            for (int i = 0; i < 17; i++) {
                namespace.tell(new Create("f" + i, probe.ref()));
                probe.receiveMessage(TIMEOUT);
            }
            expected = list(first, namespace);
            // Snapshots at events 5, 10 and 15; the first is deleted once the third is saved.
            JournalDatabase database = JournalDatabase.fromConfig(first.system().settings().config());
            await().atMost(TIMEOUT).until(() -> count(database, "SELECT COUNT(*) FROM \"snapshot\"") == 2);
        } finally {
            first.shutdownTestKit();
        }

        ActorTestKit second = ActorTestKit.create("second", PersistenceConfig.prepare(dataDir, everyFive));
        try {
            assertThat(list(second, second.spawn(namespace(second)))).isEqualTo(expected).hasSize(17);
        } finally {
            second.shutdownTestKit();
        }
    }

    @Test
    void journalSyncForcesTheDatabaseTheJournalHasOpen() throws Exception {
        ActorTestKit testKit = ActorTestKit.create("sync", PersistenceConfig.prepare(dataDir));
        try {
            ActorRef<Command> namespace = testKit.spawn(namespace(testKit));
            TestProbe<StatusReply<Created>> probe = testKit.createTestProbe();
            namespace.tell(new Create("a", probe.ref()));
            probe.receiveMessage(TIMEOUT);
            Executor blocking = testKit.system().dispatchers().lookup(DispatcherSelector.blocking());
            JournalSync sync = new JournalSync(JournalDatabase.fromConfig(testKit.system().settings().config()));

            Done done = sync.forceAsync(blocking).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

            assertThat(done).isEqualTo(Done.getInstance());
        } finally {
            testKit.shutdownTestKit();
        }
    }

    @Test
    void journalSyncFailsWhenTheDatabaseCannotBeReached() {
        JournalDatabase nowhere = new JournalDatabase(
                "jdbc:h2:file:" + dataDir.resolve("missing/journal") + ";IFEXISTS=TRUE;WRITE_DELAY=0", "sa", "");

        assertThat(new JournalSync(nowhere).forceAsync(Runnable::run))
                .failsWithin(TIMEOUT)
                .withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(SQLException.class);
    }

    private static Behavior<Command> namespace(ActorTestKit testKit) {
        return Namespace.create("dev0", PersistenceSettings.fromConfig(testKit.system().settings().config()));
    }

    private static Map<String, Long> list(ActorTestKit testKit, ActorRef<Command> namespace) {
        TestProbe<Listing> probe = testKit.createTestProbe();
        namespace.tell(new Namespace.List(probe.ref()));
        return probe.receiveMessage(TIMEOUT).entries();
    }

    private static List<String> tables(JournalDatabase database) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Connection connection = database.connect();
                ResultSet tables = connection.getMetaData().getTables(null, "PUBLIC", "%", new String[] {"TABLE"})) {
            while (tables.next()) {
                names.add(tables.getString("TABLE_NAME"));
            }
        }
        return names;
    }

    private static long count(JournalDatabase database, String query) throws SQLException {
        try (Connection connection = database.connect();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(query)) {
            result.next();
            return result.getLong(1);
        }
    }
}
