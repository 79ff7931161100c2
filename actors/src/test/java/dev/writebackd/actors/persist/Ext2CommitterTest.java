package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.actors.engine.SharedLayout;
import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.actors.io.BioResult;
import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockAllocator;
import dev.writebackd.layout.Ext2Commits;
import dev.writebackd.layout.Ext2Mapper;
import dev.writebackd.layout.MapResult.Mapped;
import dev.writebackd.layout.MetadataCache;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ext2 committer against file records on Pekko's in-memory test journal and a bio actor
 * played by a test probe, so the order of map-block writes, flush and record can be watched.
 */
class Ext2CommitterTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int BLOCK = 1024;

    @TempDir
    Path syncDir;

    private ActorTestKit testKit;
    private BlockAllocator allocator;
    private MetadataCache cache;
    private Ext2Mapper mapper;
    private SharedLayout layout;
    private ActorRef<FileRecords.Command> records;
    private TestProbe<BioDispatcher.Command> bios;

    @BeforeEach
    void start() {
        testKit = ActorTestKit.create("ext2-committer", EventSourcedBehaviorTestKit.config());
        allocator = new BlockAllocator(4000);
        cache = new MetadataCache(BLOCK);
        mapper = new Ext2Mapper(allocator, BLOCK, cache);
        layout = new SharedLayout(mapper, new Ext2Commits(mapper));
        records = testKit.spawn(FileRecords.create("dev0",
                PersistenceSettings.fromConfig(testKit.system().settings().config())));
        bios = testKit.createTestProbe();
    }

    @AfterEach
    void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    @DisplayName("E1 ext2 commit: the file's dirty map blocks are written, then the device flushed, then the inode persisted")
    void dirtyMapBlocksAreWrittenAndFlushedBeforeTheInodeIsPersisted() throws Exception {
        write(1, 0, 20);
        long mapBlock = mapper.inodePointers(1).singleIndirect();
        layout.sizeChanged(1, 20 * BLOCK);

        CompletableFuture<Void> commit = committer(records, TIMEOUT).commit(1).toCompletableFuture();

        BioDispatcher.Submit write = bios.expectMessageClass(BioDispatcher.Submit.class, TIMEOUT);
        assertThat(write.bios()).singleElement().satisfies(bio -> {
            assertThat(bio.op()).isEqualTo(BioOp.WRITE);
            assertThat(bio.flags()).contains(BioFlag.META);
            assertThat(bio.segments().get(0).metaBlock()).isEqualTo(mapBlock);
        });
        assertThat(read(1).inode()).as("nothing persisted before the map block is written").isNull();
        answer(write, null);
        BioDispatcher.Submit flush = bios.expectMessageClass(BioDispatcher.Submit.class, TIMEOUT);
        assertThat(flush.bios()).extracting(Bio::op).containsExactly(BioOp.FLUSH);
        assertThat(read(1).inode()).as("nothing persisted before the flush").isNull();
        answer(flush, null);

        commit.get();
        assertThat(read(1)).isEqualTo(new FileRecord.State(20 * BLOCK, List.of(), false, mapper.inodePointers(1)));
        assertThat(cache.isDirty(mapBlock)).isFalse();
        assertThat(cache.isWriteInFlight(mapBlock)).isFalse();
    }

    @Test
    void aCommitWithEveryMapBlockOnTheDeviceNeedsNoDeviceRequest() throws Exception {
        write(1, 0, 20);
        for (long block : cache.dirtyBlocks()) {
            cache.writeCompleted(block, cache.writeIfDirty(block) != null); // fsync wrote them
        }
        layout.sizeChanged(1, 20 * BLOCK);

        committer(records, TIMEOUT).commit(1).toCompletableFuture().get();

        bios.expectNoMessage(Duration.ofMillis(100));
        assertThat(read(1).inode()).isEqualTo(mapper.inodePointers(1));
    }

    @Test
    void aMapBlockDirtiedAgainDuringItsWriteIsWaitedForAndWrittenAgain() throws Exception {
        write(1, 0, 20);
        long mapBlock = mapper.inodePointers(1).singleIndirect();
        Bio earlier = cache.writeIfDirty(mapBlock); // someone else's write, in flight
        write(1, 20, 2); // dirties it again
        layout.sizeChanged(1, 22 * BLOCK);

        CompletableFuture<Void> commit = committer(records, TIMEOUT).commit(1).toCompletableFuture();

        bios.expectNoMessage(Duration.ofMillis(100));
        assertThat(commit).isNotDone();
        cache.writeCompleted(mapBlock, earlier != null);
        BioDispatcher.Submit again = bios.expectMessageClass(BioDispatcher.Submit.class, TIMEOUT);
        assertThat(again.bios()).singleElement().satisfies(bio ->
                assertThat(bio.segments().get(0).metaBlock()).isEqualTo(mapBlock));
        answer(again, null);
        answer(bios.expectMessageClass(BioDispatcher.Submit.class, TIMEOUT), null);
        commit.get();
        assertThat(read(1).inode()).isEqualTo(mapper.inodePointers(1));
    }

    @Test
    void aFailedMapBlockWriteFailsTheCommitAndLeavesTheBlockDirty() {
        write(1, 0, 20);
        long mapBlock = mapper.inodePointers(1).singleIndirect();
        layout.sizeChanged(1, 20 * BLOCK);

        CompletableFuture<Void> commit = committer(records, TIMEOUT).commit(1).toCompletableFuture();
        answer(bios.expectMessageClass(BioDispatcher.Submit.class, TIMEOUT), Errno.EIO);

        assertThat(errno(commit)).isEqualTo(Errno.EIO);
        assertThat(cache.isDirty(mapBlock)).isTrue();
        assertThat(read(1).inode()).isNull();
    }

    @Test
    void truncatedBlocksAreReusableOnlyOnceTheCommitIsPersisted() throws Exception {
        write(1, 0, 10);
        layout.sizeChanged(1, 10 * BLOCK);
        committer(records, TIMEOUT).commit(1).toCompletableFuture().get();
        layout.truncate(1, 4);
        layout.sizeChanged(1, 4 * BLOCK);
        long freeBefore = allocator.freeBlocks();

        ActorRef<FileRecords.Command> silent = testKit.spawn(Behaviors.<FileRecords.Command>ignore());
        assertThat(errno(committer(silent, Duration.ofMillis(300)).commit(1).toCompletableFuture()))
                .isEqualTo(Errno.EIO);
        assertThat(allocator.freeBlocks()).as("not persisted: the frees stay pending").isEqualTo(freeBefore);
        assertThat(allocator.pendingFreeBlocks()).isEqualTo(6);

        committer(records, TIMEOUT).commit(1).toCompletableFuture().get();
        assertThat(allocator.freeBlocks()).isEqualTo(freeBefore + 6);
        assertThat(read(1)).isEqualTo(new FileRecord.State(4 * BLOCK, List.of(), false, mapper.inodePointers(1)));
    }

    @Test
    void anUnlinkedFilesCommitDeletesItsRecordAndReleasesItsBlocks() throws Exception {
        write(1, 0, 14);
        layout.sizeChanged(1, 14 * BLOCK);
        Ext2Committer committer = committer(records, TIMEOUT);
        CompletableFuture<Void> first = committer.commit(1).toCompletableFuture();
        answer(bios.expectMessageClass(BioDispatcher.Submit.class, TIMEOUT), null);
        answer(bios.expectMessageClass(BioDispatcher.Submit.class, TIMEOUT), null);
        first.get();
        long freeBefore = allocator.freeBlocks();

        layout.deleteFile(1);
        committer.commit(1).toCompletableFuture().get();

        assertThat(read(1).deleted()).isTrue();
        assertThat(allocator.freeBlocks()).isEqualTo(freeBefore + 15);
        assertThat(committer.commit(1).toCompletableFuture()).isCompleted();
    }

    private Ext2Committer committer(ActorRef<FileRecords.Command> target, Duration askTimeout) {
        JournalDatabase database = new JournalDatabase(
                "jdbc:h2:file:" + syncDir.resolve("sync") + ";WRITE_DELAY=0", "sa", "");
        return new Ext2Committer(layout, cache, target, bios.ref(), new JournalSync(database),
                testKit.system().dispatchers().lookup(DispatcherSelector.blocking()), testKit.scheduler(), askTimeout);
    }

    private void write(long inode, long from, long count) {
        for (long b = from; b < from + count; ) {
            Mapped m = (Mapped) layout.map(inode, b, (int) (from + count - b), true);
            b += m.count();
        }
    }

    private static void answer(BioDispatcher.Submit submit, Errno error) {
        submit.replyTo().tell(new BioDispatcher.Completed(
                submit.bios().stream().map(bio -> new BioResult(bio, error)).toList()));
    }

    private FileRecord.State read(long inode) {
        return AskPattern.<FileRecords.Command, FileRecord.State>ask(records,
                replyTo -> new FileRecords.Deliver(inode, new FileRecord.Get(replyTo)), TIMEOUT, testKit.scheduler())
                .toCompletableFuture().join();
    }

    private static Errno errno(CompletableFuture<?> stage) {
        try {
            stage.get(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(FileError.class);
            return ((FileError) e.getCause()).errno();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("the commit succeeded");
    }
}
