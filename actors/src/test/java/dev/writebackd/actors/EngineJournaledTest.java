package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.array;
import static dev.writebackd.actors.Engines.bytes;
import static dev.writebackd.actors.Engines.errno;
import static dev.writebackd.actors.Engines.failure;
import static dev.writebackd.actors.Engines.filled;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.persist.JournalDatabase;
import dev.writebackd.actors.persist.JournaledData;
import dev.writebackd.actors.persist.PersistenceConfig;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.config.Durability;
import dev.writebackd.config.Settings;
import dev.writebackd.error.Errno;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code journaled} durability through the engine: the data is in the journal when the write is
 * answered, survives an abrupt stop without fsync or writeback, and is trimmed once written back
 * and committed. Writeback runs only when a test asks for it (long intervals and expiry).
 */
class EngineJournaledTest {
    private static final long DEVICE_BYTES = 16L << 20;
    private static final String QUIET = """
            writebackd.page-cache.cache-budget = 16 MiB
            writebackd.writeback.writeback-interval = 600 s
            writebackd.writeback.dirty-expire-interval = 600 s
            """;

    @TempDir
    Path dataDir;

    private final MemoryDevice device = new MemoryDevice(PAGE, DEVICE_BYTES);
    private Engine engine;
    /** Snapshots after every event, so that a trim deletes the events before it at once. */
    private int snapshotEvery = 1;
    /** Extra persistence settings of a test. */
    private String persistence = "";

    @AfterEach
    void stop() {
        if (engine != null) {
            Engines.stop(engine);
        }
    }

    private Config config() {
        try {
            return PersistenceConfig.prepare(dataDir, ConfigFactory.parseString(persistence
                    + "\nwritebackd.persistence.snapshot-every = " + snapshotEvery));
        } catch (java.io.IOException | SQLException e) {
            throw new AssertionError(e);
        }
    }

    private Engine start() {
        engine = Engine.start(Settings.load(ConfigFactory.parseString(QUIET)), device, config());
        return engine;
    }

    /** Stops the engine as a crash would: nothing written back, nothing committed. */
    private void crash() {
        engine.halt();
        engine = null;
    }

    private WriteResult journaled(Handle file, long offset, byte[] bytes) {
        return join(engine.write(file, offset, ByteBuffer.wrap(bytes), Durability.JOURNALED));
    }

    private byte[] read(Handle file, long offset, int length) {
        return array(join(engine.read(file, offset, length)));
    }

    @Test
    void aJournaledWriteIsInTheJournalWhenItIsAnswered() throws SQLException {
        snapshotEvery = 1000;
        Handle file = join(start().open("log", true));
        byte[] data = pattern(3 * JournaledData.MAX_CHUNK_BYTES / 2, 1);

        WriteResult written = journaled(file, 100, data);

        assertThat(written.bytesWritten()).isEqualTo(data.length);
        assertThat(journalEvents(-1)).as("two chunks persisted before the answer").isEqualTo(2);
        assertThat(read(file, 100, data.length)).isEqualTo(data);
        assertThat(device.requests()).noneMatch(r -> r.op() == BioOp.WRITE && r.startSector() > 0);
    }

    @Test
    void journaledDataSurvivesAnAbruptStopWithoutFsyncOrWriteback() {
        Handle file = join(start().open("log", true));
        byte[] first = pattern(5000, 2);
        byte[] second = pattern(3 * PAGE, 3);
        journaled(file, 0, first);
        journaled(file, 2 * PAGE + 7, second);
        join(engine.write(file, 10 * PAGE, bytes(PAGE, 9))); // cached, elsewhere: lost in the crash
        crash();

        Handle reopened = join(start().open("log", true));

        byte[] expected = new byte[2 * PAGE + 7 + second.length];
        System.arraycopy(first, 0, expected, 0, first.length);
        System.arraycopy(second, 0, expected, 2 * PAGE + 7, second.length);
        assertThat(read(reopened, 0, 20 * PAGE)).isEqualTo(expected);
        assertThat(join(engine.stats()).dirtyPages()).as("replayed as dirty data").isEqualTo(6);
    }

    @Test
    void laterJournaledWritesWinOnReplayAndTruncatesAreReplayedInOrder() {
        Handle file = join(start().open("log", true));
        journaled(file, 0, filled(2 * PAGE, 1));
        journaled(file, PAGE / 2, filled(PAGE, 2));
        join(engine.truncate(file, PAGE + 100));
        crash();

        Handle reopened = join(start().open("log", true));

        byte[] expected = filled(PAGE + 100, 1);
        System.arraycopy(filled(PAGE, 2), 0, expected, PAGE / 2, PAGE + 100 - PAGE / 2);
        assertThat(read(reopened, 0, 4 * PAGE)).isEqualTo(expected);
    }

