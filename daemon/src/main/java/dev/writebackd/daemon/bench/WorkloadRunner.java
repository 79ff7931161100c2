package dev.writebackd.daemon.bench;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Runs one {@link WorkloadPlan} against one {@link Target}: the untimed setup, the measured phase
 * (one thread per operation array, plus the fsync-latency loop), then a timed fsync of every file,
 * then, if asked, reads every written page back and compares it with the last write to it.
 *
 * <p>Threads work on disjoint files, so the per-file bookkeeping (last version, dirty pages) needs
 * no locks. Not reusable: one runner per run of one system.
 */
public final class WorkloadRunner {
    private static final int SETUP_THREAD = 3;

    private final WorkloadPlan plan;
    private final PageStamp stamp;
    private final AtomicLong progress;
    private final int[][] versions;
    private final BitSet[] dirty;
    private final LongAdder minBios = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder bytesRead = new LongAdder();
    private String coldNote = "";

    /**
     * A runner of {@code plan}, writing pages stamped from {@code stamp}.
     *
     * @param progress counts operations done, for a progress bar
     */
    public WorkloadRunner(WorkloadPlan plan, PageStamp stamp, AtomicLong progress) {
        this.plan = requireNonNull(plan, "plan");
        this.stamp = requireNonNull(stamp, "stamp");
        this.progress = requireNonNull(progress, "progress");
        this.versions = new int[plan.files()][];
        this.dirty = new BitSet[plan.files()];
        for (int f = 0; f < plan.files(); f++) {
            versions[f] = new int[Math.toIntExact(plan.filePages(f))];
            java.util.Arrays.fill(versions[f], -1);
            dirty[f] = new BitSet();
        }
    }

    /** What making the cache cold did, or {@code ""} if the workload needs no cold reads. */
    public String coldNote() {
        return coldNote;
    }

    /**
     * Opens the target's files, runs the plan and the final fsyncs, and measures; leaves the target
     * open (for {@link #verify}).
     *
     * @param disk the device's machine-wide counters, used for systems without counters of their own;
     *     may be {@code null}
     */
    SystemResult run(Target target, DiskStats disk) throws IOException {
        target.open(plan.files());
        Latencies latencies = new Latencies();
        execute(target, plan.setup(), SETUP_THREAD, latencies);
        if (plan.workload().needsColdReads()) {
            coldNote = target.makeCold();
        }
        latencies = new Latencies();
        minBios.reset();
        bytesWritten.reset();
        bytesRead.reset();
        DeviceCounters own = target.counters();
        DeviceCounters host = disk == null ? null : disk.read();
        MemorySampler.settle();
        MemorySampler memory = MemorySampler.start();
        long start = System.nanoTime();
        latencies.addAll(measuredPhase(target));
        long written = System.nanoTime();
        for (int f = 0; f < plan.files(); f++) {
            long t0 = System.nanoTime();
            target.fsync(f);
            if (!plan.latencyLoop()) { // fsync-latency reports the loop's 4 KiB fsyncs alone
                latencies.add(System.nanoTime() - t0);
            }
            synced(f);
        }
        long end = System.nanoTime();
        long peak = memory.stop() + target.memoryTakenAhead();
        long bios = -1;
        double mean = 0;
        String source = "unknown";
        double deviceSeconds = -1;
        DeviceCounters ownAfter = target.counters();
        if (own != null && ownAfter != null) {
            DeviceCounters d = ownAfter.minus(own);
            bios = d.writeBios();
            mean = d.meanWritePages();
            source = "engine";
            deviceSeconds = d.busyNanos() / 1e9;
        } else if (host != null) {
            DeviceCounters after = disk.read();
            if (after != null) {
                DeviceCounters d = after.minus(host);
                bios = d.writeBios();
                mean = d.meanWritePages();
                source = "host " + disk.device() + " (machine-wide)";
            }
        }
        return new SystemResult(target.name(), (end - start) / 1e9, (written - start) / 1e9, (end - written) / 1e9,
                bytesWritten.sum(), bytesRead.sum(), bios, mean, minBios.sum(), source, latencies.count(),
                latencies.percentileMillis(50), latencies.percentileMillis(99), deviceSeconds, peak);
    }

