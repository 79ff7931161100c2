package dev.writebackd.daemon.bench;

import static java.util.Objects.requireNonNull;

import java.util.SplittableRandom;

/**
 * The operations of one workload, generated once from the options and the seed so every system
 * runs exactly the same sequence. Operations are packed into {@code long}s (kind, file, page) to
 * keep a 1 GiB workload's quarter-million operations in a few megabytes.
 *
 * <p>{@link #setup()} runs before the measured phase (single thread, not timed); {@link #threads()}
 * holds one operation array per measured thread. For {@code fsync-latency}, {@link #latencyLoop()}
 * is set: a second thread loops write + fsync on file 1 until the first thread's stream ends.
 */
public final class WorkloadPlan {
    /** Operation kinds. */
    public static final int WRITE = 0;
    public static final int READ = 1;
    public static final int FSYNC = 2;

    private static final int PAGE_BITS = 40;
    private static final long PAGE_MASK = (1L << PAGE_BITS) - 1;
    private static final int FILE_BITS = 16;
    private static final long FILE_MASK = (1L << FILE_BITS) - 1;
    /** Writes per fsync in {@code fsync-heavy}. */
    public static final int FSYNC_EVERY = 256;
    /** Pages the {@code fsync-latency} log file cycles through. */
    public static final int LOG_PAGES = 4096;
    /** Fsyncs the latency loop makes at least, even if the stream ends first. */
    public static final int MIN_LATENCY_SAMPLES = 32;

    private final Workload workload;
    private final int files;
    private final long[] filePages;
    private final long[] setup;
    private final long[][] threads;

    private WorkloadPlan(Workload workload, int files, long[] filePages, long[] setup, long[][] threads) {
        this.workload = workload;
        this.files = files;
        this.filePages = filePages;
        this.setup = setup;
        this.threads = threads;
    }

    /** The plan for {@code options}. */
    public static WorkloadPlan of(BenchOptions options) {
        requireNonNull(options, "options");
        int files = options.effectiveFiles();
        long pages = options.pages();
        SplittableRandom random = new SplittableRandom(options.seed());
        return switch (options.workload()) {
            case SEQ_WRITE -> sequential(options.workload(), new long[] {pages}, 1);
            case INGEST -> sequential(options.workload(), spread(pages, files), 2);
            case RAND_WRITE -> randomWrite(spread(pages, files), random);
            case OVERWRITE_HOT -> overwriteHot(files, pages, random);
            case FSYNC_HEAVY -> fsyncHeavy(files, pages);
            case MIXED -> mixed(spread(pages, files), random);
            case FSYNC_LATENCY -> new WorkloadPlan(Workload.FSYNC_LATENCY, 2, new long[] {pages, LOG_PAGES},
                    new long[0], new long[][] {appendAll(new long[] {pages}, new int[] {0})});
        };
    }

    /** The workload. */
    public Workload workload() {
        return workload;
    }

    /** Files the plan uses. */
    public int files() {
        return files;
    }

    /** The size in pages each file reaches. */
    public long filePages(int file) {
        return filePages[file];
    }

    /** Operations run before the measured phase. */
    public long[] setup() {
        return setup;
    }

    /** The measured operations, one array per thread. */
    public long[][] threads() {
        return threads;
    }

    /** Whether a second thread loops write + fsync on file 1 while thread 0 runs. */
    public boolean latencyLoop() {
        return workload == Workload.FSYNC_LATENCY;
    }

    /** Measured operations in all (the latency loop's not counted). */
    public long measuredOps() {
        long n = 0;
        for (long[] ops : threads) {
            n += ops.length;
        }
        return n;
    }

    /** Packs an operation. */
    public static long op(int kind, int file, long page) {
        return ((long) kind << 62) | ((file & FILE_MASK) << PAGE_BITS) | (page & PAGE_MASK);
    }

    /** The kind of a packed operation. */
    public static int kind(long op) {
        return (int) (op >>> 62);
    }

    /** The file of a packed operation. */
    public static int file(long op) {
        return (int) ((op >>> PAGE_BITS) & FILE_MASK);
    }

    /** The page of a packed operation. */
    public static long page(long op) {
        return op & PAGE_MASK;
    }

    // ---- the workloads ---------------------------------------------------------------------------

