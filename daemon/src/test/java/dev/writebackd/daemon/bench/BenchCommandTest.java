package dev.writebackd.daemon.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BenchCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = new CommandLine(new BenchCommand());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void anUnknownWorkloadIsRefusedAndNothingIsWritten() throws IOException {
        assertThat(run("--workload", "random", "--dir", dir.resolve("d").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("unknown workload 'random'").contains("seq-write");
        assertThat(Files.exists(dir.resolve("d"))).isFalse();
    }

    @Test
    void aBadSizeIsRefused() {
        assertThat(run("--workload", "seq-write", "--size", "12q", "--dir", dir.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("size '12q' is invalid");
    }

    @Test
    void aMissingWorkloadIsAUsageError() {
        assertThat(run("--size", "4m")).isEqualTo(2);
        assertThat(err.toString()).contains("--workload");
    }

    @Test
    void aSmallRunPrintsTheTableAndWritesJsonAndChart() throws IOException {
        Path json = dir.resolve("out/r.json");
        Path chart = dir.resolve("out/r.svg");
        int code = run("--workload", "rand-write", "--size", "4m", "--files", "4", "--runs", "1", "--dir",
                dir.resolve("data").toString(), "--json", json.toString(), "--chart", chart.toString(), "--verify",
                "--no-progress");
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("workload rand-write").contains("writebackd / kernel time")
                .contains("kernel thresholds").contains("writebackd settings");
        assertThat(Files.readString(json)).contains("\"workload\": \"rand-write\"").contains("\"raw O_DIRECT\"")
                .contains("\"overKernel\"").contains("\"overRaw\"");
        assertThat(Files.readString(chart)).startsWith("<svg");
        try (var files = Files.list(dir.resolve("data"))) {
            assertThat(files.filter(f -> f.toString().endsWith(".dat") || f.toString().endsWith(".img")))
                    .as("the systems' files are deleted").isEmpty();
        }
    }
}
