package dev.writebackd.daemon.bench;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The results of a bench: every run of every system, summarised as medians with min and max, the
 * ratios writebackd / kernel (time) and writebackd / raw (bandwidth), as a text table and as JSON.
 *
 * @param options what ran
 * @param setup how each system was set up, and the thresholds given to writebackd
 * @param notes what happened along the way (such as whether the host page cache was dropped)
 * @param runs each system's results, one per run, in {@link Bench#SYSTEMS} order
 */
public record BenchReport(BenchOptions options, List<String> setup, List<String> notes,
        Map<String, List<SystemResult>> runs) {

    /** Validates. */
    public BenchReport {
        requireNonNull(options, "options");
        setup = List.copyOf(setup);
        notes = List.copyOf(notes);
        runs = Map.copyOf(runs);
    }

    /** A median with the smallest and largest value. */
    public record Spread(double median, double min, double max) {
        /** The spread of {@code values}; zeros if there are none. */
        public static Spread of(double[] values) {
            if (values.length == 0) {
                return new Spread(0, 0, 0);
            }
            double[] sorted = values.clone();
            Arrays.sort(sorted);
            int n = sorted.length;
            double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
            return new Spread(median, sorted[0], sorted[n - 1]);
        }
    }

    /** The spread of {@code metric} over {@code system}'s runs. */
    public Spread spread(String system, ToDoubleFunction<SystemResult> metric) {
        return Spread.of(runs.getOrDefault(system, List.of()).stream().mapToDouble(metric).toArray());
    }

    /** writebackd's time over the kernel's, per run. */
    public Spread overKernel() {
        return perRun((w, k, r) -> w.seconds() / k.seconds());
    }

    /** writebackd's writeback bandwidth (bytes over its final fsyncs' time) over raw's bandwidth, per run. */
    public Spread overRaw() {
        return perRunOverRaw((w, r) -> w.syncMbPerSec() / r.mbPerSec());
    }

    /** writebackd's bandwidth over its whole time over raw's bandwidth, per run. */
    public Spread overRawTotal() {
        return perRunOverRaw((w, r) -> w.mbPerSec() / r.mbPerSec());
    }

    /** writebackd's bios over the fewest possible, per run. */
    public Spread biosOverMin() {
        return spread("writebackd", w -> w.minBios() == 0 ? 0 : w.writeBios() / (double) w.minBios());
    }

    private interface RunRatio {
        double of(SystemResult writebackd, SystemResult kernel, SystemResult raw);
    }

    /** A ratio of writebackd's run to raw's of the same index; the kernel need not have run. */
    private Spread perRunOverRaw(java.util.function.ToDoubleBiFunction<SystemResult, SystemResult> ratio) {
        List<SystemResult> w = runs.getOrDefault("writebackd", List.of());
        List<SystemResult> r = runs.getOrDefault("raw O_DIRECT", List.of());
        int n = Math.min(w.size(), r.size());
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = ratio.applyAsDouble(w.get(i), r.get(i));
        }
        return Spread.of(values);
    }

    private Spread perRun(RunRatio ratio) {
        List<SystemResult> w = runs.getOrDefault("writebackd", List.of());
        List<SystemResult> k = runs.getOrDefault("kernel", List.of());
        List<SystemResult> r = runs.getOrDefault("raw O_DIRECT", List.of());
        int n = Math.min(w.size(), Math.min(k.size(), r.size()));
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = ratio.of(w.get(i), k.get(i), r.get(i));
        }
        return Spread.of(values);
    }

    /** The report as text: settings, notes, the table and the ratios. */
    public String toText() {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "workload %s, %s over %d file(s), %d run(s), seed %d%n",
                options.workload(), Units.bytes(options.sizeBytes()), options.effectiveFiles(), options.runs(),
                options.seed()));
        setup.forEach(line -> out.append("  ").append(line).append('\n'));
        notes.forEach(line -> out.append("  note: ").append(line).append('\n'));
        out.append(String.format(Locale.ROOT, "%-14s %22s %18s %8s %8s %9s %8s %8s %17s %10s%n", "system",
                "time s (min-max)", "MB/s (min-max)", "phase s", "sync s", "bios", "mean pg", "min bios",
                "fsync p50/p99 ms", "peak mem"));
        for (String system : Bench.SYSTEMS) {
            if (runs.getOrDefault(system, List.of()).isEmpty()) {
                continue;
            }
            Spread time = spread(system, SystemResult::seconds);
            Spread rate = spread(system, SystemResult::mbPerSec);
            out.append(String.format(Locale.ROOT, "%-14s %8.3f (%.3f-%.3f) %7.0f (%.0f-%.0f) %8.3f %8.3f %9.0f %8.1f %8.0f %8.2f/%-8.2f %10s%n",
                    system, time.median(), time.min(), time.max(), rate.median(), rate.min(), rate.max(),
                    spread(system, SystemResult::writeSeconds).median(), spread(system, SystemResult::syncSeconds).median(),
                    spread(system, SystemResult::writeBios).median(), spread(system, SystemResult::meanBioPages).median(),
                    spread(system, SystemResult::minBios).median(), spread(system, SystemResult::fsyncP50Millis).median(),
                    spread(system, SystemResult::fsyncP99Millis).median(),
                    Units.bytes((long) spread(system, SystemResult::peakMemoryBytes).median())));
        }
        out.append("  bios: writebackd counts its own device requests; the others "
                + sourceOf("kernel") + "\n");
        if (!runs.getOrDefault("writebackd", List.of()).isEmpty()) {
            out.append(String.format(Locale.ROOT, "  writebackd's device was busy %.3f s of its %.3f s (I/O time"
                    + " summed over I/O threads)%n", spread("writebackd", SystemResult::deviceSeconds).median(),
                    spread("writebackd", SystemResult::seconds).median()));
        }
        Spread k = overKernel();
        Spread r = overRaw();
        Spread t = overRawTotal();
        Spread b = biosOverMin();
        ratioLine(out, "writebackd / kernel time      ", k, has("kernel") && has("raw O_DIRECT"));
        ratioLine(out, "writebackd writeback bw / raw ", r, has("raw O_DIRECT"));
        ratioLine(out, "writebackd total bw / raw     ", t, has("raw O_DIRECT"));
        ratioLine(out, "writebackd bios / minimum     ", b, true);
        if (options.workload() == Workload.INGEST) {
            Spread ingest = spread("writebackd", SystemResult::writePhaseMbPerSec);
            out.append(String.format(Locale.ROOT, "writebackd ingest (write phase) %.0f MB/s (%.0f-%.0f)%n",
                    ingest.median(), ingest.min(), ingest.max()));
        }
        return out.toString();
    }

    private boolean has(String system) {
        return !runs.getOrDefault(system, List.of()).isEmpty() && !runs.getOrDefault("writebackd", List.of()).isEmpty();
    }

    /** One ratio line; "n/a" with the system it needs when that system did not run. */
    private static void ratioLine(StringBuilder out, String label, Spread spread, boolean measured) {
        if (measured) {
            out.append(String.format(Locale.ROOT, "%s %.2f (%.2f-%.2f)%n", label, spread.median(), spread.min(),
                    spread.max()));
        } else {
            out.append(label).append(" n/a (a system it compares with did not run)\n");
        }
    }

    private String sourceOf(String system) {
        List<SystemResult> results = runs.getOrDefault(system, List.of());
        return results.isEmpty() ? "" : "come from " + results.get(0).biosSource();
    }

    /** The report as JSON: {@code workload}, {@code systems} (by name), {@code ratios}, and the set-up. */
    public String toJson() {
        StringBuilder json = new StringBuilder("{\n");
        json.append("  \"workload\": ").append(quote(options.workload().cliName())).append(",\n");
        json.append("  \"sizeBytes\": ").append(options.sizeBytes()).append(",\n");
        json.append("  \"files\": ").append(options.effectiveFiles()).append(",\n");
        json.append("  \"runs\": ").append(options.runs()).append(",\n");
        json.append("  \"seed\": ").append(options.seed()).append(",\n");
        json.append("  \"persist\": ").append(options.persist()).append(",\n");
        json.append("  \"settings\": ").append(strings(setup)).append(",\n");
        json.append("  \"notes\": ").append(strings(notes)).append(",\n");
        json.append("  \"systems\": {\n");
        List<String> systems = new ArrayList<>();
        for (String system : Bench.SYSTEMS) {
            List<SystemResult> results = runs.getOrDefault(system, List.of());
            if (results.isEmpty()) {
                continue;
            }
            StringBuilder s = new StringBuilder("    ").append(quote(system)).append(": {");
            s.append("\"name\": ").append(quote(system));
            field(s, "seconds", spread(system, SystemResult::seconds));
            field(s, "mbPerSec", spread(system, SystemResult::mbPerSec));
            field(s, "writeSeconds", spread(system, SystemResult::writeSeconds));
            field(s, "syncSeconds", spread(system, SystemResult::syncSeconds));
            field(s, "writePhaseMbPerSec", spread(system, SystemResult::writePhaseMbPerSec));
            field(s, "syncMbPerSec", spread(system, SystemResult::syncMbPerSec));
            field(s, "bios", spread(system, SystemResult::writeBios));
            field(s, "meanBioPages", spread(system, SystemResult::meanBioPages));
            field(s, "minBios", spread(system, SystemResult::minBios));
            field(s, "fsyncP50Ms", spread(system, SystemResult::fsyncP50Millis));
            field(s, "fsyncP99Ms", spread(system, SystemResult::fsyncP99Millis));
            field(s, "peakMemoryBytes", spread(system, SystemResult::peakMemoryBytes));
            field(s, "deviceSeconds", spread(system, SystemResult::deviceSeconds));
            s.append(", \"fsyncs\": ").append(results.get(0).fsyncs());
            s.append(", \"biosSource\": ").append(quote(results.get(0).biosSource()));
            s.append(", \"bytesWritten\": ").append(results.get(0).bytesWritten());
            s.append(", \"bytesRead\": ").append(results.get(0).bytesRead());
            s.append('}');
            systems.add(s.toString());
        }
        json.append(String.join(",\n", systems)).append("\n  },\n");
        StringBuilder ratios = new StringBuilder();
        field(ratios, "overKernel", overKernel());
        field(ratios, "overRaw", overRaw());
        field(ratios, "overRawTotal", overRawTotal());
        field(ratios, "biosOverMin", biosOverMin());
        json.append("  \"ratios\": {").append(ratios.substring(2)).append("}\n}\n");
        return json.toString();
    }

    private static void field(StringBuilder s, String name, Spread spread) {
        s.append(", ").append(quote(name)).append(": ").append(number(spread.median()));
        s.append(", ").append(quote(name + "Min")).append(": ").append(number(spread.min()));
        s.append(", ").append(quote(name + "Max")).append(": ").append(number(spread.max()));
    }

    private static String number(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "null";
        }
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
                : String.format(Locale.ROOT, "%.6g", value);
    }

    private static String strings(List<String> lines) {
        List<String> quoted = lines.stream().map(BenchReport::quote).toList();
        return "[" + String.join(", ", quoted) + "]";
    }

    static String quote(String text) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                case '\r' -> q.append("\\r");
                case '\t' -> q.append("\\t");
                default -> {
                    if (c < 0x20) {
                        q.append(String.format("\\u%04x", (int) c));
                    } else {
                        q.append(c);
                    }
                }
            }
        }
        return q.append('"').toString();
    }
}
