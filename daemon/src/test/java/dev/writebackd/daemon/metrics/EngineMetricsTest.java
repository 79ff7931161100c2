package dev.writebackd.daemon.metrics;

import static dev.writebackd.daemon.metrics.MemoryEngines.PAGE;
import static dev.writebackd.daemon.metrics.MemoryEngines.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.actors.Engine;
import dev.writebackd.actors.EngineStats;
import dev.writebackd.actors.Handle;
import dev.writebackd.actors.engine.EngineCounters;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineMetricsTest {
    @TempDir
    Path dataDir;

    @Test
    void aScrapeAfterRealWritesIsValidTextWithTheEnginesNumbers() {
        Engine engine = MemoryEngines.start(dataDir);
        try {
            Handle file = join(engine.open("log", true));
            join(engine.write(file, 0, ByteBuffer.wrap(new byte[8 * PAGE])));
            join(engine.fsync(file));
            join(engine.write(file, 8 * PAGE, ByteBuffer.wrap(new byte[3 * PAGE]))); // left dirty

            PrometheusText text = PrometheusText.parse(join(new EngineMetrics(() -> engine).scrape()));

            Map<String, String> device = Map.of("device", engine.deviceId());
            assertThat(text.value("writebackd_dirty_pages", device)).isEqualTo(3);
            assertThat(text.value("writebackd_pages_written_total", device)).isEqualTo(8);
            assertThat(text.value("writebackd_bios_submitted_total", device)).isGreaterThanOrEqualTo(1);
            assertThat(text.value("writebackd_write_bio_size_bytes_count", device)).isEqualTo(1);
            assertThat(text.value("writebackd_write_bio_size_bytes_sum", device)).isEqualTo(8 * PAGE);
            assertThat(text.value("writebackd_write_bio_size_bytes_bucket", Map.of("le", "16384.0")))
                    .isZero();
            assertThat(text.value("writebackd_write_bio_size_bytes_bucket", Map.of("le", "32768.0")))
                    .isEqualTo(1);
            assertThat(text.value("writebackd_journal_events_total", device)).isEqualTo(1);
            assertThat(text.value("writebackd_open_handles", device)).isEqualTo(1);
            assertThat(text.value("writebackd_active_files", device)).isEqualTo(1);
            assertThat(text.value("writebackd_cached_pages", device)).isEqualTo(11);
            assertThat(text.value("writebackd_dirty_threshold_pages", device)).isPositive();
            assertThat(text.value("writebackd_background_threshold_pages", device))
                    .isLessThan(text.value("writebackd_dirty_threshold_pages", device));
            assertThat(text.value("writebackd_write_bandwidth_bytes_per_second", device)).isPositive();
            assertThat(text.value("writebackd_write_errors_total", Map.of("errno", "EIO"))).isZero();
            assertThat(text.type("writebackd_write_bio_size_bytes")).isEqualTo("histogram");
            assertThat(text.type("writebackd_pages_written_total")).isEqualTo("counter");
            assertThat(text.type("writebackd_dirty_pages")).isEqualTo("gauge");
        } finally {
            MemoryEngines.stop(engine);
        }
    }

    @Test
    void everyFamilyTheIssueAsksForIsThereAndEverySeriesNamesItsDevice() {
        EngineStats stats = new EngineStats(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
        EngineCounters counters = new EngineCounters();
        counters.writeEnded(1 << 20, Errno.EROFS);
        counters.writerPaused(java.time.Duration.ofMillis(1500));

        PrometheusText text = PrometheusText.parse(render(stats, counters.snapshot()));

        Set<String> names = text.samples().stream().map(PrometheusText.Sample::name).collect(Collectors.toSet());
        assertThat(names).contains("writebackd_dirty_pages", "writebackd_writeback_pages", "writebackd_held_pages",
                "writebackd_cached_pages", "writebackd_background_threshold_pages",
                "writebackd_dirty_threshold_pages", "writebackd_pages_written_total",
                "writebackd_bios_submitted_total", "writebackd_write_bio_size_bytes_bucket",
                "writebackd_write_bandwidth_bytes_per_second", "writebackd_throttled_writers",
                "writebackd_throttle_pauses_total", "writebackd_throttle_pause_seconds_total",
                "writebackd_write_errors_total", "writebackd_journal_events_total", "writebackd_open_handles",
                "writebackd_active_files");
        assertThat(text.samples()).allSatisfy(sample -> assertThat(sample.labels()).containsEntry("device", "dev-1"));
        assertThat(text.value("writebackd_write_errors_total", Map.of("errno", "EROFS"))).isEqualTo(1);
        assertThat(text.value("writebackd_throttle_pause_seconds_total", Map.of())).isEqualTo(1.5);
        assertThat(text.value("writebackd_throttled_writers", Map.of())).isEqualTo(10);
        assertThat(text.value("writebackd_write_bandwidth_bytes_per_second", Map.of())).isEqualTo(104857600);
    }

    @Test
    void theCheckerRefusesTextThatIsNotTheFormat() {
        assertThatThrownBy(() -> PrometheusText.parse("writebackd_x 1\n")).hasMessageContaining("no # TYPE");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\na{b=c} 1\n")).hasMessageContaining("labels");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\na one\n")).hasMessageContaining("bad value");
    }

    @Test
    void aScrapeWithoutAnEngineFailsWithEnxio() {
        assertThatThrownBy(() -> new EngineMetrics(() -> null).scrape().toCompletableFuture().join())
                .isInstanceOf(CompletionException.class)
                .cause().isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENXIO));
    }

    @Test
    void aScrapeOfAShutDownEngineFailsWithEshutdown() {
        Engine engine = MemoryEngines.start(dataDir);
        MemoryEngines.stop(engine);

        assertThatThrownBy(() -> new EngineMetrics(() -> engine).scrape().toCompletableFuture().join())
                .cause().isInstanceOfSatisfying(ErrnoException.class,
                        e -> assertThat(e.errno()).isEqualTo(Errno.ESHUTDOWN));
    }

    private static String render(EngineStats stats, EngineCounters.Snapshot counters) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter.create()
                    .write(out, EngineMetrics.snapshots("dev-1", stats, counters, 100L << 20));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

}
