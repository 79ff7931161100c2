package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.array;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The cache budget through the embedded API: more data than the cache holds, across files. */
class EngineEvictionTest {
    /** The cache budget: 512 pages; eviction starts above 432 (a headroom of two readahead windows). */
    private static final int BUDGET_PAGES = 512;
    private static final int WRITE = 8 * PAGE;

    private final MemoryDevice memory = new MemoryDevice(PAGE, 64L << 20);
    private Engine engine;

    @AfterEach
    void shutDown() {
        Engines.stop(engine);
    }

    @Test
    @DisplayName("three times the cache budget written to two files: the cache stays within its budget, "
            + "dirty data within its limit, and everything reads back")
    void moreDataThanTheBudgetStaysWithinIt() {
        engine = Engines.start(memory, "writebackd.page-cache.cache-budget = 2 MiB");
        Handle[] files = {join(engine.open("a", true)), join(engine.open("b", true))};
        int fileBytes = 3 * BUDGET_PAGES * PAGE / 2;
        byte[][] contents = {random(fileBytes, 1), random(fileBytes, 2)};
        long maxCached = 0;

        for (int offset = 0; offset < fileBytes; offset += WRITE) {
            for (int i = 0; i < files.length; i++) {
                join(engine.write(files[i], offset, ByteBuffer.wrap(contents[i], offset, WRITE)));
                EngineStats stats = join(engine.stats());
                maxCached = Math.max(maxCached, stats.cachedPages());
                assertThat(stats.dirtyPages()).isLessThanOrEqualTo(stats.dirtyThresholdPages() + WRITE / PAGE);
            }
        }
        for (Handle file : files) {
            join(engine.fsync(file));
        }

        assertThat(maxCached).isLessThanOrEqualTo(BUDGET_PAGES);
        for (int i = 0; i < files.length; i++) {
            for (int offset = 0; offset < fileBytes; offset += 4 * WRITE) {
                byte[] expected = Arrays.copyOfRange(contents[i], offset, Math.min(fileBytes, offset + 4 * WRITE));
                assertThat(array(join(engine.read(files[i], offset, 4 * WRITE)))).as("file %d at %d", i, offset)
                        .isEqualTo(expected);
                assertThat(join(engine.stats()).cachedPages()).isLessThanOrEqualTo(BUDGET_PAGES);
            }
        }
        assertThat(memory.requests()).as("evicted pages were read back from the device")
                .anyMatch(r -> r.op() == BioOp.READ);
        await().until(() -> join(engine.stats()).cachedPages() <= 432);
    }

    private static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
