package dev.writebackd.daemon.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code writebackd bench}: runs one workload against writebackd, the kernel page cache, naive
 * write-through and the raw O_DIRECT ceiling, and prints the table (and optionally JSON and an SVG
 * chart). Exit code 0 on success, 2 for bad options, 1 if a run fails.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure writebackd against the kernel page cache, naive write-through and raw O_DIRECT.")
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--workload", required = true, paramLabel = "W",
            description = "seq-write, rand-write, overwrite-hot, fsync-heavy, mixed, ingest, fsync-latency")
    String workload;

    @Option(names = "--size", defaultValue = "1g", paramLabel = "SIZE",
            description = "bytes the workload writes, e.g. 1g, 256m (default ${DEFAULT-VALUE})")
    String size;

    @Option(names = "--files", defaultValue = "64", paramLabel = "N",
            description = "files for rand-write, overwrite-hot, fsync-heavy, mixed, ingest (default ${DEFAULT-VALUE})")
    int files;

    @Option(names = "--dir", defaultValue = "bench-data", paramLabel = "DIR",
            description = "directory for the device file and test files, on the disk to measure"
                    + " (default ${DEFAULT-VALUE})")
    Path dir;

    @Option(names = "--runs", defaultValue = "3", paramLabel = "R",
            description = "runs; medians over them (default ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "S",
            description = "seed of the random orders (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the results as JSON")
    Path json;

    @Option(names = "--chart", paramLabel = "FILE", description = "also write an SVG bar chart")
    Path chart;

    @Option(names = "--no-persist", description = "writebackd keeps file metadata in memory (default: persisted, ordered mode)")
    boolean noPersist;

    @Option(names = "--verify", description = "read every written page back and compare (writebackd, kernel, write-through)")
    boolean verify;

    @Option(names = "--systems", split = ",", paramLabel = "S",
            description = "run only these systems (writebackd, kernel, write-through, raw); default all four")
    java.util.List<String> systems;

    @Option(names = "--no-progress", description = "no progress bar on stderr")
    boolean noProgress;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BenchOptions options;
        java.util.List<String> chosen;
        try {
            options = new BenchOptions(Workload.parse(workload), BenchOptions.parseSize(size), files, dir, runs, seed,
                    !noPersist);
            chosen = Bench.chooseSystems(systems);
        } catch (IllegalArgumentException e) {
            err.println("bench: " + e.getMessage());
            return 2;
        }
        KernelThresholds kernel = KernelThresholds.read();
        BenchReport report;
        try {
            report = new Bench(options, kernel, verify, noProgress ? null : System.err, chosen).run();
        } catch (IOException | RuntimeException e) {
            err.println("bench: " + options.workload() + " failed: " + e);
            return 1;
        }
        out.print(report.toText());
        out.flush();
        if (json != null) {
            write(json, report.toJson());
            out.println("JSON written to " + json);
        }
        if (chart != null) {
            write(chart, SvgChart.render(report));
            out.println("chart written to " + chart);
        }
        out.flush();
        return 0;
    }

    private static void write(Path file, String text) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, text);
    }
}
