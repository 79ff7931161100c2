package dev.writebackd.actors.engine;

import static dev.writebackd.actors.engine.InodeFixture.PAGE;
import static dev.writebackd.actors.engine.InodeFixture.filled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.writebackd.actors.engine.InodeActor.FileState;
import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice.Request;
import dev.writebackd.config.ErrorPolicy;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Clean pages leave the cache, least recently used first, when it holds more than its budget. */
class InodeEvictionTest {
    private static final ActorTestKit testKit = ActorTestKit.create(BioDispatcher.config());

    @AfterAll
    static void shutDown() {
        testKit.shutdownTestKit();
    }

    private static void awaitClean(InodeFixture f) {
        await().until(() -> {
            FileState state = f.state();
            return state.dirtyPages() == 0 && state.writebackPages() == 0;
        });
    }

    @Test
    @DisplayName("dirty pages are never evicted; once written back they are, and the data reads back from the device")
    void dirtyPagesStayUntilWrittenBack() {
        InodeFixture f = new InodeFixture(testKit, ErrorPolicy.LINUX, 64);
        f.open(1);
        byte[] data = new byte[100 * PAGE];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i / 977);
        }

        f.write(1, 0, data);

        FileState dirty = f.state();
        assertThat(dirty.cachedPages()).isEqualTo(100);
        assertThat(dirty.dirtyPages()).isEqualTo(100);
        assertThat(f.read(1, 0, data.length)).isEqualTo(data);

        f.writeChunk();
        awaitClean(f);
        await().until(() -> f.state().cachedPages() <= 64);
        assertThat(f.pool.usedPages()).as("evicted pages went back to the pool").isLessThanOrEqualTo(64);
        int readsBefore = deviceReads(f);

        for (int offset = 0; offset < data.length; offset += 8 * PAGE) {
            int length = Math.min(8 * PAGE, data.length - offset);
            byte[] expected = java.util.Arrays.copyOfRange(data, offset, offset + length);
            assertThat(f.read(1, offset, length)).as("bytes at %d", offset).isEqualTo(expected);
            assertThat(f.state().cachedPages()).isLessThanOrEqualTo(64 + 32); // one read and its readahead
        }
        assertThat(deviceReads(f)).as("evicted pages were read again from the device").isGreaterThan(readsBefore);
        await().until(() -> f.state().cachedPages() <= 64);
    }

    @Test
    @DisplayName("the least recently used clean pages are evicted first")
    void leastRecentlyUsedGoFirst() {
        InodeFixture f = new InodeFixture(testKit, ErrorPolicy.LINUX, 64); // evicts above 62, down to 60
        f.open(1);
        f.write(1, 0, filled(50 * PAGE, 1));
        f.writeChunk();
        awaitClean(f);
        assertThat(f.read(1, 0, 10 * PAGE)).isEqualTo(filled(10 * PAGE, 1)); // pages 0-9 are now the newest

        f.write(1, 50 * PAGE, filled(20 * PAGE, 2));

        await().until(() -> f.state().cachedPages() == 60);
        int readsBefore = deviceReads(f);
        assertThat(f.read(1, 0, 10 * PAGE)).isEqualTo(filled(10 * PAGE, 1));
        assertThat(f.read(1, 20 * PAGE, 30 * PAGE)).isEqualTo(filled(30 * PAGE, 1));
        assertThat(deviceReads(f)).as("pages 0-9 and 20-49 stayed cached").isEqualTo(readsBefore);
        assertThat(f.read(1, 10 * PAGE, PAGE)).isEqualTo(filled(PAGE, 1));
        assertThat(deviceReads(f)).as("page 10, among the oldest, was evicted").isGreaterThan(readsBefore);
        assertThat(f.state().dirtyPages()).as("the dirty pages 50-69 stayed").isEqualTo(20);
    }

    private static int deviceReads(InodeFixture f) {
        return (int) f.memory.requests().stream().map(Request::op).filter(op -> op == BioOp.READ).count();
    }
}
