package dev.writebackd.daemon.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {
    private static final Path DIR = Path.of("bench-data");

    @Test
    void sizesTakeBinaryUnits() {
        assertThat(BenchOptions.parseSize("1g")).isEqualTo(1L << 30);
        assertThat(BenchOptions.parseSize("256M")).isEqualTo(256L << 20);
        assertThat(BenchOptions.parseSize("64KiB")).isEqualTo(64L << 10);
        assertThat(BenchOptions.parseSize("4096")).isEqualTo(4096);
    }

    @Test
    void badSizesAreRefusedNamingTheValue() {
        assertThatThrownBy(() -> BenchOptions.parseSize("lots")).hasMessageContaining("'lots'");
        assertThatThrownBy(() -> BenchOptions.parseSize("-1m")).hasMessageContaining("'-1m'");
        assertThatThrownBy(() -> BenchOptions.parseSize("99999999999t")).hasMessageContaining("invalid");
    }

    @Test
    void unknownWorkloadsAreRefusedListingTheKnownOnes() {
        assertThatThrownBy(() -> Workload.parse("random")).hasMessageContaining("'random'")
                .hasMessageContaining("rand-write").hasMessageContaining("fsync-latency");
        assertThat(Workload.parse("Mixed")).isEqualTo(Workload.MIXED);
    }

    @Test
    void optionsOutOfRangeAreRefused() {
        assertThatThrownBy(() -> new BenchOptions(Workload.SEQ_WRITE, 4097 << 10, 1, DIR, 1, 1, true))
                .hasMessageContaining("--size");
        assertThatThrownBy(() -> new BenchOptions(Workload.SEQ_WRITE, 4096, 1, DIR, 1, 1, true))
                .hasMessageContaining("at least 1 MiB");
        assertThatThrownBy(() -> new BenchOptions(Workload.RAND_WRITE, 1 << 20, 0, DIR, 1, 1, true))
                .hasMessageContaining("--files 0");
        assertThatThrownBy(() -> new BenchOptions(Workload.RAND_WRITE, 1 << 20, 257, DIR, 1, 1, true))
                .hasMessageContaining("too small for 257 files");
        assertThatThrownBy(() -> new BenchOptions(Workload.RAND_WRITE, 1 << 20, 1, DIR, 0, 1, true))
                .hasMessageContaining("--runs 0");
    }

    @Test
    void systemsAreChosenByName() {
        assertThat(Bench.chooseSystems(null)).isEqualTo(Bench.SYSTEMS);
        assertThat(Bench.chooseSystems(java.util.List.of("raw", "kernel"))).containsExactly("raw O_DIRECT", "kernel");
        assertThatThrownBy(() -> Bench.chooseSystems(java.util.List.of("zfs"))).hasMessageContaining("'zfs'");
    }
}
