package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.Engine;
import dev.writebackd.actors.Handle;
import dev.writebackd.block.DeviceHeader;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.config.Settings;
import dev.writebackd.layout.Ext2Mapper.InodePointers;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ext2 engine refuses to start when the committed inodes and the map blocks they reach on the
 * device claim a block twice, naming the block and both files.
 */
class Ext2StartupCheckTest {
    private static final int BLOCK = 1024;
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dataDir;

    private final MemoryDevice device = new MemoryDevice(BLOCK, 16L << 20);
    private final Settings settings = Settings.load(ConfigFactory.parseString(
            "writebackd.layout = ext2\nwritebackd.page-cache.cache-budget = 16 MiB"));

    @Test
    void aSecondInodeReachingAFilesMapBlockStopsTheStart() throws Exception {
        Engine engine = Engine.start(settings, device, PersistenceConfig.prepare(dataDir));
        Handle file = engine.open("a", true).toCompletableFuture().join();
        engine.write(file, 0, ByteBuffer.wrap(new byte[20 * BLOCK])).toCompletableFuture().join();
        engine.fsync(file).toCompletableFuture().join();
        engine.shutdown().toCompletableFuture().join();
        String deviceId = DeviceHeader.read(device).id().toString();

        Config config = PersistenceConfig.prepare(dataDir);
        ActorTestKit testKit = ActorTestKit.create("records", config);
        long single;
        try {
            PersistenceSettings persistence = PersistenceSettings.fromConfig(config);
            ActorRef<Namespace.Command> namespace = testKit.spawn(Namespace.create(deviceId, persistence));
            ActorRef<FileRecords.Command> records = testKit.spawn(FileRecords.create(deviceId, persistence));
            TestProbe<Namespace.Listing> listed = testKit.createTestProbe();
            namespace.tell(new Namespace.List(listed.ref()));
            long inodeOfA = listed.receiveMessage(WAIT).entries().get("a");
            TestProbe<FileRecord.State> state = testKit.createTestProbe();
            records.tell(new FileRecords.Deliver(inodeOfA, new FileRecord.Get(state.ref())));
            InodePointers pointersOfA = state.receiveMessage(WAIT).inode();
            single = pointersOfA.singleIndirect();
            assertThat(single).isPositive();

            TestProbe<StatusReply<Namespace.Created>> created = testKit.createTestProbe();
            namespace.tell(new Namespace.Create("b", created.ref()));
            long inodeOfB = created.receiveMessage(WAIT).getValue().inode();
            TestProbe<StatusReply<FileRecord.Committed>> committed = testKit.createTestProbe();
            InodePointers damaged = new InodePointers(pointersOfA.direct().stream().map(p -> 0L).toList(), single, 0, 0);
            records.tell(new FileRecords.Deliver(inodeOfB, new FileRecord.CommitInode(8 * BLOCK, damaged,
                    committed.ref())));
            committed.receiveMessage(WAIT).getValue();
        } finally {
            testKit.shutdownTestKit();
        }

        assertThatThrownBy(() -> Engine.start(settings, device, PersistenceConfig.prepare(dataDir)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("refusing to start")
                .hasMessageContaining("block " + single + " is mapped by inode");
    }
}
