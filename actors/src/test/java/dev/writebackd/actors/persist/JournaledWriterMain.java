package dev.writebackd.actors.persist;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.Engine;
import dev.writebackd.actors.Handle;
import dev.writebackd.block.FileDevice;
import dev.writebackd.config.Durability;
import dev.writebackd.config.Settings;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * The journaled kill test's writer: an engine on a file device and a data directory, writing
 * {@link #step}s for seed {@code args[2]} with {@code journaled} durability, one at a time, with
 * fast periodic writeback (so trims run meanwhile) and an fsync now and then, until it is killed.
 * Prints {@code START n} before step {@code n} and {@code ACK n} once its write is answered.
 */
public final class JournaledWriterMain {
    static final String READY = "READY";
    static final int FILES = 3;
    static final int PAGE = 4096;
    static final int MAX_FILE = 96 * 1024;
    static final long DEVICE_BYTES = 32L << 20;
    static final String SETTINGS = """
            writebackd.page-cache.cache-budget = 16 MiB
            writebackd.writeback.writeback-interval = 200 ms
            writebackd.writeback.dirty-expire-interval = 300 ms
            """;

    /** Write {@code data} at {@code offset} of file {@code file}; then fsync it if {@code fsync}. */
    record Step(int file, int offset, byte[] data, boolean fsync) {}

    private JournaledWriterMain() {}

    /** Step {@code n} of the workload for {@code seed}: the same in the writer and in the test. */
    static Step step(long seed, int n) {
        Random random = new Random(seed * 1_000_003L + n);
        int file = random.nextInt(FILES);
        int length = 1 + random.nextInt(random.nextBoolean() ? 300 : 3 * PAGE);
        int offset = random.nextInt(MAX_FILE - length);
        byte[] data = new byte[length];
        Arrays.fill(data, (byte) (1 + n % 250));
        return new Step(file, offset, data, random.nextInt(10) == 0);
    }

    static String name(int file) {
        return "journaled-" + file;
    }

    public static void main(String[] args) throws Exception {
        try {
            FileDevice device = FileDevice.open(Path.of(args[0]), PAGE, DEVICE_BYTES, false);
            Engine engine = Engine.start(Settings.load(ConfigFactory.parseString(SETTINGS)), device,
                    PersistenceConfig.prepare(Path.of(args[1])));
            long seed = Long.parseLong(args[2]);
            Handle[] files = new Handle[FILES];
            for (int f = 0; f < FILES; f++) {
                files[f] = engine.open(name(f), true).toCompletableFuture().join();
            }
            System.out.println(READY);
            for (int n = 0; ; n++) {
                Step step = step(seed, n);
                System.out.println("START " + n);
                engine.write(files[step.file()], step.offset(), ByteBuffer.wrap(step.data()), Durability.JOURNALED)
                        .toCompletableFuture().join();
                System.out.println("ACK " + n);
                if (step.fsync()) {
                    engine.fsync(files[step.file()]).toCompletableFuture().join();
                }
            }
        } catch (Throwable e) {
            System.out.println("FAILED " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }
}
