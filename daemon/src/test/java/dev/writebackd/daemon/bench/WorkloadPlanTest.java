package dev.writebackd.daemon.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WorkloadPlanTest {
    private static BenchOptions options(Workload workload, long size, int files) {
        return new BenchOptions(workload, size, files, Path.of("unused"), 1, 7, true);
    }

    @Test
    void packedOperationsRoundTrip() {
        long op = WorkloadPlan.op(WorkloadPlan.FSYNC, 4095, (1L << 40) - 1);
        assertThat(WorkloadPlan.kind(op)).isEqualTo(WorkloadPlan.FSYNC);
        assertThat(WorkloadPlan.file(op)).isEqualTo(4095);
        assertThat(WorkloadPlan.page(op)).isEqualTo((1L << 40) - 1);
    }

    @Test
    void randWriteWritesEveryPageOfEveryFileOnceInASeededOrder() {
        WorkloadPlan plan = WorkloadPlan.of(options(Workload.RAND_WRITE, 4 << 20, 3));
        long[] ops = plan.threads()[0];
        assertThat(ops).hasSize(1024);
        Set<Long> seen = new HashSet<>();
        for (long op : ops) {
            assertThat(WorkloadPlan.kind(op)).isEqualTo(WorkloadPlan.WRITE);
            assertThat(WorkloadPlan.page(op)).isLessThan(plan.filePages(WorkloadPlan.file(op)));
            assertThat(seen.add(op)).isTrue();
        }
        assertThat(plan.filePages(0) + plan.filePages(1) + plan.filePages(2)).isEqualTo(1024);
        assertThat(WorkloadPlan.of(options(Workload.RAND_WRITE, 4 << 20, 3)).threads()[0]).isEqualTo(ops);
        assertThat(ops[0] == WorkloadPlan.op(WorkloadPlan.WRITE, 0, 0) && ops[1] == WorkloadPlan.op(WorkloadPlan.WRITE, 0, 1))
                .as("shuffled").isFalse();
    }

    @Test
    void fsyncHeavySyncsTheFileItJustAppendedToEvery256Writes() {
        WorkloadPlan plan = WorkloadPlan.of(options(Workload.FSYNC_HEAVY, 4 << 20, 2));
        long[] ops = plan.threads()[0];
        int writesSinceSync = 0;
        int lastFile = -1;
        int fsyncs = 0;
        for (long op : ops) {
            if (WorkloadPlan.kind(op) == WorkloadPlan.WRITE) {
                writesSinceSync++;
                lastFile = WorkloadPlan.file(op);
            } else {
                assertThat(WorkloadPlan.kind(op)).isEqualTo(WorkloadPlan.FSYNC);
                assertThat(writesSinceSync).isEqualTo(256);
                assertThat(WorkloadPlan.file(op)).isEqualTo(lastFile);
                writesSinceSync = 0;
                fsyncs++;
            }
        }
        assertThat(fsyncs).isEqualTo(4);
        assertThat(plan.filePages(0)).isEqualTo(512);
    }

    @Test
    void mixedWritesAndSyncsEverythingFirstThenReadsAboutSeventyPercent() {
        WorkloadPlan plan = WorkloadPlan.of(options(Workload.MIXED, 4 << 20, 4));
        assertThat(plan.setup()).hasSize(1024 + 4);
        long reads = 0;
        for (long op : plan.threads()[0]) {
            if (WorkloadPlan.kind(op) == WorkloadPlan.READ) {
                reads++;
            }
        }
        assertThat(reads / 1024.0).isBetween(0.64, 0.76);
        assertThat(Workload.MIXED.needsColdReads()).isTrue();
    }

    @Test
    void ingestSplitsFilesBetweenTwoThreadsThatNeverShareAFile() {
        WorkloadPlan plan = WorkloadPlan.of(options(Workload.INGEST, 4 << 20, 4));
        assertThat(plan.threads()).hasNumberOfRows(2);
        Set<Integer> first = new HashSet<>();
        for (long op : plan.threads()[0]) {
            first.add(WorkloadPlan.file(op));
        }
        for (long op : plan.threads()[1]) {
            assertThat(first).doesNotContain(WorkloadPlan.file(op));
        }
        assertThat(plan.measuredOps()).isEqualTo(1024);
    }

    @Test
    void overwriteHotSendsMostWritesToAFifthOfTheWorkingSet() {
        WorkloadPlan plan = WorkloadPlan.of(options(Workload.OVERWRITE_HOT, 8 << 20, 2));
        long[] ops = plan.threads()[0];
        long workingSet = 2048 / 8;
        long hot = workingSet / 5;
        long inHot = 0;
        for (long op : ops) {
            long global = WorkloadPlan.page(op) * 2 + WorkloadPlan.file(op);
            assertThat(global).isLessThan(workingSet);
            if (global < hot) {
                inHot++;
            }
        }
        assertThat(inHot / (double) ops.length).isBetween(0.75, 0.85);
    }

    @Test
    void seqWriteAndFsyncLatencyUseTheirOwnFileCounts() {
        assertThat(WorkloadPlan.of(options(Workload.SEQ_WRITE, 1 << 20, 64)).files()).isEqualTo(1);
        WorkloadPlan latency = WorkloadPlan.of(options(Workload.FSYNC_LATENCY, 1 << 20, 64));
        assertThat(latency.files()).isEqualTo(2);
        assertThat(latency.latencyLoop()).isTrue();
        assertThat(latency.filePages(1)).isEqualTo(WorkloadPlan.LOG_PAGES);
    }
}
