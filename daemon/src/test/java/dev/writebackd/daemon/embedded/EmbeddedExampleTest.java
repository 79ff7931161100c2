package dev.writebackd.daemon.embedded;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.actors.Engine;
import dev.writebackd.actors.Handle;
import dev.writebackd.actors.WriteResult;
import dev.writebackd.actors.persist.PersistenceConfig;
import dev.writebackd.block.FileDevice;
import dev.writebackd.config.Settings;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's embedded-API example, run as written (with a smaller device), then read back after a restart. */
class EmbeddedExampleTest {
    private static final long DEVICE_BYTES = 64L << 20;

    @TempDir
    Path dataDir;

    @Test
    void theReadmeExampleWritesFsyncsAndReadsBackAcrossARestart() throws Exception {
        Settings settings = Settings.load();
        FileDevice device = FileDevice.open(dataDir.resolve("device.img"), settings.device().blockSize(),
                DEVICE_BYTES, settings.device().directIo());
        Engine engine = Engine.start(settings, device, PersistenceConfig.prepare(dataDir));

        Handle log = engine.open("log", true).toCompletableFuture().join();
        WriteResult written = engine.write(log, 0, ByteBuffer.wrap("hello, world".getBytes(UTF_8)))
                .toCompletableFuture().join();
        written.durable().whenComplete((ok, lost) -> { /* on stable storage, or lost with its errno */ });
        engine.fsync(log).toCompletableFuture().join();
        ByteBuffer back = engine.read(log, 0, 5).toCompletableFuture().join();
        engine.close(log).toCompletableFuture().join();
        engine.shutdown().toCompletableFuture().join();
        device.close();

        assertThat(written.bytesWritten()).isEqualTo(12);
        assertThat(UTF_8.decode(back).toString()).isEqualTo("hello");
        assertThat(written.durable().toCompletableFuture().get(30, TimeUnit.SECONDS)).isNull();

        FileDevice again = FileDevice.open(dataDir.resolve("device.img"), settings.device().blockSize(),
                DEVICE_BYTES, settings.device().directIo());
        Engine restarted = Engine.start(settings, again, PersistenceConfig.prepare(dataDir));
        try {
            Handle reopened = restarted.open("log", false).toCompletableFuture().join();
            ByteBuffer all = restarted.read(reopened, 0, 100).toCompletableFuture().join();
            assertThat(UTF_8.decode(all).toString()).isEqualTo("hello, world");
        } finally {
            restarted.shutdown().toCompletableFuture().join();
            again.close();
        }
    }
}