    private static WorkloadPlan sequential(Workload workload, long[] filePages, int threadCount) {
        long[][] threads = new long[threadCount][];
        for (int t = 0; t < threadCount; t++) {
            int owned = 0;
            for (int f = t; f < filePages.length; f += threadCount) {
                owned++;
            }
            int[] mine = new int[owned];
            for (int f = t, i = 0; f < filePages.length; f += threadCount) {
                mine[i++] = f;
            }
            threads[t] = appendAll(filePages, mine);
        }
        return new WorkloadPlan(workload, filePages.length, filePages, new long[0], threads);
    }

    /** Every page of the given files, file by file, front to back. */
    private static long[] appendAll(long[] filePages, int[] which) {
        long total = 0;
        for (int f : which) {
            total += filePages[f];
        }
        long[] ops = new long[Math.toIntExact(total)];
        int i = 0;
        for (int f : which) {
            for (long p = 0; p < filePages[f]; p++) {
                ops[i++] = op(WRITE, f, p);
            }
        }
        return ops;
    }

    private static WorkloadPlan randomWrite(long[] filePages, SplittableRandom random) {
        int[] all = new int[filePages.length];
        for (int f = 0; f < all.length; f++) {
            all[f] = f;
        }
        long[] ops = appendAll(filePages, all);
        shuffle(ops, random);
        return new WorkloadPlan(Workload.RAND_WRITE, filePages.length, filePages, new long[0], new long[][] {ops});
    }

    private static WorkloadPlan overwriteHot(int files, long pages, SplittableRandom random) {
        long workingSet = Math.max(files, pages / 8);
        long hot = Math.max(1, workingSet / 5);
        long[] ops = new long[Math.toIntExact(pages)];
        for (int i = 0; i < ops.length; i++) {
            long g = random.nextInt(100) < 80 ? random.nextLong(hot)
                    : hot + random.nextLong(Math.max(1, workingSet - hot));
            g = Math.min(g, workingSet - 1);
            ops[i] = op(WRITE, (int) (g % files), g / files);
        }
        long[] filePages = new long[files];
        for (int f = 0; f < files; f++) {
            filePages[f] = (workingSet - f + files - 1) / files;
        }
        return new WorkloadPlan(Workload.OVERWRITE_HOT, files, filePages, new long[0], new long[][] {ops});
    }

    private static WorkloadPlan fsyncHeavy(int files, long pages) {
        long[] cursor = new long[files];
        long turns = (pages + FSYNC_EVERY - 1) / FSYNC_EVERY;
        long[] ops = new long[Math.toIntExact(pages + turns)];
        int i = 0;
        long written = 0;
        for (long turn = 0; written < pages; turn++) {
            int f = (int) (turn % files);
            long n = Math.min(FSYNC_EVERY, pages - written);
            for (long k = 0; k < n; k++) {
                ops[i++] = op(WRITE, f, cursor[f]++);
            }
            written += n;
            ops[i++] = op(FSYNC, f, 0);
        }
        return new WorkloadPlan(Workload.FSYNC_HEAVY, files, cursor, new long[0], new long[][] {ops});
    }

    private static WorkloadPlan mixed(long[] filePages, SplittableRandom random) {
        int files = filePages.length;
        int[] all = new int[files];
        for (int f = 0; f < files; f++) {
            all[f] = f;
        }
        long[] written = appendAll(filePages, all);
        long[] setup = new long[written.length + files];
        System.arraycopy(written, 0, setup, 0, written.length);
        for (int f = 0; f < files; f++) {
            setup[written.length + f] = op(FSYNC, f, 0);
        }
        long[] ops = new long[written.length];
        for (int i = 0; i < ops.length; i++) {
            long target = written[random.nextInt(written.length)];
            ops[i] = op(random.nextInt(100) < 70 ? READ : WRITE, file(target), page(target));
        }
        return new WorkloadPlan(Workload.MIXED, files, filePages, setup, new long[][] {ops});
    }

    /** {@code pages} spread over {@code files}, the first files taking the remainder. */
    private static long[] spread(long pages, int files) {
        long[] filePages = new long[files];
        for (int f = 0; f < files; f++) {
            filePages[f] = pages / files + (f < pages % files ? 1 : 0);
        }
        return filePages;
    }

    private static void shuffle(long[] ops, SplittableRandom random) {
        for (int i = ops.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long t = ops[i];
            ops[i] = ops[j];
            ops[j] = t;
        }
    }
}
