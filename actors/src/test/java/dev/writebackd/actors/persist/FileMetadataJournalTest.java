package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.writebackd.layout.BlockAllocator;
import dev.writebackd.layout.Extent;
import dev.writebackd.layout.ExtentMapper;
import dev.writebackd.layout.MapResult.Mapped;
import dev.writebackd.layout.MappingJournal;
import dev.writebackd.layout.StartupCheck;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** File metadata on the real journal: committed in one actor system, restored and checked in the next. */
class FileMetadataJournalTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int BLOCK = 4096;
    private static final long DEVICE_BLOCKS = 10_000;
    private static final Config SNAPSHOT_EVERY_FIVE = ConfigFactory.parseString("writebackd.persistence.snapshot-every = 5");
    private static final List<Long> INODES = List.of(1L, 2L, 3L, 4L, 5L);

    @TempDir
    Path dataDir;

    /** One actor system's view of the device: the layout, its journal, the records and the committer. */
    private record Device(ExtentMapper mapper, MappingJournal journal, ActorRef<FileRecords.Command> records,
            PersistentCommitter committer) {

        static Device start(ActorTestKit testKit, ExtentMapper mapper) {
            Config config = testKit.system().settings().config();
            MappingJournal journal = new MappingJournal(mapper);
            ActorRef<FileRecords.Command> records =
                    testKit.spawn(FileRecords.create("dev0", PersistenceSettings.fromConfig(config)));
            PersistentCommitter committer = new PersistentCommitter(journal, records,
                    new JournalSync(JournalDatabase.fromConfig(config)),
                    testKit.system().dispatchers().lookup(DispatcherSelector.blocking()), testKit.scheduler(), TIMEOUT);
            return new Device(mapper, journal, records, committer);
        }

        /** Maps {@code count} new blocks at {@code logical}, their data durable at once, and sets the size. */
        Extent write(long inode, long logical, int count) {
            Mapped mapped = (Mapped) journal.map(inode, logical, count, true);
            Extent run = new Extent(logical, mapped.physicalBlock(), mapped.count());
            journal.dataDurable(inode, List.of(run));
            journal.sizeChanged(inode, Math.max(size(inode), (logical + count) * BLOCK));
            return run;
        }

        long size(long inode) {
            return journal.extents(inode).stream().mapToLong(Extent::logicalEnd).max().orElse(0) * BLOCK;
        }

        void commit(long inode) throws Exception {
            committer.commit(inode).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void committedMetadataIsRestoredByANewActorSystemAndPassesTheStartupCheck() throws Exception {
        Map<Long, FileRecord.State> expected = new TreeMap<>();
        List<Extent> freed = new ArrayList<>();
        List<Extent> neverCommitted = new ArrayList<>();
        ActorTestKit first = ActorTestKit.create("first", PersistenceConfig.prepare(dataDir, SNAPSHOT_EVERY_FIVE));
        try {
            Device device = Device.start(first, new ExtentMapper(new BlockAllocator(DEVICE_BLOCKS), BLOCK));
            // 1: written and committed in three steps, the last chunk out of order.
            device.write(1, 0, 16);
            device.commit(1);
            device.write(1, 32, 8);
            device.write(1, 16, 16);
            device.commit(1);
            // 2: written, committed, truncated to a partial block, committed.
            Extent whole = device.write(2, 0, 20);
            device.commit(2);
            freed.add(new Extent(5, whole.physical() + 5, 15));
            device.journal().truncate(2, 5);
            device.journal().sizeChanged(2, 4L * BLOCK + 100);
            device.commit(2);
            // 3: written, committed, unlinked, committed.
            device.write(3, 0, 10);
            device.commit(3);
            freed.addAll(device.journal().extents(3));
            device.journal().deleteFile(3);
            device.commit(3);
            // 4: one run committed, a second mapped whose data never became durable.
            Extent durable = device.write(4, 0, 2);
            Mapped pending = (Mapped) device.journal().map(4, 2, 6, true);
            neverCommitted.add(new Extent(2, pending.physicalBlock(), pending.count()));
            device.commit(4);
            // 5: many small commits, so that its record recovers from a snapshot.
            for (int i = 0; i < 12; i++) {
                device.write(5, 3L * i, 2);
                device.commit(5);
            }
            for (long inode : INODES) {
                device.commit(inode);
            }
            expected.put(1L, new FileRecord.State(40L * BLOCK, device.journal().extents(1), false));
            expected.put(2L, new FileRecord.State(4L * BLOCK + 100, List.of(new Extent(0, whole.physical(), 5)), false));
            expected.put(3L, new FileRecord.State(0, List.of(), true));
            expected.put(4L, new FileRecord.State(2L * BLOCK, List.of(durable), false));
            expected.put(5L, new FileRecord.State(35L * BLOCK, device.journal().extents(5), false));
            assertThat(device.journal().extents(5)).hasSize(12);
        } finally {
            first.shutdownTestKit();
        }

        ActorTestKit second = ActorTestKit.create("second", PersistenceConfig.prepare(dataDir, SNAPSHOT_EVERY_FIVE));
        try {
            ExtentMapper mapper = new ExtentMapper(new BlockAllocator(DEVICE_BLOCKS), BLOCK);
            Device device = Device.start(second, mapper);
            Map<Long, FileRecord.State> states = FileRecords.readAll(device.records(), INODES, TIMEOUT, second.scheduler())
                    .toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(states).isEqualTo(expected);

            Map<Long, List<Extent>> committed = new TreeMap<>();
            states.forEach((inode, state) -> committed.put(inode, state.extents()));
            assertThat(StartupCheck.rebuild(mapper, committed)).isEmpty();
            states.forEach((inode, state) -> {
                assertThat(mapper.extents(inode)).as("inode %d", inode).isEqualTo(state.extents());
                device.journal().restored(inode, state.size());
            });
            for (Extent run : concat(freed, neverCommitted)) {
                for (long b = run.physical(); b < run.physicalEnd(); b++) {
                    assertThat(mapper.allocator().isFree(b)).as("block %d of %s", b, run).isTrue();
                }
            }

            Extent appended = device.write(2, 5, 3);
            device.commit(2);
            assertThat(FileRecords.readAll(device.records(), List.of(2L), TIMEOUT, second.scheduler())
                    .toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).get(2L).extents())
                    .as("a restored file commits on top of its restored map")
                    .isEqualTo(device.journal().extents(2))
                    .containsExactly(new Extent(0, appended.physical() - 5, 8));
        } finally {
            second.shutdownTestKit();
        }
    }

    private static List<Extent> concat(List<Extent> a, List<Extent> b) {
        List<Extent> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
