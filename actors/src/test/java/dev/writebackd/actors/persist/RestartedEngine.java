package dev.writebackd.actors.persist;

import dev.writebackd.actors.Engine;
import dev.writebackd.actors.Handle;
import dev.writebackd.block.FileDevice;
import dev.writebackd.config.Settings;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * The kill tests' restart: a fresh engine on the killed child's file device and data directory
 * (its start runs the start-up consistency check), reading every file whole.
 */
final class RestartedEngine {
    private final Path device;
    private final int blockSize;
    private final long deviceBytes;
    private final Settings settings;
    private final Path data;

    /** An engine to start on {@code device} (of {@code blockSize}-byte blocks) and {@code data}. */
    RestartedEngine(Path device, int blockSize, long deviceBytes, Settings settings, Path data) {
        this.device = device;
        this.blockSize = blockSize;
        this.deviceBytes = deviceBytes;
        this.settings = settings;
        this.data = data;
    }

    /**
     * Starts the engine, reads up to {@code readBytes} of each of the {@code files} files named by
     * {@code name} (created when {@code create}), shuts the engine down and answers the contents.
     */
    byte[][] readAll(int files, IntFunction<String> name, boolean create, int readBytes, long timeoutSeconds)
            throws Exception {
        FileDevice opened = FileDevice.open(device, blockSize, deviceBytes, false);
        byte[][] read = new byte[files][];
        try {
            Engine engine = Engine.start(settings, opened, PersistenceConfig.prepare(data));
            try {
                for (int f = 0; f < files; f++) {
                    Handle handle = engine.open(name.apply(f), create).toCompletableFuture()
                            .get(timeoutSeconds, TimeUnit.SECONDS);
                    ByteBuffer all = engine.read(handle, 0, readBytes).toCompletableFuture()
                            .get(timeoutSeconds, TimeUnit.SECONDS);
                    read[f] = new byte[all.remaining()];
                    all.get(read[f]);
                    engine.close(handle).toCompletableFuture().get(timeoutSeconds, TimeUnit.SECONDS);
                }
            } finally {
                engine.shutdown().toCompletableFuture().get(timeoutSeconds, TimeUnit.SECONDS);
            }
        } finally {
            opened.close();
        }
        return read;
    }
}
