package dev.writebackd.mpage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.layout.BlockLayout;
import dev.writebackd.mpage.CoreDriver.Completion;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine core against a model of what every file should contain: random writes, truncates,
 * writebacks and reads over several files, on both layouts and every block size, with bios completed
 * at once, performed at once and completed later, or held and completed out of order. A failure
 * names the run to replay.
 *
 * <p>By default 4 seeds of 400 operations per combination, about ten seconds; a deeper search runs
 * with {@code -Dwritebackd.model.seeds=25 -Dwritebackd.model.ops=600}.
 */
class CoreModelTest {
    private static final int OPS = Integer.getInteger("writebackd.model.ops", 400);
    private static final long SEEDS = Long.getLong("writebackd.model.seeds", 4);

    static Stream<Arguments> runs() {
        List<Arguments> runs = new ArrayList<>();
        for (String layout : List.of(BlockLayout.EXTENT, BlockLayout.EXT2)) {
            for (int blockSize : new int[] {512, 1024, 2048, 4096}) {
                for (Completion completion : Completion.values()) {
                    for (long seed = 1; seed <= SEEDS; seed++) {
                        runs.add(Arguments.of(layout, blockSize, completion, seed));
                    }
                }
            }
        }
        return runs.stream();
    }

    @ParameterizedTest(name = "{0} layout, {1}-byte blocks, {2} completions, seed {3}")
    @MethodSource("runs")
    @DisplayName("every file reads back as the model says, through the page cache after each writeback and from the device after each sync")
    void everyFileReadsBackAsTheModelSays(String layout, int blockSize, Completion completion, long seed) {
        ModelRun run = new ModelRun(layout, blockSize, completion, seed).run(OPS);

        assertThat(run.checks()).isPositive();
        if (completion != Completion.AT_ONCE) {
            assertThat(run.driver.count("write onto a page under writeback"))
                    .as("S5 later writes land on pages under writeback").isPositive();
            assertThat(run.driver.count("WaitForWriteback")).as("C3 U2 passes and truncates wait for held writes")
                    .isPositive();
        }
        if (layout.equals(BlockLayout.EXT2)) {
            assertThat(run.driver.count("map block read")).as("X1 map blocks are read back from the device")
                    .isPositive();
        }
    }
}
