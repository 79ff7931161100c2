package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.bytes;
import static dev.writebackd.actors.Engines.errno;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.engine.EngineCounters;
import dev.writebackd.actors.engine.HoldingDevice;
import dev.writebackd.actors.persist.PersistenceConfig;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.config.Settings;
import dev.writebackd.error.Errno;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine's parts feed {@link EngineCounters} as they work: what {@link Engine#counters()} shows. */
class EngineCountersObservedTest {
    private final MemoryDevice memory = new MemoryDevice(PAGE, 64L << 20);
    private final HoldingDevice device = new HoldingDevice(memory);
    private Engine engine;

    @AfterEach
    void shutDown() {
        device.release();
        if (engine != null) {
            Engines.stop(engine);
        }
    }

    @Test
    void eachFinishedWriteBioIsCountedWithItsSize() {
        engine = Engines.start(device, "");
        Handle file = join(engine.open("file", true));
        join(engine.write(file, 0, bytes(10 * PAGE, 1)));

        join(engine.fsync(file));

        EngineCounters.Snapshot counters = engine.counters();
        int bucket = EngineCounters.BIO_SIZE_BOUNDS.indexOf(65536L); // 40 KiB lands in (32 KiB, 64 KiB]
        assertThat(counters.bioSizeCounts().get(bucket)).isEqualTo(1);
        assertThat(counters.bios()).isEqualTo(join(engine.stats()).biosSubmitted() - flushes());
        assertThat(counters.bioBytes()).isEqualTo(10L * PAGE);
        assertThat(counters.writeErrorsByErrno()).isEmpty();
    }

    @Test
    void failedWritesAreCountedByTheirErrno() {
        engine = Engines.start(device, "");
        Handle file = join(engine.open("file", true));
        join(engine.write(file, 0, bytes(PAGE, 1)));
        memory.failNext(BioOp.WRITE, Errno.ENOSPC, 1);

        assertThat(errno(engine.fsync(file))).isEqualTo(Errno.ENOSPC);

        assertThat(engine.counters().writeErrorsByErrno()).isEqualTo(Map.of(Errno.ENOSPC, 1L));
    }

    @Test
    void aWriterTheThrottleDelaysIsCountedWithItsPause() {
        engine = Engines.start(device, "writebackd.writeback { dirty-bytes = 400 KiB }"); // 100 pages
        Handle file = join(engine.open("file", true));
        device.hold();

        CompletionStage<WriteResult> write = engine.write(file, 0, bytes(120 * PAGE, 2));

        await().until(() -> engine.counters().throttlePauses() > 0);
        assertThat(engine.counters().throttlePauseNanos()).isPositive();
        device.release();
        join(write);
    }

    @Test
    void theBandwidthEstimateAndTheDeviceIdAreShown() {
        engine = Engines.start(device, "");

        // the initial estimate until measured, published by the coordinator as it starts (just after start returns)
        await().untilAsserted(() -> assertThat(engine.bandwidthBytesPerSec()).isPositive());
        assertThat(engine.deviceId()).isNotBlank();
    }

    @Test
    void persistedMetadataCommitsAreCountedAsJournalEvents(@TempDir Path dataDir) throws Exception {
        Settings settings = Settings.load(ConfigFactory.parseString("writebackd.page-cache.cache-budget = 16 MiB"));
        engine = Engine.start(settings, device, PersistenceConfig.prepare(dataDir));
        Handle file = join(engine.open("file", true));
        assertThat(engine.counters().journalEvents()).isZero();
        join(engine.write(file, 0, bytes(3 * PAGE, 1)));

        join(engine.fsync(file));

        assertThat(engine.counters().journalEvents()).isEqualTo(1);
    }

    private long flushes() {
        return memory.requests().stream().filter(request -> request.op() == BioOp.FLUSH).count();
    }
}
