package dev.writebackd.daemon.metrics;

import static java.util.Objects.requireNonNull;

import dev.writebackd.actors.Engine;
import dev.writebackd.actors.EngineStats;
import dev.writebackd.actors.engine.EngineCounters;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * The engine's state as Prometheus metrics, produced per scrape ({@code GET /metrics}) in the
 * Prometheus text format: page counts and thresholds, pages written and bios submitted, a
 * histogram of write-bio sizes, the bandwidth estimate, throttling, write errors by errno, journal
 * events, handles and active files. Every series carries a {@code device} label (the device
 * header's id); an engine has one device, so the totals over devices are {@code sum without
 * (device) (…)}.
 *
 * <p>The engine is looked up per scrape, since a power cut replaces it. Thread-safe.
 */
public final class EngineMetrics {
    /** The Content-Type of {@link #scrape()}'s text. */
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private static final String PREFIX = "writebackd_";
    /** Write errors shown even while zero, so that dashboards find their series from the start. */
    private static final List<Errno> ALWAYS_SHOWN = List.of(Errno.EIO, Errno.ENOSPC);

    private final Supplier<Engine> engine;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    /** Metrics of the engine {@code engine} supplies at each scrape. */
    public EngineMetrics(Supplier<Engine> engine) {
        this.engine = requireNonNull(engine, "engine");
    }

    /**
     * The metrics now, as Prometheus text. Fails with the engine's error if it cannot answer (ESHUTDOWN
     * once it is shut down), or with ENXIO if there is no engine.
     */
    public CompletionStage<String> scrape() {
        Engine current = engine.get();
        if (current == null) {
            return CompletableFuture.failedFuture(new ErrnoException(Errno.ENXIO, "no engine is running"));
        }
        return current.stats().thenApply(stats -> render(snapshots(current.deviceId(), stats, current.counters(),
                current.bandwidthBytesPerSec())));
    }

    /** The metric families of one device. */
    static MetricSnapshots snapshots(String deviceId, EngineStats stats, EngineCounters.Snapshot counters,
            long bandwidthBytesPerSec) {
        Labels device = Labels.of("device", deviceId);
        List<MetricSnapshot> metrics = new ArrayList<>();
        metrics.add(gauge("dirty_pages", "Pages dirty in the page cache.", device, stats.dirtyPages()));
        metrics.add(gauge("writeback_pages", "Pages under writeback.", device, stats.writebackPages()));
        metrics.add(gauge("held_pages", "Pages held after failed writes (sticky error policy).", device,
                stats.heldPages()));
        metrics.add(gauge("cached_pages", "Pages in the page cache, clean or dirty.", device, stats.cachedPages()));
        metrics.add(gauge("background_threshold_pages", "Dirty pages at which background writeback starts.", device,
                stats.backgroundThresholdPages()));
        metrics.add(gauge("dirty_threshold_pages", "Dirty pages at which writers are throttled hard.", device,
                stats.dirtyThresholdPages()));
        metrics.add(counter("pages_written", "Pages written back by page bios since start.", device,
                stats.pagesWritten()));
        metrics.add(counter("bios_submitted", "Bios handed to the device since start (reads, writes, flushes).",
                device, stats.biosSubmitted()));
        metrics.add(bioSizes(device, counters));
        metrics.add(gauge("write_bandwidth_bytes_per_second", "The write-bandwidth estimate used for throttling.",
                device, bandwidthBytesPerSec));
        metrics.add(gauge("throttled_writers", "Writers whose answer the throttle is delaying now.", device,
                stats.throttledWriters()));
        metrics.add(counter("throttle_pauses", "Writer answers the throttle delayed since start.", device,
                counters.throttlePauses()));
        metrics.add(counter("throttle_pause_seconds", "Total delay the throttle imposed on writers since start.",
                device, counters.throttlePauseNanos() / 1e9));
        metrics.add(writeErrors(device, counters));
        metrics.add(counter("journal_events", "File-metadata events persisted to the journal since start.", device,
                counters.journalEvents()));
        metrics.add(gauge("open_handles", "Handles open.", device, stats.openHandles()));
        metrics.add(gauge("active_files", "Files with an active actor.", device, stats.activeFiles()));
        return new MetricSnapshots(metrics);
    }

    private String render(MetricSnapshots snapshots) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writer.write(out, snapshots);
        } catch (IOException e) {
            throw new UncheckedIOException("a byte array cannot fail", e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static HistogramSnapshot bioSizes(Labels device, EngineCounters.Snapshot counters) {
        List<Long> bounds = EngineCounters.BIO_SIZE_BOUNDS;
        double[] upper = new double[bounds.size() + 1];
        long[] counts = new long[upper.length];
        for (int i = 0; i < upper.length; i++) {
            upper[i] = i < bounds.size() ? bounds.get(i) : Double.POSITIVE_INFINITY;
            counts[i] = counters.bioSizeCounts().get(i);
        }
        return HistogramSnapshot.builder()
                .name(PREFIX + "write_bio_size_bytes")
                .help("Sizes of the write bios that ended, in bytes.")
                .dataPoint(HistogramDataPointSnapshot.builder()
                        .labels(device)
                        .classicHistogramBuckets(ClassicHistogramBuckets.of(upper, counts))
                        .sum(counters.bioBytes())
                        .build())
                .build();
    }

    private static CounterSnapshot writeErrors(Labels device, EngineCounters.Snapshot counters) {
        Map<Errno, Long> byErrno = new EnumMap<>(Errno.class);
        ALWAYS_SHOWN.forEach(errno -> byErrno.put(errno, 0L));
        byErrno.putAll(counters.writeErrorsByErrno());
        CounterSnapshot.Builder family = CounterSnapshot.builder()
                .name(PREFIX + "write_errors")
                .help("Write bios that failed since start, by errno.");
        byErrno.forEach((errno, count) -> family.dataPoint(CounterDataPointSnapshot.builder()
                .labels(device.add("errno", errno.name()))
                .value(count)
                .build()));
        return family.build();
    }

    private static GaugeSnapshot gauge(String name, String help, Labels device, double value) {
        return GaugeSnapshot.builder()
                .name(PREFIX + name)
                .help(help)
                .dataPoint(GaugeDataPointSnapshot.builder().labels(device).value(value).build())
                .build();
    }

    private static CounterSnapshot counter(String name, String help, Labels device, double value) {
        return CounterSnapshot.builder()
                .name(PREFIX + name)
                .help(help)
                .dataPoint(CounterDataPointSnapshot.builder().labels(device).value(value).build())
                .build();
    }
}
