package dev.writebackd.daemon.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * The frames of {@code ctl watch}: from one stats answer, the bandwidth estimate and the previous
 * frame, a screen of text — dirty and writeback pages with a bar against the dirty threshold (|
 * marks the background threshold), the thresholds, the bandwidth estimate and the pages written
 * per second since the previous frame.
 *
 * <p>Keeps the previous frame's counters: not thread-safe, one per watch.
 */
final class WatchView {
    private static final int BAR = 40;

    private final String url;
    private final Duration interval;
    private long previousWritten = -1;
    private long previousNanos;

    WatchView(String url, Duration interval) {
        this.url = url;
        this.interval = interval;
    }

    /** The frame for {@code stats} read at {@code nanos} (a monotonic clock). */
    String frame(JsonNode stats, OptionalDouble bandwidthBytesPerSec, long nanos) {
        long dirty = number(stats, "dirtyPages");
        long writeback = number(stats, "writebackPages");
        long background = number(stats, "backgroundThresholdPages");
        long limit = number(stats, "dirtyThresholdPages");
        long written = number(stats, "pagesWritten");
        String rate = "-";
        if (previousWritten >= 0 && nanos > previousNanos && written >= previousWritten) {
            double seconds = (nanos - previousNanos) / 1e9;
            rate = String.format(Locale.ROOT, "%.1f pages/s", (written - previousWritten) / seconds);
        }
        previousWritten = written;
        previousNanos = nanos;
        Table table = Table.withoutHeaders(3)
                .row("dirty", dirty, bar(dirty, writeback, background, limit))
                .row("writeback", writeback, "")
                .row("background threshold", background, "pages: background writeback starts")
                .row("dirty threshold", limit, "pages: writers are throttled")
                .row("throttled writers", number(stats, "throttledWriters"), "")
                .row("bandwidth estimate", bandwidthBytesPerSec.isPresent()
                        ? bytesPerSecond(bandwidthBytesPerSec.getAsDouble()) : "-", "")
                .row("written", rate, "since the last refresh")
                .row("bios submitted", number(stats, "biosSubmitted"), "")
                .row("write errors", number(stats, "writeErrors"), "");
        return "writebackd at " + url + " - every " + describe(interval) + ", Ctrl-C to stop\n\n" + table.render();
    }

    /**
     * {@code [####++...|....] 15% of dirty threshold}: dirty pages as #, writeback as +, against the
     * dirty threshold, with | where the background threshold lies.
     */
    static String bar(long dirty, long writeback, long background, long limit) {
        if (limit <= 0 || limit == Long.MAX_VALUE) {
            return "";
        }
        char[] cells = new char[BAR];
        java.util.Arrays.fill(cells, '.');
        int dirtyCells = cells(dirty, limit);
        int writebackCells = Math.min(BAR - dirtyCells, cells(writeback, limit));
        int backgroundCell = cells(background, limit);
        if (backgroundCell > 0 && backgroundCell < BAR) {
            cells[backgroundCell] = '|';
        }
        java.util.Arrays.fill(cells, 0, dirtyCells, '#');
        java.util.Arrays.fill(cells, dirtyCells, dirtyCells + writebackCells, '+');
        return "[" + new String(cells) + "] "
                + String.format(Locale.ROOT, "%.0f%%", 100.0 * (dirty + writeback) / limit) + " of dirty threshold";
    }

    private static int cells(long pages, long limit) {
        return (int) Math.min(BAR, Math.max(0, Math.round((double) pages * BAR / limit)));
    }

    static String bytesPerSecond(double bytes) {
        String[] units = {"B/s", "KiB/s", "MiB/s", "GiB/s"};
        int unit = 0;
        while (bytes >= 1024 && unit < units.length - 1) {
            bytes /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", bytes, units[unit]);
    }

    private static String describe(Duration interval) {
        return interval.toMillis() % 1000 == 0 ? interval.toSeconds() + "s" : interval.toMillis() + "ms";
    }

    private static long number(JsonNode stats, String key) {
        JsonNode value = stats == null ? null : stats.get(key);
        return value == null || !value.isNumber() ? 0 : value.asLong();
    }
}
