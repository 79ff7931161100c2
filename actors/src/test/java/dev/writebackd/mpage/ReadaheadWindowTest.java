package dev.writebackd.mpage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.config.Settings;
import dev.writebackd.mpage.ReadaheadWindow.Range;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReadaheadWindowTest {

    private static final long NONE = Range.NO_MARKER;

    /**
     * A reader over a cold cache: reads {@code count} one-page reads from page 0 and records every
     * range it asks the device for, marking and clearing markers as the page cache does.
     */
    private static List<Range> coldScan(ReadaheadWindow window, int count, int readPages) {
        Set<Long> cached = new HashSet<>();
        Set<Long> marked = new HashSet<>();
        List<Range> issued = new ArrayList<>();
        for (long index = 0; index < (long) count * readPages; index += readPages) {
            for (long page = index; page < index + readPages; page++) {
                Range range = null;
                if (!cached.contains(page)) {
                    range = window.onRead(page, (int) (index + readPages - page));
                } else if (marked.remove(page)) {
                    range = window.onMarkedPage(page);
                }
                if (range != null) {
                    issued.add(range);
                    for (long p = range.start(); p < range.end(); p++) {
                        cached.add(p);
                    }
                    if (range.hasMarker()) {
                        marked.add(range.markerIndex());
                    }
                }
            }
            window.onCacheHit(index, readPages);
        }
        return issued;
    }

    @Test
    @DisplayName("A2 a one-page window reading page 0 reads that page and marks nothing (no async part)")
    void onePageWindowAtPageZero() {
        ReadaheadWindow window = new ReadaheadWindow(1);

        Range range = window.onRead(0, 1);

        assertThat(range.start()).isZero();
        assertThat(range.size()).isEqualTo(1);
        assertThat(range.hasMarker()).isFalse();
    }

    @Test
    @DisplayName("A1 the default window is 128 KiB: 32 pages of 4 KiB")
    void defaultWindow() {
        assertThat(new ReadaheadWindow().maxPages()).isEqualTo(32).isEqualTo(ReadaheadWindow.DEFAULT_MAX_PAGES);
        Settings defaults = Settings.defaults();
        assertThat(defaults.readahead().maxWindowBytes()).as("configured default window").isEqualTo(128 * 1024);
        assertThat(defaults.readahead().maxWindowBytes() / defaults.pageCache().pageSize())
                .as("the configured window in pages").isEqualTo(ReadaheadWindow.DEFAULT_MAX_PAGES);
    }

    @ParameterizedTest(name = "read {1} pages at {0}")
    @CsvSource({"100, 1", "7, 3", "1, 1", "5000, 32"})
    @DisplayName("A1 a random read with no history reads only what was asked, with no marker")
    void randomReadNoHistory(long index, int pages) {
        Range range = new ReadaheadWindow().onRead(index, pages);

        assertThat(range).isEqualTo(new Range(index, pages, NONE));
        assertThat(range.hasMarker()).isFalse();
    }

    @Test
    @DisplayName("A1 random reads leave the window alone: its marker still ramps it up")
    void randomReadKeepsWindow() {
        ReadaheadWindow window = new ReadaheadWindow();
        assertThat(window.onRead(0, 1)).isEqualTo(new Range(0, 4, 1));

        assertThat(window.onRead(900, 2)).isEqualTo(new Range(900, 2, NONE));
        assertThat(window.onRead(300, 1)).isEqualTo(new Range(300, 1, NONE));

        assertThat(window.onMarkedPage(1)).isEqualTo(new Range(4, 8, 4));
    }

    @ParameterizedTest(name = "request {0} at 0 → {1} pages, marker at {2}")
    @CsvSource({
        "1, 4, 1", // 1 ≤ 32/32 → ×4; async 3
        "2, 4, 2", // 2 ≤ 8 → ×2; async 2
        "3, 8, 3", // roundup 4 ≤ 8 → ×2; async 5
        "4, 8, 4",
        "5, 16, 5", // roundup 8 ≤ 8 → ×2; async 11
        "9, 32, 9", // roundup 16 > 8 → max; async 23
        "32, 32, 16", // async = size − request = 0 → size: marker on the page read, next window merged in
    })
    @DisplayName("A2 a read at index 0 opens the first window: roundUpPow2(request) ×4 / ×2 / max, marker asyncSize before its end")
    void firstWindowAtZero(int request, int size, long marker) {
        assertThat(new ReadaheadWindow().onRead(0, request)).isEqualTo(new Range(0, size, marker));
    }

    @Test
    @DisplayName("A2 a sequential miss right after the previous read opens a first window there")
    void sequentialMiss() {
        ReadaheadWindow window = new ReadaheadWindow();
        assertThat(window.onRead(100, 1)).isEqualTo(new Range(100, 1, NONE));

        assertThat(window.onRead(101, 1)).isEqualTo(new Range(101, 4, 102));
    }

    @Test
    @DisplayName("A2 a miss on the last page read (an unaligned re-read) counts as sequential too")
    void missOnLastPage() {
        ReadaheadWindow window = new ReadaheadWindow();
        window.onCacheHit(200, 3); // pages 200–202

        assertThat(window.onRead(202, 2)).isEqualTo(new Range(202, 4, 204));
        assertThat(new ReadaheadWindow().onRead(203, 2)).as("no history").isEqualTo(new Range(203, 2, NONE));
    }

    @Test
    @DisplayName("A2 a read two pages past the previous one is random")
    void gapIsRandom() {
        ReadaheadWindow window = new ReadaheadWindow();
        window.onCacheHit(200, 1);

        assertThat(window.onRead(202, 1)).isEqualTo(new Range(202, 1, NONE));
    }

    @Test
    @DisplayName("A2 a request larger than the window opens a full window, cut to max")
    void oversizeRequest() {
        Range range = new ReadaheadWindow().onRead(500, 40);

        // size = max = 32, asyncSize = size (32 − 40 ≤ 0): marker on the page read, merged: async max/2
        assertThat(range).isEqualTo(new Range(500, 32, 516));
    }

    @Test
    @DisplayName("A2 with an io size above the window, a larger request is read whole in one range")
    void oversizeRequestWithIoPages() {
        // the window stretches to the request, which is then no longer oversize: read as asked
        assertThat(new ReadaheadWindow(32, 256).onRead(500, 40)).isEqualTo(new Range(500, 40, NONE));
        // beyond the io size it is oversize again: a full window of 256, marker at half
        assertThat(new ReadaheadWindow(32, 256).onRead(500, 1000)).isEqualTo(new Range(500, 256, 628));
        // at index 0 the stretched window is a first window
        assertThat(new ReadaheadWindow(32, 256).onRead(0, 40)).isEqualTo(new Range(0, 40, 20));
    }

    @Test
    @DisplayName("A3 a cold sequential scan of one-page reads issues 16, 32, 64, 128, 128 … KiB windows")
    void coldSequentialScan() {
        List<Range> issued = coldScan(new ReadaheadWindow(), 200, 1);

        assertThat(issued.subList(0, 7)).containsExactly(
                new Range(0, 4, 1),
                new Range(4, 8, 4),
                new Range(12, 16, 12),
                new Range(28, 32, 28),
                new Range(60, 32, 60),
                new Range(92, 32, 92),
                new Range(124, 32, 124));
        assertThat(issued).extracting(r -> r.size() * 4).startsWith(16, 32, 64, 128, 128, 128, 128);
        assertThat(issued).allSatisfy(r -> assertThat(r.size()).isLessThanOrEqualTo(32));
        long pagesRead = issued.stream().mapToLong(Range::size).sum();
        assertThat(pagesRead).as("windows are contiguous and cover the scan").isEqualTo(issued.get(issued.size() - 1).end());
    }

    @Test
    @DisplayName("A3 a cold sequential scan of 16 KiB reads ramps up the same way, from a larger first window")
    void coldScanOfLargerReads() {
        List<Range> issued = coldScan(new ReadaheadWindow(), 50, 4);

        assertThat(issued.subList(0, 4)).containsExactly(
                new Range(0, 8, 4), new Range(8, 16, 8), new Range(24, 32, 24), new Range(56, 32, 56));
    }

    @ParameterizedTest(name = "size {0} of max {1} → {2}")
    @CsvSource({
        "1, 32, 4", "4, 32, 8", "8, 32, 16", "16, 32, 32", "17, 32, 32", "32, 32, 32",
        "15, 256, 60", "16, 256, 32", "128, 256, 256", "129, 256, 256",
    })
    @DisplayName("A3 next size: ×4 below max/16, ×2 up to max/2, else max")
    void nextSizeRule(int size, int max, int next) {
        assertThat(ReadaheadWindow.nextSize(size, max)).isEqualTo(next);
    }

    @ParameterizedTest(name = "request {0} of max {1} → {2}")
    @CsvSource({"1, 32, 4", "1, 256, 4", "8, 256, 32", "9, 256, 32", "64, 256, 128", "65, 256, 256", "300, 256, 256"})
    @DisplayName("A2 initial size: roundUpPow2 ×4 up to max/32, ×2 up to max/4, else max")
    void initialSizeRule(int request, int max, int size) {
        assertThat(ReadaheadWindow.initialSize(request, max)).isEqualTo(size);
    }

    @Test
    @DisplayName("A3 with a 1 MiB window a cold scan grows 16, 64, 128, 256, 512, 1024, 1024 KiB")
    void rampWithLargerMax() {
        List<Range> issued = coldScan(new ReadaheadWindow(256), 1000, 1);

        assertThat(issued).extracting(r -> r.size() * 4).startsWith(16, 64, 128, 256, 512, 1024, 1024);
    }

    @Test
    @DisplayName("A3 a miss exactly at the window's end continues the ramp instead of starting over")
    void missAtWindowEnd() {
        ReadaheadWindow window = new ReadaheadWindow();
        window.onRead(0, 1); // [0, 4), marker 1
        window.onMarkedPage(1); // [4, 12), marker 4

        // the reader skipped the marker (pages evicted); its miss at 12 is the next window's start,
        // whose async part is the whole window, so the one after it is merged in
        Range range = window.onRead(12, 1);

        assertThat(range).isEqualTo(new Range(12, 32, 28));
    }

    @Test
    @DisplayName("A3 a marker left by an older window starts a window after the cached run")
    void staleMarker() {
        ReadaheadWindow window = new ReadaheadWindow();
        window.onRead(0, 1);

        assertThat(window.onMarkedPage(1000)).isEqualTo(new Range(1001, 4, 1001));
        // cached run 8 + the marked read 1 = 9, ramped up ×2 → 18
        assertThat(window.onMarkedPage(3000, 3008)).isEqualTo(new Range(3008, 18, 3008));
        assertThat(window.onMarkedPage(5000, 5040)).as("cached run longer than the window").isNull();
    }

    @Test
    @DisplayName("A1 invalid reads and windows are refused")
    void invalid() {
        assertThatThrownBy(() -> new ReadaheadWindow(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReadaheadWindow().onRead(-1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReadaheadWindow().onRead(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReadaheadWindow().onMarkedPage(5, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Range(0, 4, 4)).isInstanceOf(IllegalArgumentException.class);
    }
}
