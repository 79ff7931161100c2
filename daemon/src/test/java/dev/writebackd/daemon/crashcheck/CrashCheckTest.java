package dev.writebackd.daemon.crashcheck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.config.ErrorPolicy;
import dev.writebackd.config.Layout;
import dev.writebackd.daemon.crashcheck.Verdict.Kind;
import dev.writebackd.error.Errno;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The crash checker end to end, CI-sized: a few seeds on each layout, and a device it must catch lying. */
class CrashCheckTest {
    private static final int OPS = 40;

    @TempDir
    Path dir;

    private CrashCheckOptions options(int seeds, int cuts, Layout layout) {
        return new CrashCheckOptions(seeds, 1, OPS, cuts, ErrorPolicy.LINUX, layout, dir);
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void aFewSeedsPassAndReportALineEachAndTheSummary(Layout layout) {
        StringWriter out = new StringWriter();
        StringWriter progress = new StringWriter();
        List<SeedResult> results;
        try (EngineLogs quiet = EngineLogs.quiet(false)) {
            results = new CrashCheck(options(2, 1, layout), new PrintWriter(out), new PrintWriter(progress), false)
                    .run();
        }
        assertThat(results).allSatisfy(r -> {
            assertThat(r.problems()).as("seed %d", r.seed()).isEmpty();
            assertThat(r.cuts()).isEqualTo(1);
            assertThat(r.ops()).isEqualTo(OPS);
        });
        long cuts = results.stream().mapToLong(SeedResult::cuts).sum();
        long verified = results.stream().mapToLong(SeedResult::fsyncedBytes).sum();
        assertThat(verified).isPositive();
        assertThat(out.toString().lines().toList()).containsExactly(
                results.get(0).line(), results.get(1).line(), cuts + " cuts, " + verified + " fsynced bytes verified, 0 lost");
        assertThat(results.get(0).line()).startsWith("seed 1: 40 ops, 1 cuts (").endsWith(", 0 lost, ok");
        assertThat(dir).isEmptyDirectory(); // passed seeds leave no journal behind
    }

    @Test
    void aDeviceThatAcknowledgesFlushesWithoutFlushingLosesFsyncedBytesAndIsCaught() {
        SeedResult result;
        try (EngineLogs quiet = EngineLogs.quiet(false)) {
            result = new SeedRun(3, options(1, 1, Layout.EXTENT), line -> { }, LyingFlushes::new).run();
        }
        assertThat(result.ok()).isFalse();
        assertThat(result.lostBytes()).isPositive();
        assertThat(result.problems()).extracting(Verdict.Problem::kind).contains(Kind.LOST);
        assertThat(result.line()).contains("FAILED");
    }

    /** Answers every flush at once without passing it down: the volatile cache below never makes anything durable. */
    private static final class LyingFlushes implements BlockDevice {
        private final BlockDevice below;

        LyingFlushes(BlockDevice below) {
            this.below = below;
        }

        @Override
        public int blockSize() {
            return below.blockSize();
        }

        @Override
        public long sizeBytes() {
            return below.sizeBytes();
        }

        @Override
        public Errno submit(Bio bio) {
            return bio.op() == BioOp.FLUSH ? null : below.submit(bio);
        }

        @Override
        public void close() {
            below.close();
        }
    }
}
