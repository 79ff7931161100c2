package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.Engine;
import dev.writebackd.block.DeviceHeader;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.config.Settings;
import dev.writebackd.layout.Extent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine refuses to start on file records that map a block twice, naming the blocks and both files. */
class EngineStartupCheckTest {
    private static final int BLOCK = 4096;
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dataDir;

    @Test
    void recordsMappingABlockTwiceStopTheStart() throws Exception {
        MemoryDevice device = new MemoryDevice(BLOCK, 16L << 20);
        DeviceHeader header = DeviceHeader.create(device, "extent");
        header.write(device);
        String deviceId = header.id().toString();
        Config config = PersistenceConfig.prepare(dataDir);
        ActorTestKit testKit = ActorTestKit.create("records", config);
        try {
            PersistenceSettings settings = PersistenceSettings.fromConfig(config);
            ActorRef<Namespace.Command> namespace = testKit.spawn(Namespace.create(deviceId, settings));
            ActorRef<FileRecords.Command> records = testKit.spawn(FileRecords.create(deviceId, settings));
            TestProbe<StatusReply<Namespace.Created>> created = testKit.createTestProbe();
            TestProbe<StatusReply<FileRecord.Committed>> committed = testKit.createTestProbe();
            for (String name : List.of("a", "b")) {
                namespace.tell(new Namespace.Create(name, created.ref()));
                long inode = created.receiveMessage(WAIT).getValue().inode();
                records.tell(new FileRecords.Deliver(inode, new FileRecord.Commit(2L * BLOCK,
                        List.of(new Extent(0, 100, 2)), List.of(), committed.ref())));
                committed.receiveMessage(WAIT).getValue();
            }
        } finally {
            testKit.shutdownTestKit();
        }

        Settings engineSettings = Settings.load(ConfigFactory.parseString("writebackd.page-cache.cache-budget = 16 MiB"));
        assertThatThrownBy(() -> Engine.start(engineSettings, device, PersistenceConfig.prepare(dataDir)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("refusing to start")
                .hasMessageContaining("blocks 100..101 are mapped by inode");
    }
}
