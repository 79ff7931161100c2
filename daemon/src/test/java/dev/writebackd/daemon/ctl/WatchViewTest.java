package dev.writebackd.daemon.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class WatchViewTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theBarShowsDirtyAndWritebackAgainstTheLimitWithTheBackgroundThresholdMarked() {
        assertThat(WatchView.bar(100, 50, 200, 400))
                .isEqualTo("[" + "#".repeat(10) + "+".repeat(5) + ".".repeat(5) + "|" + ".".repeat(19) + "] 38% of dirty threshold");
        assertThat(WatchView.bar(0, 0, 200, 400)).startsWith("[....................|");
        assertThat(WatchView.bar(900, 0, 200, 400)).startsWith("[" + "#".repeat(40) + "] 225%");
        assertThat(WatchView.bar(5, 0, 0, Long.MAX_VALUE)).isEmpty(); // no thresholds published
    }

    @Test
    void theWrittenRateIsMeasuredBetweenFrames() throws Exception {
        WatchView view = new WatchView("http://h:1/", Duration.ofSeconds(2));

        String first = view.frame(stats(1000), OptionalDouble.empty(), 0);
        String second = view.frame(stats(1500), OptionalDouble.of(2.5 * 1024 * 1024), 2_000_000_000L);

        assertThat(first).startsWith("writebackd at http://h:1/ - every 2s").containsPattern("written\\s+-");
        assertThat(second).containsPattern("written\\s+250\\.0 pages/s")
                .containsPattern("bandwidth estimate\\s+2\\.5 MiB/s");
    }

    @Test
    void bandwidthIsShownInBinaryUnits() {
        assertThat(WatchView.bytesPerSecond(512)).isEqualTo("512.0 B/s");
        assertThat(WatchView.bytesPerSecond(100e6)).isEqualTo("95.4 MiB/s");
        assertThat(WatchView.bytesPerSecond(3L << 30)).isEqualTo("3.0 GiB/s");
    }

    private static JsonNode stats(long pagesWritten) throws Exception {
        return JSON.readTree("{\"dirtyPages\": 10, \"writebackPages\": 0, \"backgroundThresholdPages\": 100,"
                + " \"dirtyThresholdPages\": 200, \"pagesWritten\": " + pagesWritten + "}");
    }
}
