package dev.writebackd.actors.persist;

import dev.writebackd.actors.Engine;
import dev.writebackd.actors.Handle;
import dev.writebackd.block.FileDevice;
import dev.writebackd.config.Settings;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The engine kill test's writer: an engine on a file device and a data directory, running
 * {@link EngineWorkload}'s steps for seed {@code args[2]} until it is killed. Prints
 * {@code START n} before step {@code n} and {@code SYNCED n} once step {@code n}'s fsync is
 * acknowledged.
 */
public final class EngineWriterMain {
    /** Printed once the engine has started and the files are open. */
    static final String READY = "READY";

    private EngineWriterMain() {}

    public static void main(String[] args) {
        run(Path.of(args[0]), EngineWorkload.PAGE, EngineKillTest.settings(), Path.of(args[1]), Long.parseLong(args[2]));
    }

    /**
     * Runs the workload for {@code seed} on an engine with {@code settings} on the device at
     * {@code devicePath} of {@code blockSize}-byte blocks and {@code dataDir}, printing its progress,
     * until killed; on a failure prints {@code FAILED} and exits with status 1.
     */
    static void run(Path devicePath, int blockSize, Settings settings, Path dataDir, long seed) {
        try {
            FileDevice device = FileDevice.open(devicePath, blockSize, EngineWorkload.DEVICE_BYTES, false);
            Engine engine = Engine.start(settings, device, PersistenceConfig.prepare(dataDir));
            Handle[] files = new Handle[EngineWorkload.FILES];
            for (int f = 0; f < files.length; f++) {
                files[f] = engine.open(EngineWorkload.name(f), true).toCompletableFuture().join();
            }
            System.out.println(READY);
            EngineWorkload workload = new EngineWorkload(seed);
            for (int n = 0; ; n++) {
                EngineWorkload.Step step = workload.next();
                System.out.println("START " + n);
                if (step.data() == null) {
                    engine.fsync(files[step.file()]).toCompletableFuture().join();
                    System.out.println("SYNCED " + n);
                } else {
                    engine.write(files[step.file()], step.offset(), ByteBuffer.wrap(step.data())).toCompletableFuture().join();
                }
            }
        } catch (Throwable e) {
            System.out.println("FAILED " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }
}
