package dev.writebackd.daemon.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchReportTest {
    private static SystemResult result(String system, double seconds, double syncSeconds, long bios) {
        return new SystemResult(system, seconds, seconds - syncSeconds, syncSeconds, 1L << 30, 0, bios, 256, 4096,
                "engine", 64, 1.5, 9.5, 0.25, 1L << 20);
    }

    private static BenchReport report() {
        Map<String, List<SystemResult>> runs = new LinkedHashMap<>();
        runs.put("writebackd", List.of(result("writebackd", 1.0, 0.5, 4096), result("writebackd", 0.8, 0.4, 4096),
                result("writebackd", 3.0, 2.0, 8192)));
        runs.put("kernel", List.of(result("kernel", 2.0, 1, -1), result("kernel", 2.0, 1, -1), result("kernel", 2.0, 1, -1)));
        runs.put("write-through", List.of(result("write-through", 5, 0.1, -1), result("write-through", 6, 0.1, -1),
                result("write-through", 7, 0.1, -1)));
        runs.put("raw O_DIRECT", List.of(result("raw O_DIRECT", 0.5, 0.01, 1024), result("raw O_DIRECT", 0.5, 0.01, 1024),
                result("raw O_DIRECT", 0.5, 0.01, 1024)));
        BenchOptions options = new BenchOptions(Workload.RAND_WRITE, 1L << 30, 64, Path.of("d"), 3, 42, true);
        return new BenchReport(options, List.of("setting \"quoted\""), List.of("a note"), runs);
    }

    @Test
    void spreadsAreMediansWithMinAndMax() {
        assertThat(BenchReport.Spread.of(new double[] {3, 1, 2})).isEqualTo(new BenchReport.Spread(2, 1, 3));
        assertThat(BenchReport.Spread.of(new double[] {4, 1, 2, 3})).isEqualTo(new BenchReport.Spread(2.5, 1, 4));
        assertThat(BenchReport.Spread.of(new double[0])).isEqualTo(new BenchReport.Spread(0, 0, 0));
    }

    @Test
    void ratiosArePerRunThenMedian() {
        BenchReport report = report();
        assertThat(report.overKernel()).isEqualTo(new BenchReport.Spread(0.5, 0.4, 1.5));
        // raw: 2^30 bytes in 0.5 s; writebackd's writeback 2^30 bytes in 0.5 s → 1.0
        assertThat(report.overRaw().median()).isEqualTo(1.0);
        assertThat(report.biosOverMin()).isEqualTo(new BenchReport.Spread(1, 1, 2));
    }

    @Test
    void jsonHasTheWorkloadSystemsAndRatios() {
        String json = report().toJson();
        assertThat(json).contains("\"workload\": \"rand-write\"")
                .contains("\"systems\": {")
                .contains("\"writebackd\": {\"name\": \"writebackd\", \"seconds\": 1,")
                .contains("\"mbPerSec\":")
                .contains("\"ratios\": {\"overKernel\": 0.500000")
                .contains("\"overRaw\": 1,")
                .contains("\"setting \\\"quoted\\\"\"");
        assertThat(json.chars().filter(c -> c == '{').count()).isEqualTo(json.chars().filter(c -> c == '}').count());
    }

    @Test
    void textTableHasARowPerSystemAndTheRatios() {
        String text = report().toText();
        for (String system : Bench.SYSTEMS) {
            assertThat(text).contains("\n" + system);
        }
        assertThat(text).contains("writebackd / kernel time       0.50 (0.40-1.50)").contains("note: a note");
    }

    @Test
    void ratiosThatNeedASystemThatDidNotRunSayNotAvailable() {
        BenchReport full = report();
        Map<String, List<SystemResult>> runs = new LinkedHashMap<>(full.runs());
        runs.remove("kernel");
        String text = new BenchReport(full.options(), full.setup(), full.notes(), runs).toText();
        assertThat(text).contains("writebackd / kernel time       n/a")
                .contains("writebackd writeback bw / raw  1.00")
                .contains("writebackd bios / minimum      1.00 (1.00-2.00)");
    }

    @Test
    void chartHasABarPerSystem() {
        String svg = SvgChart.render(report());
        assertThat(svg).startsWith("<svg").endsWith("</svg>\n");
        assertThat(svg.split("<rect ", -1)).hasSize(1 + 1 + 4);
        assertThat(svg).contains(">raw O_DIRECT<").contains("rand-write");
    }
}
