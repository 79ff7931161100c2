package dev.writebackd.actors;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.engine.MetadataCommitter;
import dev.writebackd.actors.engine.SharedLayout;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.config.Settings;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/** Starting engines on test devices with an in-memory journal, and reading their answers. */
final class Engines {
    static final int PAGE = 4096;
    private static final Duration WAIT = Duration.ofSeconds(20);

    private Engines() {}

    /** An engine with a 16 MiB cache over {@code device}, with extra settings in HOCON. */
    static Engine start(BlockDevice device, String settings) {
        return start(device, settings, MetadataCommitter::inMemory);
    }

    static Engine start(BlockDevice device, String settings, Function<SharedLayout, MetadataCommitter> committer) {
        Settings parsed = Settings.load(ConfigFactory.parseString("writebackd.page-cache.cache-budget = 16 MiB\n"
                + settings));
        return Engine.start(parsed, device, journal(), committer);
    }

    /** Shuts {@code engine} down and waits until it has stopped, whether or not it wrote everything back. */
    static void stop(Engine engine) {
        join(engine.shutdown().handle((ok, failure) -> null));
    }

    /** The actor system's configuration: Pekko's in-memory test journal. */
    static Config journal() {
        return EventSourcedBehaviorTestKit.config();
    }

    /** The stage's value, failing the test if it fails or takes too long. */
    static <T> T join(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError("failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("no answer within " + WAIT, e);
        }
    }

    /** The errno the stage fails with, or {@code null} if it succeeds. */
    static Errno errno(CompletionStage<?> stage) {
        try {
            stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(ErrnoException.class);
            return ((ErrnoException) e.getCause()).errno();
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("no answer within " + WAIT, e);
        }
    }

    /** The exception the stage fails with. */
    static ErrnoException failure(CompletionStage<?> stage) {
        try {
            stage.toCompletableFuture().join();
            throw new AssertionError("succeeded");
        } catch (CompletionException e) {
            assertThat(e.getCause()).isInstanceOf(ErrnoException.class);
            return (ErrnoException) e.getCause();
        }
    }

    static ByteBuffer bytes(int length, int fill) {
        return ByteBuffer.wrap(filled(length, fill));
    }

    static byte[] filled(int length, int fill) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) fill);
        return bytes;
    }

    static byte[] array(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
