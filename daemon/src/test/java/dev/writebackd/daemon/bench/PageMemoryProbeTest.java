package dev.writebackd.daemon.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PageMemoryProbeTest {
    @Test
    void measuresTheHeapThatCachedPagesAdd() {
        PageMemoryProbe.Result r = PageMemoryProbe.measure(8192);
        assertThat(r.pages()).isEqualTo(8192);
        assertThat(r.poolBytes()).isPositive();
        assertThat(r.bytesPerPage()).isPositive();
    }
}
