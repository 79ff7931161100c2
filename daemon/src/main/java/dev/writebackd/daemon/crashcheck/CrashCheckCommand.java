package dev.writebackd.daemon.crashcheck;

import dev.writebackd.config.ErrorPolicy;
import dev.writebackd.config.Layout;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code writebackd crashcheck}: power-cuts the engine under a seeded workload, restarts it and
 * checks what survived ({@link CrashCheck}). Exit status 0 when every seed passed, 1 when any
 * found a violation (the seeds to replay are printed), 2 for bad options.
 */
@Command(name = "crashcheck", mixinStandardHelpOptions = true,
        description = {"Run a seeded workload (writes, overwrites, truncates, renames, fsyncs over several files)"
            + " against the engine behind a volatile write cache, cut the power at seeded points (mostly inside an"
            + " fsync or a sync), restart on the same device and journal, and verify: every fsync'd byte intact;"
            + " unsynced sectors hold an old or new version, never another file's bytes or garbage (extent"
            + " layout); the engine's consistency check passes. A seed replays the same workload and cut plan.",
            ""},
        footer = {"", "Output: one line per seed, then 'N cuts, B fsynced bytes verified, L lost'.",
            "Exit status: 0 all seeds passed; 1 a violation was found (each failed seed is printed with the"
                + " command that replays it); 2 invalid option. See docs/CRASHCHECK.md."})
public final class CrashCheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--seeds", paramLabel = "N", defaultValue = "10",
            description = "Number of seeds to run (default ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--first-seed", paramLabel = "S", defaultValue = "1",
            description = "First seed; the others follow it (default ${DEFAULT-VALUE}).")
    long firstSeed;

    @Option(names = "--ops", paramLabel = "M", defaultValue = "200",
            description = "Operations per seed (default ${DEFAULT-VALUE}).")
    int ops;

    @Option(names = "--cuts", paramLabel = "K", defaultValue = "3",
            description = "Power cuts per seed, at most --ops (default ${DEFAULT-VALUE}).")
    int cuts;

    @Option(names = "--policy", paramLabel = "P", defaultValue = "linux",
            description = "Error policy of the engine: linux, redirty, sticky (default ${DEFAULT-VALUE}).")
    String policy;

    @Option(names = "--layout", paramLabel = "L", defaultValue = "extent",
            description = "extent (all data checked) or ext2 (fsync'd data only) (default ${DEFAULT-VALUE}).")
    String layout;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "Directory for the seeds' journals (default: a new temporary directory, removed"
                    + " at the end unless a seed failed).")
    Path dir;

    @Option(names = "--verbose", description = "Show the engine's warnings and errors (hidden by default).")
    boolean verbose;

    @Option(names = "--trace", description = "Print every operation, cut and restart (to study a failing seed).")
    boolean trace;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        CrashCheckOptions options;
        boolean temporary = dir == null;
        try {
            options = new CrashCheckOptions(seeds, firstSeed, ops, cuts, parsePolicy(policy), parseLayout(layout),
                    temporary ? Path.of(System.getProperty("java.io.tmpdir")) : dir);
        } catch (IllegalArgumentException e) {
            err.println("crashcheck: " + e.getMessage());
            err.flush();
            return 2;
        }
        if (temporary) {
            options = new CrashCheckOptions(seeds, firstSeed, ops, cuts, options.policy(), options.layout(),
                    Files.createTempDirectory("writebackd-crashcheck"));
        }
        List<SeedResult> results;
        try (EngineLogs quiet = EngineLogs.quiet(verbose)) {
            results = new CrashCheck(options, out, err, trace).run();
        }
        boolean allOk = results.stream().allMatch(SeedResult::ok);
        if (temporary && allOk) {
            SeedRun.deleteRecursively(options.dir());
        }
        return allOk ? 0 : 1;
    }

    private static ErrorPolicy parsePolicy(String name) {
        for (ErrorPolicy value : ErrorPolicy.values()) {
            if (value.configName().equals(name)) {
                return value;
            }
        }
        throw new IllegalArgumentException("--policy " + name + " is invalid: allowed linux, redirty, sticky");
    }

    private static Layout parseLayout(String name) {
        for (Layout value : Layout.values()) {
            if (value.configName().equals(name)) {
                return value;
            }
        }
        throw new IllegalArgumentException("--layout " + name + " is invalid: allowed extent, ext2");
    }
}