    /** The measured threads (and the latency loop); their fsync latencies. */
    private Latencies measuredPhase(Target target) throws IOException {
        long[][] threads = plan.threads();
        int count = threads.length + (plan.latencyLoop() ? 1 : 0);
        ExecutorService pool = Executors.newFixedThreadPool(count, r -> {
            Thread t = new Thread(r, "bench-worker");
            t.setDaemon(true);
            return t;
        });
        AtomicBoolean streaming = new AtomicBoolean(true);
        try {
            List<Future<Latencies>> results = new ArrayList<>();
            for (int t = 0; t < threads.length; t++) {
                int index = t;
                results.add(pool.submit(() -> {
                    Latencies mine = new Latencies();
                    try {
                        execute(target, threads[index], index, mine);
                    } finally {
                        streaming.set(false);
                    }
                    return mine;
                }));
            }
            if (plan.latencyLoop()) {
                results.add(pool.submit(() -> latencyLoop(target, streaming)));
            }
            Latencies all = new Latencies();
            for (Future<Latencies> result : results) {
                all.addAll(result.get());
            }
            return all;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof UncheckedIOException io) {
                throw io.getCause();
            }
            throw new IOException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private void execute(Target target, long[] ops, int thread, Latencies latencies) throws IOException {
        ByteBuffer buffer = stamp.newBuffer();
        int base = thread << 28;
        for (int i = 0; i < ops.length; i++) {
            long op = ops[i];
            int file = WorkloadPlan.file(op);
            long page = WorkloadPlan.page(op);
            switch (WorkloadPlan.kind(op)) {
                case WorkloadPlan.WRITE -> write(target, buffer, file, page, base + i);
                case WorkloadPlan.READ -> {
                    target.read(file, page * BenchOptions.PAGE, BenchOptions.PAGE);
                    bytesRead.add(BenchOptions.PAGE);
                }
                default -> {
                    long t0 = System.nanoTime();
                    target.fsync(file);
                    latencies.add(System.nanoTime() - t0);
                    synced(file);
                }
            }
            progress.incrementAndGet();
        }
    }

    private void write(Target target, ByteBuffer buffer, int file, long page, int version) throws IOException {
        target.write(file, page * BenchOptions.PAGE, stamp.fill(buffer, file, page, version));
        versions[file][(int) page] = version;
        dirty[file].set((int) page);
        bytesWritten.add(BenchOptions.PAGE);
    }

    /** fsync-latency's second thread: write + fsync on file 1 until the stream ends. */
    private Latencies latencyLoop(Target target, AtomicBoolean streaming) throws IOException {
        Latencies mine = new Latencies();
        ByteBuffer buffer = stamp.newBuffer();
        int base = 2 << 28;
        for (int i = 0; streaming.get() || i < WorkloadPlan.MIN_LATENCY_SAMPLES; i++) {
            write(target, buffer, 1, i % WorkloadPlan.LOG_PAGES, base + i);
            long t0 = System.nanoTime();
            target.fsync(1);
            mine.add(System.nanoTime() - t0);
            synced(1);
        }
        return mine;
    }

    /**
     * An fsync of {@code file} happened: its dirty pages count towards the fewest bios possible,
     * ⌈pages / 256⌉ (with delayed allocation, pages apart in the file can be neighbours on the
     * device, so runs in the file do not bound the count).
     */
    private void synced(int file) {
        BitSet pages = dirty[file];
        minBios.add((pages.cardinality() + 255) / 256);
        pages.clear();
    }

    /**
     * Reads every page written back from {@code target} and compares it with the last write to it.
     *
     * @return the mismatches, at most 10 (empty if the data is right)
     */
    public List<String> verify(Target target) throws IOException {
        List<String> problems = new ArrayList<>();
        for (int f = 0; f < versions.length && problems.size() < 10; f++) {
            for (int p = 0; p < versions[f].length && problems.size() < 10; p++) {
                if (versions[f][p] < 0) {
                    continue;
                }
                ByteBuffer data = target.read(f, (long) p * BenchOptions.PAGE, BenchOptions.PAGE);
                String problem = stamp.mismatch(data, f, p, versions[f][p]);
                if (problem != null) {
                    problems.add(target.name() + ": " + problem);
                }
            }
        }
        return problems;
    }

    /** Pages with a version, i.e. written at least once. */
    public long pagesWritten() {
        long n = 0;
        for (int[] file : versions) {
            for (int v : file) {
                if (v >= 0) {
                    n++;
                }
            }
        }
        return n;
    }
}
