package dev.writebackd.daemon.crashcheck;

import static java.util.Objects.requireNonNull;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the seeds of a crash check one after the other and reports: one line per seed (seed, ops,
 * cuts, fsync'd bytes verified, lost, result) with its problems below it, a progress line with the
 * time left on {@code progress} every {@value #PROGRESS_EVERY} seeds, and the summary
 * {@code N cuts, B fsynced bytes verified, L lost}; when a seed failed, also how many and the
 * command that replays the first.
 */
public final class CrashCheck {
    static final int PROGRESS_EVERY = 25;

    private final CrashCheckOptions options;
    private final PrintWriter out;
    private final PrintWriter progress;
    private final boolean trace;

    /**
     * A check with {@code options}, reporting on {@code out} and its progress on {@code progress};
     * with {@code trace}, {@code out} also gets every operation, cut and restart.
     */
    public CrashCheck(CrashCheckOptions options, PrintWriter out, PrintWriter progress, boolean trace) {
        this.options = requireNonNull(options, "options");
        this.out = requireNonNull(out, "out");
        this.progress = requireNonNull(progress, "progress");
        this.trace = trace;
    }

    /**
     * Runs every seed.
     *
     * @return the results, in seed order
     */
    public List<SeedResult> run() {
        List<SeedResult> results = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < options.seeds(); i++) {
            long seed = options.firstSeed() + i;
            SeedRun run = new SeedRun(seed, options, trace ? line -> out.println("  " + seed + ": " + line) : SeedRun.NO_TRACE);
            SeedResult result = run.run();
            results.add(result);
            out.println(result.line());
            result.problems().forEach(problem -> out.println("  " + problem));
            if (!result.ok()) {
                out.println("  journal kept in " + run.dataDir() + "; replay: " + options.replayCommand(seed));
            }
            out.flush();
            if ((i + 1) % PROGRESS_EVERY == 0 && i + 1 < options.seeds()) {
                reportProgress(i + 1, results, System.nanoTime() - started);
            }
        }
        summarize(results);
        return results;
    }

    private void reportProgress(int done, List<SeedResult> results, long elapsedNanos) {
        long failed = results.stream().filter(r -> !r.ok()).count();
        Duration elapsed = Duration.ofNanos(elapsedNanos);
        Duration left = Duration.ofNanos(elapsedNanos / done * (options.seeds() - done));
        progress.println("crashcheck: " + done + "/" + options.seeds() + " seeds, " + failed + " failed, "
                + elapsed.toSeconds() + " s so far, about " + left.toSeconds() + " s left");
        progress.flush();
    }

    private void summarize(List<SeedResult> results) {
        long cuts = results.stream().mapToLong(SeedResult::cuts).sum();
        long verified = results.stream().mapToLong(SeedResult::fsyncedBytes).sum();
        long lost = results.stream().mapToLong(SeedResult::lostBytes).sum();
        out.println(cuts + " cuts, " + verified + " fsynced bytes verified, " + lost + " lost");
        List<SeedResult> failed = results.stream().filter(r -> !r.ok()).toList();
        if (!failed.isEmpty()) {
            out.println(failed.size() + " of " + results.size() + " seeds FAILED: "
                    + failed.stream().map(r -> Long.toString(r.seed())).limit(20).toList()
                    + "; replay the first with: " + options.replayCommand(failed.get(0).seed()));
        }
        out.flush();
    }
}
