package dev.writebackd.actors.persist;

import dev.writebackd.actors.Engine;
import dev.writebackd.actors.Handle;
import dev.writebackd.block.FileDevice;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The ext2 kill test's writer: an engine with the {@code ext2} layout on a file device of
 * {@link Ext2KillTest#BLOCK}-byte blocks and a data directory, running {@link EngineWorkload}'s
 * steps for seed {@code args[2]} until it is killed. Prints what {@link EngineWriterMain} prints.
 */
public final class Ext2WriterMain {
    private Ext2WriterMain() {}

    public static void main(String[] args) throws Exception {
        Path devicePath = Path.of(args[0]);
        Path dataDir = Path.of(args[1]);
        long seed = Long.parseLong(args[2]);
        try {
            FileDevice device = FileDevice.open(devicePath, Ext2KillTest.BLOCK, EngineWorkload.DEVICE_BYTES, false);
            Engine engine = Engine.start(Ext2KillTest.settings(), device, PersistenceConfig.prepare(dataDir));
            Handle[] files = new Handle[EngineWorkload.FILES];
            for (int f = 0; f < files.length; f++) {
                files[f] = engine.open(EngineWorkload.name(f), true).toCompletableFuture().join();
            }
            System.out.println(EngineWriterMain.READY);
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
