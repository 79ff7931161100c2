package dev.writebackd.daemon.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every workload at 4 MiB against writebackd, the kernel page cache and write-through: the results
 * are consistent and every page reads back as its last write. Nothing here is timed.
 */
class WorkloadRunnerTest {
    private static final long SIZE = 4 << 20;

    @TempDir
    Path dir;

    private BenchOptions options(Workload workload) {
        return new BenchOptions(workload, SIZE, 4, dir, 1, 11, true);
    }

    private static KernelThresholds thresholds() {
        return new KernelThresholds(10, 20, 8L << 30, 800L << 20, 1600L << 20, java.time.Duration.ofSeconds(30),
                java.time.Duration.ofSeconds(5));
    }

    private record Outcome(SystemResult result, List<String> problems, long pagesWritten, String cold) {}

    private Outcome run(Workload workload, Target target) throws IOException {
        WorkloadPlan plan = WorkloadPlan.of(options(workload));
        AtomicLong progress = new AtomicLong();
        WorkloadRunner runner = new WorkloadRunner(plan, new PageStamp(11), progress);
        try {
            SystemResult result = runner.run(target, null);
            assertThat(progress.get()).isGreaterThanOrEqualTo(plan.measuredOps());
            return new Outcome(result, runner.verify(target), runner.pagesWritten(), runner.coldNote());
        } finally {
            target.close();
        }
    }

    private static void checkCommon(Workload workload, Outcome outcome) {
        SystemResult r = outcome.result();
        assertThat(outcome.problems()).isEmpty();
        assertThat(r.seconds()).isPositive();
        assertThat(r.seconds()).isGreaterThanOrEqualTo(r.writeSeconds());
        assertThat(r.minBios()).isPositive();
        assertThat(r.fsyncs()).isPositive();
        assertThat(r.fsyncP99Millis()).isGreaterThanOrEqualTo(r.fsyncP50Millis());
        switch (workload) {
            case SEQ_WRITE, RAND_WRITE, INGEST, FSYNC_HEAVY, OVERWRITE_HOT -> assertThat(r.bytesWritten()).isEqualTo(SIZE);
            case MIXED -> {
                assertThat(r.bytesWritten() + r.bytesRead()).isEqualTo(SIZE);
                assertThat(r.bytesRead()).isGreaterThan(r.bytesWritten());
                assertThat(outcome.cold()).isNotEmpty();
            }
            case FSYNC_LATENCY -> {
                assertThat(r.bytesWritten()).isGreaterThanOrEqualTo(SIZE + WorkloadPlan.MIN_LATENCY_SAMPLES * 4096L);
                assertThat(r.fsyncs()).isGreaterThanOrEqualTo(WorkloadPlan.MIN_LATENCY_SAMPLES);
            }
        }
        if (workload == Workload.SEQ_WRITE || workload == Workload.RAND_WRITE) {
            assertThat(r.minBios()).as("⌈pages / 256⌉ per file").isEqualTo(4);
        }
    }

    @ParameterizedTest
    @EnumSource(Workload.class)
    void writebackdRunsEveryWorkloadAndReadsBackEveryPage(Workload workload) throws IOException {
        BenchOptions options = options(workload);
        WritebackdTarget target = new WritebackdTarget(dir, WritebackdTarget.settingsFor(thresholds(), options),
                WritebackdTarget.deviceBytesFor(options), true);
        Outcome outcome = run(workload, target);
        checkCommon(workload, outcome);
        SystemResult r = outcome.result();
        assertThat(r.biosSource()).isEqualTo("engine");
        assertThat(r.writeBios()).as("bios are counted at the device").isPositive();
        assertThat(r.meanBioPages()).isPositive();
        assertThat(r.deviceSeconds()).as("time inside the device").isPositive();
        if (workload == Workload.MIXED) {
            assertThat(outcome.cold()).contains("restarted");
        }
        target.delete();
    }

    @ParameterizedTest
    @EnumSource(Workload.class)
    void theKernelPageCacheRunsEveryWorkloadAndReadsBackEveryPage(Workload workload) throws IOException {
        KernelTarget target = new KernelTarget(dir, false);
        Outcome outcome = run(workload, target);
        checkCommon(workload, outcome);
        assertThat(outcome.result().writeBios()).as("no disk stats given").isEqualTo(-1);
        target.delete(WorkloadPlan.of(options(workload)).files());
    }

    @ParameterizedTest
    @EnumSource(value = Workload.class, names = {"RAND_WRITE", "MIXED", "FSYNC_LATENCY"})
    void writeThroughRunsAndReadsBackEveryPage(Workload workload) throws IOException {
        WriteThroughTarget target = new WriteThroughTarget(dir);
        Outcome outcome = run(workload, target);
        checkCommon(workload, outcome);
        target.delete(WorkloadPlan.of(options(workload)).files());
    }
}
