package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockAllocator;
import dev.writebackd.layout.Extent;
import dev.writebackd.layout.ExtentMapper;
import dev.writebackd.layout.MapResult.Mapped;
import dev.writebackd.layout.MappingJournal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committer against file records on Pekko's in-memory test journal, which can fail writes on
 * command; the forced sync runs against a small H2 database of its own. JournalTest-style tests
 * on the real journal are in {@link FileMetadataJournalTest}.
 */
class PersistentCommitterTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration SHORT_ASK = Duration.ofMillis(500);
    private static final int BLOCK = 4096;

    @TempDir
    Path syncDir;

    private ActorTestKit testKit;
    private PersistenceTestKit journalKit;
    private ExtentMapper mapper;
    private MappingJournal journal;
    private ActorRef<FileRecords.Command> records;

    @BeforeEach
    void start() {
        testKit = ActorTestKit.create("committer", EventSourcedBehaviorTestKit.config());
        journalKit = PersistenceTestKit.create(testKit.system());
        mapper = new ExtentMapper(new BlockAllocator(100_000), BLOCK);
        journal = new MappingJournal(mapper);
        records = testKit.spawn(FileRecords.create("dev0", PersistenceSettings.fromConfig(testKit.system().settings().config())));
    }

    @AfterEach
    void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void aCommitPersistsTheFilesDurableMappingsAndItsSize() {
        PersistentCommitter committer = committer(records, TIMEOUT);
        Extent run = write(1, 0, 8);
        Extent notDurable = write(1, 8, 2);
        journal.dataDurable(1, List.of(run));
        journal.sizeChanged(1, 10L * BLOCK);

        assertThat(committer.commit(1)).succeedsWithin(TIMEOUT);

        assertThat(read(1)).isEqualTo(new FileRecord.State(10L * BLOCK, List.of(run), false));
        assertThat(read(1).extents()).doesNotContain(notDurable);
    }

    @Test
    void freedBlocksBecomeReusableOnlyOnceTheirFreeIsCommitted() {
        PersistentCommitter committer = committer(records, TIMEOUT);
        Extent run = commitNewRun(committer, 1, 0, 6);
        journal.truncate(1, 2);
        journal.sizeChanged(1, 2L * BLOCK);
        assertThat(mapper.allocator().isPendingFree(run.physical() + 2)).isTrue();

        assertThat(committer.commit(1)).succeedsWithin(TIMEOUT);

        assertThat(mapper.allocator().isFree(run.physical() + 2)).isTrue();
        assertThat(read(1)).isEqualTo(new FileRecord.State(2L * BLOCK, List.of(new Extent(0, run.physical(), 2)), false));
    }

    @Test
    void unlinkDeletesTheRecordAndFreesItsBlocksAfterTheCommit() {
        PersistentCommitter committer = committer(records, TIMEOUT);
        Extent run = commitNewRun(committer, 1, 0, 4);
        journal.deleteFile(1);

        assertThat(committer.commit(1)).succeedsWithin(TIMEOUT);

        assertThat(read(1)).isEqualTo(new FileRecord.State(0, List.of(), true));
        assertThat(mapper.allocator().isFree(run.physical())).isTrue();
    }

    @Test
    void commitsWithNothingNewPersistNothing() {
        PersistentCommitter committer = committer(records, TIMEOUT);
        commitNewRun(committer, 1, 0, 1);
        List<CompletionStage<Void>> commits = new ArrayList<>();

        for (int i = 0; i < 10; i++) {
            commits.add(committer.commit(1));
        }

        commits.forEach(commit -> assertThat(commit).succeedsWithin(TIMEOUT));
        assertThat(journalKit.persistedInStorage(FileRecord.persistenceId("dev0", 1).id())).hasSize(1);
    }

    @Test
    void aJournalFailureFailsTheCommitAndTheNextCommitPersistsTheBatchOnce() {
        PersistentCommitter committer = committer(records, SHORT_ASK);
        Extent first = commitNewRun(committer, 1, 0, 2);
        journal.truncate(1, 1);
        Extent run = write(1, 2, 3);
        journal.dataDurable(1, List.of(run));
        journal.sizeChanged(1, 5L * BLOCK);
        journalKit.failNextPersisted(FileRecord.persistenceId("dev0", 1).id());

        assertThat(committer.commit(1)).failsWithin(TIMEOUT).withThrowableOfType(ExecutionException.class)
                .havingCause().isInstanceOfSatisfying(FileError.class, e -> assertThat(e.errno()).isEqualTo(Errno.EIO));
        assertThat(mapper.allocator().isPendingFree(first.physical() + 1)).as("the free is not committed").isTrue();
        assertThat(committer.commit(1)).succeedsWithin(TIMEOUT);

        assertThat(read(1).extents()).containsExactly(new Extent(0, first.physical(), 1), new Extent(2, run.physical(), 3));
        assertThat(journalKit.persistedInStorage(FileRecord.persistenceId("dev0", 1).id())).hasSize(2);
        assertThat(mapper.allocator().isFree(first.physical() + 1)).isTrue();
    }

    @Test
    void aCommitWhoseAnswerWasLostIsFoundInTheRecordAndNotPersistedAgain() {
        AtomicBoolean dropped = new AtomicBoolean();
        ActorRef<Object> nowhere = testKit.<Object>createTestProbe().ref();
        ActorRef<FileRecords.Command> losingFirstAnswer = testKit.spawn(Behaviors.receive(FileRecords.Command.class)
                .onMessage(FileRecords.Deliver.class, deliver -> {
                    if (deliver.command() instanceof FileRecord.Commit commit && dropped.compareAndSet(false, true)) {
                        records.tell(new FileRecords.Deliver(deliver.inode(), new FileRecord.Commit(
                                commit.size(), commit.mapped(), commit.freed(), nowhere.unsafeUpcast())));
                    } else {
                        records.tell(deliver);
                    }
                    return Behaviors.same();
                })
                .build());
        PersistentCommitter committer = committer(losingFirstAnswer, SHORT_ASK);
        Extent run = write(1, 0, 3);
        journal.dataDurable(1, List.of(run));
        journal.sizeChanged(1, 3L * BLOCK);

        assertThat(committer.commit(1)).failsWithin(TIMEOUT);
        assertThat(committer.commit(1)).succeedsWithin(TIMEOUT);

        assertThat(read(1).extents()).containsExactly(run);
        assertThat(journalKit.persistedInStorage(FileRecord.persistenceId("dev0", 1).id())).hasSize(1);
        journal.truncate(1, 0);
        journal.sizeChanged(1, 0);
        assertThat(committer.commit(1)).succeedsWithin(TIMEOUT);
        assertThat(mapper.allocator().isFree(run.physical())).isTrue();
    }

    @Test
    void aBatchTheRecordRefusesFailsTheCommitAndPersistsNothing() {
        PersistentCommitter committer = committer(records, TIMEOUT);
        CompletionStage<FileRecord.Committed> elsewhere = AskPattern.askWithStatus(
                records, replyTo -> new FileRecords.Deliver(1, new FileRecord.Commit(
                        BLOCK, List.of(new Extent(0, 900, 1)), List.of(), replyTo)),
                TIMEOUT, testKit.scheduler());
        assertThat(elsewhere).succeedsWithin(TIMEOUT);
        Extent run = write(1, 0, 1);
        journal.dataDurable(1, List.of(run));
        journal.sizeChanged(1, BLOCK);

        assertThat(committer.commit(1)).failsWithin(TIMEOUT).withThrowableOfType(ExecutionException.class)
                .havingCause().havingCause().isInstanceOfSatisfying(FileError.class,
                        e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));

        assertThat(read(1).extents()).containsExactly(new Extent(0, 900, 1));
        assertThat(journal.drain(1).orElseThrow().mapped()).as("the batch went back").containsExactly(run);
    }

    @Test
    void aFailedForceFailsTheCommitAndKeepsTheFreesPending() {
        Extent run = commitNewRun(committer(records, TIMEOUT), 1, 0, 2);
        PersistentCommitter committer = new PersistentCommitter(journal, records,
                new JournalSync(new JournalDatabase("jdbc:h2:file:" + syncDir.resolve("missing/db")
                        + ";IFEXISTS=TRUE;WRITE_DELAY=0", "sa", "")),
                blocking(), testKit.scheduler(), TIMEOUT);
        journal.truncate(1, 0);
        journal.sizeChanged(1, 0);
        FileRecord.State before = read(1);

        assertThat(committer.commit(1)).failsWithin(TIMEOUT);

        assertThat(read(1)).isNotEqualTo(before);
        assertThat(read(1).extents()).isEmpty();
        assertThat(mapper.allocator().isPendingFree(run.physical())).as("persisted but not forced: not reusable").isTrue();
    }

    @Test
    void concurrentWritersAndCommitsOfManyFilesAgreeWithTheRecords() throws Exception {
        PersistentCommitter committer = committer(records, TIMEOUT);
        int files = 8;
        for (long inode = 1; inode <= files; inode++) {
            journal.sizeChanged(inode, 0);
        }
        ExecutorService writers = Executors.newFixedThreadPool(files);
        try {
            List<Future<List<CompletionStage<Void>>>> done = new ArrayList<>();
            for (long inode = 1; inode <= files; inode++) {
                long file = inode;
                done.add(writers.submit(() -> writeAndCommit(committer, file, files)));
            }
            List<CompletionStage<Void>> commits = new ArrayList<>();
            for (Future<List<CompletionStage<Void>>> writer : done) {
                commits.addAll(writer.get());
            }
            commits.forEach(commit -> assertThat(commit).succeedsWithin(TIMEOUT));
        } finally {
            writers.shutdownNow();
        }
        for (long inode = 1; inode <= files; inode++) {
            assertThat(committer.commit(inode)).succeedsWithin(TIMEOUT);
        }

        Map<Long, FileRecord.State> states = FileRecords.readAll(
                records, List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), TIMEOUT, testKit.scheduler())
                .toCompletableFuture().get();
        states.forEach((inode, state) -> assertThat(state.extents()).as("inode %d", inode)
                .isEqualTo(journal.extents(inode)));
        assertThat(journal.checkConsistency()).isEmpty();
        assertThat(mapper.allocator().pendingFreeBlocks()).isZero();
    }

    /** One writer: maps, reports durable, truncates now and then, and commits its file and others. */
    private List<CompletionStage<Void>> writeAndCommit(PersistentCommitter committer, long inode, int files) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        List<CompletionStage<Void>> commits = new ArrayList<>();
        long blocks = 0;
        for (int i = 0; i < 100; i++) {
            if (blocks > 8 && random.nextInt(10) == 0) {
                blocks = random.nextLong(blocks);
                journal.truncate(inode, blocks);
            } else {
                int count = 1 + random.nextInt(4);
                Mapped mapped = (Mapped) journal.map(inode, blocks, count, true);
                journal.dataDurable(inode, List.of(new Extent(blocks, mapped.physicalBlock(), mapped.count())));
                blocks += mapped.count();
            }
            journal.sizeChanged(inode, blocks * BLOCK);
            commits.add(committer.commit(random.nextInt(4) == 0 ? 1 + random.nextInt(files) : inode));
        }
        return commits;
    }

    private PersistentCommitter committer(ActorRef<FileRecords.Command> target, Duration askTimeout) {
        JournalDatabase database = new JournalDatabase(
                "jdbc:h2:file:" + syncDir.resolve("sync") + ";WRITE_DELAY=0", "sa", "");
        return new PersistentCommitter(journal, target, new JournalSync(database), blocking(), testKit.scheduler(), askTimeout);
    }

    private Executor blocking() {
        return testKit.system().dispatchers().lookup(DispatcherSelector.blocking());
    }

    private Extent write(long inode, long logical, int count) {
        Mapped mapped = (Mapped) journal.map(inode, logical, count, true);
        assertThat(mapped.count()).isEqualTo(count);
        return new Extent(logical, mapped.physicalBlock(), count);
    }

    private Extent commitNewRun(PersistentCommitter committer, long inode, long logical, int count) {
        Extent run = write(inode, logical, count);
        journal.dataDurable(inode, List.of(run));
        journal.sizeChanged(inode, (logical + count) * BLOCK);
        assertThat(committer.commit(inode)).succeedsWithin(TIMEOUT);
        return run;
    }

    private FileRecord.State read(long inode) {
        CompletableFuture<Map<Long, FileRecord.State>> states =
                FileRecords.readAll(records, List.of(inode), TIMEOUT, testKit.scheduler()).toCompletableFuture();
        assertThat(states).succeedsWithin(TIMEOUT);
        return states.join().get(inode);
    }
}
