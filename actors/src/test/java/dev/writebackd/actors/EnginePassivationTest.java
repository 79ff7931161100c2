package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.array;
import static dev.writebackd.actors.Engines.bytes;
import static dev.writebackd.actors.Engines.filled;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.writebackd.block.MemoryDevice;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Idle files stop their actors and free their pages; the next open starts them again, transparently. */
class EnginePassivationTest {
    private final MemoryDevice memory = new MemoryDevice(PAGE, 64L << 20);
    private Engine engine;

    @AfterEach
    void shutDown() {
        Engines.stop(engine);
    }

    private void start() {
        // No periodic writeback: a file dirtied and closed stays dirty until fsync'd.
        engine = Engines.start(memory, "writebackd.page-cache.inode-idle-timeout = 200 ms\n"
                + "writebackd.writeback.writeback-interval = 0");
    }

    @Test
    @DisplayName("a closed clean file stops after the idle timeout and frees its pages; reopened, it reads the same bytes")
    void idleFileStopsAndComesBack() {
        start();
        Handle file = join(engine.open("idle", true));
        join(engine.write(file, 100, bytes(3 * PAGE, 7)));
        join(engine.fsync(file));
        join(engine.close(file));

        await().until(() -> join(engine.stats()).activeFiles() == 0);
        // The guardian stops counting the file when it approves the stop, just before the actor frees its pages.
        await().until(() -> join(engine.stats()).cachedPages() == 0);

        Handle again = join(engine.open("idle", false));
        assertThat(join(engine.stats()).activeFiles()).isEqualTo(1);
        byte[] expected = new byte[3 * PAGE + 100];
        System.arraycopy(filled(3 * PAGE, 7), 0, expected, 100, 3 * PAGE);
        assertThat(array(join(engine.read(again, 0, 4 * PAGE)))).isEqualTo(expected);
    }

    @Test
    @DisplayName("stats and sync asked while many files stop answer at once: no ask is lost to a stopping actor")
    void askingWhileFilesStop() throws Exception {
        engine = Engines.start(memory, "writebackd.page-cache.inode-idle-timeout = 1 ms\n"
                + "writebackd.writeback.writeback-interval = 0");
        for (int i = 0; i < 20; i++) {
            Handle file = join(engine.open("f" + i, true));
            join(engine.write(file, 0, bytes(PAGE, i)));
            join(engine.fsync(file));
            join(engine.close(file));
        }
        // Files keep starting (an open) and stopping (idle 1 ms after the close) while stats and
        // sync are asked: every answer must come, long before the 10-minute ask timeout.
        CompletableFuture<Void> churn = CompletableFuture.runAsync(() -> {
            for (int round = 0; round < 30; round++) {
                for (int i = 0; i < 20; i++) {
                    join(engine.close(join(engine.open("f" + i, false))));
                }
            }
        });
        while (!churn.isDone()) {
            engine.stats().toCompletableFuture().get(20, TimeUnit.SECONDS);
            engine.sync().toCompletableFuture().get(20, TimeUnit.SECONDS);
        }
        churn.get();
        await().until(() -> join(engine.stats()).activeFiles() == 0);
        Handle back = join(engine.open("f7", false));
        assertThat(array(join(engine.read(back, 0, PAGE)))).isEqualTo(filled(PAGE, 7));
    }

    @Test
    @DisplayName("a file with an open handle or dirty pages stays; once clean and closed it stops too")
    void openOrDirtyFilesStay() {
        start();
        Handle open = join(engine.open("open", true));
        join(engine.write(open, 0, bytes(PAGE, 1)));
        join(engine.fsync(open));
        Handle dirty = join(engine.open("dirty", true));
        join(engine.write(dirty, 0, bytes(2 * PAGE, 2)));
        join(engine.close(dirty));
        Handle clean = join(engine.open("clean", true));
        join(engine.close(clean));

        await().until(() -> join(engine.stats()).activeFiles() == 2); // "clean" went
        assertThat(join(engine.stats()).dirtyPages()).isEqualTo(2);

        join(engine.sync());
        await().until(() -> join(engine.stats()).activeFiles() == 1); // "dirty" went once written back
        assertThat(array(join(engine.read(open, 0, PAGE)))).isEqualTo(filled(PAGE, 1));

        Handle back = join(engine.open("dirty", false));
        assertThat(array(join(engine.read(back, 0, 2 * PAGE)))).isEqualTo(filled(2 * PAGE, 2));
        assertThat(join(engine.stats()).activeFiles()).isEqualTo(2);
    }
}
