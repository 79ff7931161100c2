package dev.writebackd.actors.persist;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.Engine;
import dev.writebackd.actors.Handle;
import dev.writebackd.block.FileDevice;
import dev.writebackd.config.Settings;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The crash test's writer: an engine on a file device and a data directory, with
 * {@link StripedWorkload#WRITERS} threads running their {@link StripedWorkload} steps for seed
 * {@code args[2]} until the process is killed. Writer {@code w} prints {@code START w n} before its
 * step {@code n} and {@code SYNCED w n} once that step's fsync is acknowledged.
 */
public final class StripedWriterMain {
    /** Printed once the engine has started and the files exist. */
    static final String READY = "READY";
    static final int FILES = 12;
    static final int FILE_BYTES = 8 * StripedWorkload.ROUND;
    static final int FSYNC_ONE_IN = 30;
    static final int PAGE = 4096;
    static final long DEVICE_BYTES = 16L << 20;
    /** Small thresholds and intervals: background and periodic writeback and periodic commits all run. */
    static final String SETTINGS = """
            writebackd.page-cache.cache-budget = 16 MiB
            writebackd.writeback {
              dirty-background-bytes = 128 KiB
              dirty-bytes = 512 KiB
              dirty-expire-interval = 200 ms
              writeback-interval = 100 ms
              commit-interval = 250 ms
              min-chunk = 64 KiB
            }
            """;

    private StripedWriterMain() {}

    public static void main(String[] args) throws Exception {
        Path devicePath = Path.of(args[0]);
        Path dataDir = Path.of(args[1]);
        long seed = Long.parseLong(args[2]);
        try {
            FileDevice device = FileDevice.open(devicePath, PAGE, DEVICE_BYTES, false);
            Engine engine = Engine.start(Settings.load(ConfigFactory.parseString(SETTINGS)), device,
                    PersistenceConfig.prepare(dataDir));
            for (int f = 0; f < FILES; f++) {
                Handle handle = engine.open(StripedWorkload.name(f), true).toCompletableFuture().join();
                engine.close(handle).toCompletableFuture().join();
            }
            System.out.println(READY);
            Thread[] writers = new Thread[StripedWorkload.WRITERS];
            for (int w = 0; w < writers.length; w++) {
                int writer = w;
                writers[w] = new Thread(() -> write(engine, seed, writer), "writer-" + w);
                writers[w].start();
            }
            for (Thread writer : writers) {
                writer.join();
            }
        } catch (Throwable e) {
            System.out.println("FAILED " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static void write(Engine engine, long seed, int writer) {
        try {
            Handle[] handles = new Handle[FILES];
            for (int f = 0; f < FILES; f++) {
                handles[f] = engine.open(StripedWorkload.name(f), false).toCompletableFuture().join();
            }
            StripedWorkload steps = new StripedWorkload(seed, writer, FILES, FILE_BYTES, FSYNC_ONE_IN);
            for (int n = 0; ; n++) {
                StripedWorkload.Step step = steps.next();
                System.out.println("START " + writer + " " + n);
                if (step.isFsync()) {
                    engine.fsync(handles[step.file()]).toCompletableFuture().join();
                    System.out.println("SYNCED " + writer + " " + n);
                } else {
                    engine.write(handles[step.file()], step.offset(), ByteBuffer.wrap(step.data()))
                            .toCompletableFuture().join();
                }
            }
        } catch (Throwable e) {
            System.out.println("FAILED writer " + writer + ": " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }
}
