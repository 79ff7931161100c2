package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.actors.persist.Namespace.Create;
import dev.writebackd.actors.persist.Namespace.Created;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JournalSync} on the real journal. A power cut cannot be tested here; what is checked is
 * what the file force relies on — that an event the journal acknowledged is already in the
 * database file, so an fsync of the file covers it — and which way each kind of database is
 * forced.
 */
class JournalSyncTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dataDir;

    @Test
    void anAcknowledgedEventIsInTheDatabaseFileWhenTheFileIsForced() throws Exception {
        ActorTestKit testKit = ActorTestKit.create("sync", PersistenceConfig.prepare(dataDir));
        try {
            ActorRef<Namespace.Command> namespace = testKit.spawn(
                    Namespace.create("dev0", PersistenceSettings.fromConfig(testKit.system().settings().config())));
            JournalSync sync = new JournalSync(JournalDatabase.fromConfig(testKit.system().settings().config()));
            sync.force();
            String marker = "marker-" + UUID.randomUUID();
            TestProbe<StatusReply<Created>> probe = testKit.createTestProbe();

            namespace.tell(new Create(marker, probe.ref()));
            assertThat(probe.receiveMessage(TIMEOUT).isSuccess()).isTrue();

            // Read as bytes by another descriptor: the event is in the file (the host's page cache) at
            // the acknowledgement, before any force; the force is an fsync of that file.
            assertThat(contains(Files.readAllBytes(dataDir.resolve("journal.mv.db")), marker)).isTrue();
            sync.force();
            assertThat(sync.lastMethod()).isEqualTo(JournalSync.Method.FILE_FORCE);
        } finally {
            testKit.shutdownTestKit();
        }
    }

    @Test
    void aDatabaseThatDelaysItsWritesIsCheckpointed() throws Exception {
        JournalDatabase delayed = new JournalDatabase("jdbc:h2:file:" + dataDir.resolve("delayed"), "sa", "");
        try (Connection open = delayed.connect()) {
            JournalSync sync = new JournalSync(delayed);

            sync.force();

            assertThat(sync.lastMethod()).isEqualTo(JournalSync.Method.CHECKPOINT);
        }
    }

    @Test
    void aWriteDelaySetAtRunTimeTurnsTheFileForceIntoACheckpointAndBack() throws Exception {
        Path file = dataDir.resolve("journal");
        JournalDatabase journal = new JournalDatabase("jdbc:h2:file:" + file + ";WRITE_DELAY=0", "sa", "");
        // Connecting with WRITE_DELAY=0 in the URL sets it again: the sync's URL leaves it out.
        JournalSync sync = new JournalSync(new JournalDatabase("jdbc:h2:file:" + file, "sa", ""));
        try (Connection open = journal.connect(); Statement statement = open.createStatement()) {
            sync.force();
            assertThat(sync.lastMethod()).isEqualTo(JournalSync.Method.FILE_FORCE);

            statement.execute("SET WRITE_DELAY 500");
            sync.force();
            assertThat(sync.lastMethod()).isEqualTo(JournalSync.Method.CHECKPOINT);

            statement.execute("SET WRITE_DELAY 0");
            sync.force();
            assertThat(sync.lastMethod()).isEqualTo(JournalSync.Method.FILE_FORCE);
        }
    }

    @Test
    void aDatabaseClosedAndOpenedAgainIsFoundAgain() throws Exception {
        JournalDatabase database = new JournalDatabase(
                "jdbc:h2:file:" + dataDir.resolve("journal") + ";WRITE_DELAY=0", "sa", "");
        JournalSync sync = new JournalSync(database);
        try (Connection first = database.connect()) {
            sync.force();
        } // the last connection closed: H2 closed the database and its store

        try (Connection second = database.connect()) {
            sync.force();

            assertThat(sync.lastMethod()).isEqualTo(JournalSync.Method.FILE_FORCE);
        }
    }

    @Test
    void anInMemoryDatabaseIsCheckpointed() throws Exception {
        JournalDatabase memory = new JournalDatabase("jdbc:h2:mem:sync-test;WRITE_DELAY=0", "sa", "");
        JournalSync sync = new JournalSync(memory);

        sync.force();

        assertThat(sync.lastMethod()).isEqualTo(JournalSync.Method.CHECKPOINT);
    }

    @Test
    void aMissingDatabaseFailsTheForceAndCreatesNothing() {
        Path missing = dataDir.resolve("missing");
        JournalSync sync = new JournalSync(new JournalDatabase(
                "jdbc:h2:file:" + missing.resolve("journal") + ";IFEXISTS=TRUE;WRITE_DELAY=0", "sa", ""));

        assertThatThrownBy(sync::force).isInstanceOf(SQLException.class);
        assertThat(missing).doesNotExist();
        assertThat(sync.lastMethod()).isNull();
    }

    private static boolean contains(byte[] haystack, String needle) {
        byte[] bytes = needle.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + bytes.length <= haystack.length; i++) {
            for (int j = 0; j < bytes.length; j++) {
                if (haystack[i + j] != bytes[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
