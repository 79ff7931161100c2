package dev.writebackd.daemon.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.config.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelThresholdsTest {
    @TempDir
    Path proc;

    private void write(String name, String text) throws IOException {
        Path file = proc.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private void machine(String backgroundBytes) throws IOException {
        write("sys/vm/dirty_background_ratio", "10\n");
        write("sys/vm/dirty_ratio", "20\n");
        write("sys/vm/dirty_background_bytes", backgroundBytes + "\n");
        write("sys/vm/dirty_bytes", "0\n");
        write("sys/vm/dirty_expire_centisecs", "3000\n");
        write("sys/vm/dirty_writeback_centisecs", "500\n");
        write("meminfo", "MemTotal:       24000000 kB\nMemFree:        20000000 kB\nMemAvailable:   10000000 kB\n");
    }

    @Test
    void ratiosApplyToMemAvailable() throws IOException {
        machine("0");
        KernelThresholds k = KernelThresholds.read(proc);
        assertThat(k.memAvailableBytes()).isEqualTo(10_000_000L * 1024);
        assertThat(k.backgroundBytes()).isEqualTo(1_024_000_000L);
        assertThat(k.dirtyBytes()).isEqualTo(2_048_000_000L);
        assertThat(k.expire()).isEqualTo(Duration.ofSeconds(30));
        assertThat(k.interval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(k.describe()).contains("dirty_background_ratio 10%").contains("dirty_ratio 20%");
    }

    @Test
    void bytesSysctlsWinOverRatios() throws IOException {
        machine("1048576");
        assertThat(KernelThresholds.read(proc).backgroundBytes()).isEqualTo(1 << 20);
    }

    @Test
    void writebackdGetsTheKernelsThresholdsInBytesAndABudgetThatHoldsThem() throws IOException {
        machine("0");
        KernelThresholds k = KernelThresholds.read(proc);
        BenchOptions options = new BenchOptions(Workload.RAND_WRITE, 8 << 20, 2, proc, 1, 1, true);
        Settings s = WritebackdTarget.settingsFor(k, options);
        assertThat(s.writeback().dirtyBackgroundBytes()).isEqualTo(k.backgroundBytes());
        assertThat(s.writeback().dirtyBytes()).isEqualTo(k.dirtyBytes());
        assertThat(s.writeback().dirtyExpireInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.writeback().writebackInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.pageCache().cacheBudgetBytes()).isGreaterThanOrEqualTo(k.dirtyBytes());
        BenchOptions ingest = new BenchOptions(Workload.INGEST, 8 << 20, 2, proc, 1, 1, true);
        assertThat(WritebackdTarget.settingsFor(k, ingest).writeback().writebackInterval()).isZero();
    }

    @Test
    void aMeminfoWithoutMemAvailableIsAnError() {
        assertThatThrownBy(() -> KernelThresholds.memAvailable("MemTotal: 1 kB\n")).hasMessageContaining("MemAvailable");
    }

    @Test
    void theRealProcIsReadable() throws IOException {
        KernelThresholds k = KernelThresholds.read();
        assertThat(k.dirtyBytes()).isPositive();
        assertThat(k.backgroundRatio()).isBetween(0, 100);
    }
}
