package dev.writebackd.daemon.metrics;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.Engine;
import dev.writebackd.actors.persist.PersistenceConfig;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** Engines over a {@link MemoryDevice} with their journal in a test's data directory. */
public final class MemoryEngines {
    /** Bytes per page and block. */
    public static final int PAGE = 4096;
    private static final Duration WAIT = Duration.ofSeconds(20);

    private MemoryEngines() {}

    /** An engine with a 16 MiB cache over a 64 MiB memory device, its journal in {@code dataDir}. */
    public static Engine start(Path dataDir) {
        Settings settings = Settings.load(ConfigFactory.parseString("writebackd.page-cache.cache-budget = 16 MiB"));
        try {
            return Engine.start(settings, new MemoryDevice(PAGE, 64L << 20), PersistenceConfig.prepare(dataDir));
        } catch (java.io.IOException | java.sql.SQLException e) {
            throw new AssertionError("cannot prepare the journal in " + dataDir, e);
        }
    }

    /** Shuts {@code engine} down and waits, whether or not it wrote everything back. */
    public static void stop(Engine engine) {
        join(engine.shutdown().handle((ok, failure) -> null));
    }

    /** The stage's value, failing the test if it fails or takes too long. */
    public static <T> T join(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError("failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no answer within " + WAIT, e);
        }
    }
}
