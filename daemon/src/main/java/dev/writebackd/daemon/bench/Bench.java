package dev.writebackd.daemon.bench;

import static java.util.Objects.requireNonNull;

import dev.writebackd.config.Settings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a workload {@code runs} times against the four systems — writebackd, the kernel page cache,
 * naive write-through and the raw O_DIRECT ceiling — in one process, rotating which system goes
 * first from run to run, and collects a {@link BenchReport}. Each system starts from fresh files
 * and deletes them afterwards.
 */
public final class Bench {
    /** The systems, in report order. */
    public static final List<String> SYSTEMS = List.of("writebackd", "kernel", "write-through", "raw O_DIRECT");

    private final BenchOptions options;
    private final KernelThresholds kernel;
    private final boolean verify;
    private final PrintStream progressOut;
    private final List<String> systems;

    /**
     * A bench of {@code options}.
     *
     * @param kernel the thresholds writebackd is given
     * @param verify whether to read back every page written and compare it with the last write to it
     * @param progressOut where the progress bar goes, or {@code null} for none
     */
    public Bench(BenchOptions options, KernelThresholds kernel, boolean verify, PrintStream progressOut) {
        this(options, kernel, verify, progressOut, SYSTEMS);
    }

    /** A bench of only {@code systems} (names from {@link #SYSTEMS}), for profiling one of them. */
    public Bench(BenchOptions options, KernelThresholds kernel, boolean verify, PrintStream progressOut,
            List<String> systems) {
        this.systems = List.copyOf(systems);
        this.options = requireNonNull(options, "options");
        this.kernel = requireNonNull(kernel, "kernel");
        this.verify = verify;
        this.progressOut = progressOut;
    }

    /**
     * Runs everything.
     *
     * @throws IOException if a system fails, or (with verification) reads back wrong data
     */
    public BenchReport run() throws IOException {
        Files.createDirectories(options.dir());
        Path dir = options.dir().toAbsolutePath();
        WorkloadPlan plan = WorkloadPlan.of(options);
        PageStamp stamp = new PageStamp(options.seed());
        Settings settings = WritebackdTarget.settingsFor(kernel, options);
        long deviceBytes = WritebackdTarget.deviceBytesFor(options);
        DiskStats disk = DiskStats.forDir(dir);
        Map<String, List<SystemResult>> results = new LinkedHashMap<>();
        SYSTEMS.forEach(name -> results.put(name, new ArrayList<>()));
        Set<String> setup = new LinkedHashSet<>();
        Set<String> notes = new LinkedHashSet<>();
        setup.add(kernel.describe());
        setup.add("workload " + options.workload() + ": " + options.workload().description());
        long total = plan.measuredOps() + plan.setup().length + plan.files();
        for (int run = 0; run < options.runs(); run++) {
            for (int k = 0; k < SYSTEMS.size(); k++) {
                String system = SYSTEMS.get((run + k) % SYSTEMS.size());
                if (!systems.contains(system)) {
                    continue;
                }
                AtomicLong progress = new AtomicLong();
                String label = String.format("run %d/%d %s", run + 1, options.runs(), system);
                SystemResult result;
                ProgressBar bar = ProgressBar.start(progressOut, label, progress,
                        system.equals("raw O_DIRECT") ? options.pages() : total);
                try {
                    result = runOne(system, plan, stamp, settings, deviceBytes, dir, disk, progress, setup, notes);
                } finally {
                    bar.close();
                }
                results.get(system).add(result);
            }
        }
        return new BenchReport(options, List.copyOf(setup), List.copyOf(notes), results);
    }

    /**
     * The systems named in {@code names} ({@code raw} stands for {@code raw O_DIRECT}), all four if
     * {@code names} is null or empty.
     *
     * @throws IllegalArgumentException for an unknown name
     */
    public static List<String> chooseSystems(List<String> names) {
        if (names == null || names.isEmpty()) {
            return SYSTEMS;
        }
        List<String> chosen = new ArrayList<>();
        for (String name : names) {
            String system = name.trim().equals("raw") ? "raw O_DIRECT" : name.trim();
            if (!SYSTEMS.contains(system)) {
                throw new IllegalArgumentException("unknown system '" + name + "': allowed writebackd, kernel, "
                        + "write-through, raw");
            }
            chosen.add(system);
        }
        return chosen;
    }

    private SystemResult runOne(String system, WorkloadPlan plan, PageStamp stamp, Settings settings, long deviceBytes,
            Path dir, DiskStats disk, AtomicLong progress, Set<String> setup, Set<String> notes) throws IOException {
        if (system.equals("raw O_DIRECT")) {
            setup.add("raw O_DIRECT: sequential " + RawCeiling.CHUNK / (1 << 20) + " MiB O_DIRECT positional writes of "
                    + Units.bytes(options.sizeBytes()) + " into a "
                    + (WritebackdTarget.PREALLOCATE ? "file preallocated with zeros (untimed)" : "fresh sparse file")
                    + ", then force(true)");
            return new RawCeiling(dir).run(options.sizeBytes(), stamp, progress, disk);
        }
        WorkloadRunner runner = new WorkloadRunner(plan, stamp, progress);
        Target target = switch (system) {
            case "writebackd" -> new WritebackdTarget(dir, settings, deviceBytes, options.persist());
            case "kernel" -> new KernelTarget(dir);
            default -> new WriteThroughTarget(dir);
        };
        SystemResult result;
        List<String> problems = List.of();
        try {
            result = runner.run(target, disk);
            setup.addAll(target.describe());
            if (!runner.coldNote().isEmpty()) {
                notes.add(system + ": " + runner.coldNote());
            }
            if (verify) {
                problems = runner.verify(target);
            }
        } finally {
            target.close();
            delete(target, plan.files());
        }
        if (!problems.isEmpty()) {
            throw new IOException("read back wrong data: " + String.join("; ", problems));
        }
        return result;
    }

    private static void delete(Target target, int files) throws IOException {
        if (target instanceof WritebackdTarget w) {
            w.delete();
        } else if (target instanceof KernelTarget k) {
            k.delete(files);
        } else if (target instanceof WriteThroughTarget t) {
            t.delete(files);
        }
    }
}
