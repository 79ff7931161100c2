package dev.writebackd.actors.persist;

import com.typesafe.config.ConfigFactory;
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

    public static void main(String[] args) throws Exception {
        Path devicePath = Path.of(args[0]);
        Path dataDir = Path.of(args[1]);
        long seed = Long.parseLong(args[2]);
        try {
            FileDevice device = FileDevice.open(devicePath, EngineWorkload.PAGE, EngineWorkload.DEVICE_BYTES, false);
            Settings settings = Settings.load(ConfigFactory.parseString("writebackd.page-cache.cache-budget = 16 MiB"));
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