    @Test
    void writtenBackAndCommittedDataIsTrimmedFromTheJournal() throws SQLException {
        Handle file = join(start().open("log", true));
        byte[] data = pattern(2 * PAGE, 4);
        journaled(file, 0, data);
        assertThat(journalEvents(1)).isEqualTo(1);

        join(engine.fsync(file));

        await().atMost(Duration.ofSeconds(20)).until(() -> journalEvents(1) == 0);
        crash();
        Handle reopened = join(start().open("log", true));
        assertThat(join(engine.stats()).dirtyPages()).as("nothing left to replay").isZero();
        assertThat(read(reopened, 0, 4 * PAGE)).isEqualTo(data);
    }

    @Test
    void aShutdownWritesJournaledDataBackAndTrimsIt() throws SQLException {
        Handle file = join(start().open("log", true));
        byte[] data = pattern(3 * PAGE, 6);
        List<CompletableFuture<WriteResult>> answers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            answers.add(engine.write(file, i * PAGE, ByteBuffer.wrap(data, i * PAGE, PAGE), Durability.JOURNALED)
                    .toCompletableFuture());
        }
        join(engine.shutdown());
        answers.forEach(answer -> assertThat(join(answer).bytesWritten()).isEqualTo(PAGE));
        engine = null;

        assertThat(journalEvents(1)).as("the first event is deleted with the trim").isZero();
        Handle reopened = join(start().open("log", true));
        assertThat(join(engine.stats()).dirtyPages()).as("nothing to replay").isZero();
        assertThat(read(reopened, 0, 4 * PAGE)).isEqualTo(data);
    }

    @Test
    void cachedWritesBeforeAndAfterTheFirstJournaledChangeKeepTheirOrderAcrossACrash() {
        Handle file = join(start().open("log", true));
        join(engine.write(file, 0, bytes(3 * PAGE, 3))); // cached, before any journaled change: not journaled
        journaled(file, 0, filled(2 * PAGE, 1)); // the engine's first journaled change
        join(engine.write(file, 0, bytes(PAGE, 2))); // cached, over the journaled bytes
        join(engine.fsync(file));
        crash();

        Handle reopened = join(start().open("log", true));

        assertThat(read(reopened, 0, PAGE)).isEqualTo(filled(PAGE, 2));
        assertThat(read(reopened, PAGE, PAGE)).isEqualTo(filled(PAGE, 1));
        assertThat(read(reopened, 2 * PAGE, PAGE)).isEqualTo(filled(PAGE, 3));
    }

    @Test
    void aWriteOverUntrimmedJournaledBytesWinsAfterACrash() {
        Handle file = join(start().open("log", true));
        // A journaled page whose writeback fails stays in the journal and holds back the trim of
        // every later journaled change of the file.
        journaled(file, 5 * PAGE, filled(PAGE, 5));
        device.failWhen(bio -> bio.op() == BioOp.WRITE, Errno.EIO);
        join(engine.sync());
        device.heal();
        assertThat(errno(engine.fsync(file))).isEqualTo(Errno.EIO);
        journaled(file, 0, filled(2 * PAGE, 1)); // untrimmed until the next start
        join(engine.write(file, 0, bytes(PAGE, 2))); // cached, over the journaled bytes
        join(engine.fsync(file)); // written back, flushed, committed
        crash();

        Handle reopened = join(start().open("log", true));

        assertThat(read(reopened, 0, PAGE)).as("the fsync'd cached write, not the older journaled bytes")
                .isEqualTo(filled(PAGE, 2));
        assertThat(read(reopened, PAGE, PAGE)).isEqualTo(filled(PAGE, 1));
        assertThat(read(reopened, 5 * PAGE, PAGE)).as("the journaled page whose write failed is replayed")
                .isEqualTo(filled(PAGE, 5));
    }

    @Test
    void manyConcurrentJournaledWritesNeverOverflowASmallStash() {
        persistence = "pekko.persistence.typed.stash-capacity = 8\nwritebackd.persistence.max-outstanding-commands = 4";
        Handle a = join(start().open("a", true));
        Handle b = join(engine.open("b", true));
        int writes = 600;
        List<CompletableFuture<WriteResult>> answers = new ArrayList<>();
        for (int i = 0; i < writes; i++) {
            answers.add(engine.write(i % 2 == 0 ? a : b, 100L * (i / 2), bytes(100, 1 + i % 200), Durability.JOURNALED)
                    .toCompletableFuture());
        }
        answers.forEach(answer -> assertThat(join(answer).bytesWritten()).isEqualTo(100));
        crash();

        Handle reopenedA = join(start().open("a", true));
        Handle reopenedB = join(engine.open("b", true));

        for (int i = 0; i < writes; i++) {
            assertThat(read(i % 2 == 0 ? reopenedA : reopenedB, 100L * (i / 2), 100)).as("write " + i)
                    .isEqualTo(filled(100, 1 + i % 200));
        }
    }

    @Test
    void unlinkingAFileDropsItsJournaledDataWhileOpenHandlesStillWrite() throws SQLException {
        Handle file = join(start().open("log", true));
        journaled(file, 0, filled(PAGE, 1));

        join(engine.unlink("log"));

        await().atMost(Duration.ofSeconds(20)).until(() -> journalEvents(1) == 0);
        assertThat(journaled(file, PAGE, filled(PAGE, 2)).bytesWritten()).isEqualTo(PAGE);
        assertThat(read(file, 0, 2 * PAGE)).isEqualTo(concat(filled(PAGE, 1), filled(PAGE, 2)));
        assertThat(journalEvents(-1)).as("the unlinked file journals nothing more").isLessThanOrEqualTo(1);
        crash();
        start();
        assertThat(errno(engine.open("log", false))).isEqualTo(Errno.ENOENT);
        assertThat(join(engine.stats()).dirtyPages()).isZero();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    @Test
    void badInputIsRefusedAndJournalsNothing() throws SQLException {
        Handle file = join(start().open("log", true));
        Handle closed = join(engine.open("other", true));
        join(engine.close(closed));

        assertThat(errno(engine.write(file, -1, bytes(10, 1), Durability.JOURNALED))).isEqualTo(Errno.EINVAL);
        assertThat(errno(engine.write(file, Long.MAX_VALUE - 5, bytes(10, 1), Durability.JOURNALED)))
                .isEqualTo(Errno.EINVAL);
        assertThat(errno(engine.write(file, 1L << 50, bytes(10, 1), Durability.JOURNALED))).isEqualTo(Errno.EFBIG);
        assertThat(errno(engine.write(closed, 0, bytes(10, 1), Durability.JOURNALED))).isEqualTo(Errno.EBADF);
        assertThat(errno(engine.write(file, 0, null, Durability.JOURNALED))).isEqualTo(Errno.EINVAL);

        assertThat(journalEvents(-1)).isZero();
        assertThat(join(engine.stats()).dirtyPages()).isZero();
    }

    @Test
    void withoutADataDirectoryJournaledWritesAreNotSupported() {
        MemoryDevice memory = new MemoryDevice(PAGE, DEVICE_BYTES);
        Engine inMemory = Engines.start(memory, "");
        try {
            Handle file = join(inMemory.open("log", true));
            var refused = failure(inMemory.write(file, 0, bytes(PAGE, 1), Durability.JOURNALED));
            assertThat(refused.errno()).isEqualTo(Errno.ENOTSUP);
            assertThat(refused.getMessage()).contains("data directory");
            assertThat(join(inMemory.stats()).dirtyPages()).isZero();
            assertThat(join(inMemory.read(file, 0, PAGE)).remaining()).isZero();
        } finally {
            Engines.stop(inMemory);
        }
    }

    @Test
    void theExt2LayoutDoesNotSupportJournaledWrites() {
        engine = Engine.start(Settings.load(ConfigFactory.parseString(QUIET + "writebackd.layout = ext2")), device,
                config());
        Handle file = join(engine.open("log", true));

        assertThat(errno(engine.write(file, 0, bytes(PAGE, 1), Durability.JOURNALED))).isEqualTo(Errno.ENOTSUP);
        assertThat(join(engine.read(file, 0, PAGE)).remaining()).isZero();
    }

    /**
     * The journaled-data events in the journal database; with {@code sequenceNr} positive only
     * those with that sequence number (the first event of each file).
     */
    private long journalEvents(long sequenceNr) throws SQLException {
        String sql = "SELECT COUNT(*) FROM \"event_journal\" WHERE NOT \"deleted\" AND \"persistence_id\" LIKE 'journaled|%'"
                + (sequenceNr > 0 ? " AND \"sequence_number\" = " + sequenceNr : "");
        try (Connection connection = JournalDatabase.fromConfig(PersistenceConfig.forDataDir(dataDir)).connect();
                PreparedStatement statement = connection.prepareStatement(sql);
                ResultSet result = statement.executeQuery()) {
            result.next();
            return result.getLong(1);
        }
    }

    private static byte[] pattern(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
