package dev.writebackd.daemon.bench;

import java.util.Arrays;

/** Latency samples in nanoseconds; single-threaded, merged by the owner. */
final class Latencies {
    private long[] samples = new long[256];
    private int count;

    void add(long nanos) {
        if (count == samples.length) {
            samples = Arrays.copyOf(samples, count * 2);
        }
        samples[count++] = nanos;
    }

    void addAll(Latencies other) {
        for (int i = 0; i < other.count; i++) {
            add(other.samples[i]);
        }
    }

    int count() {
        return count;
    }

    /** The nearest-rank percentile {@code p} (0–100) in milliseconds, 0 with no samples. */
    double percentileMillis(double p) {
        if (count == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(samples, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100 * count);
        return sorted[Math.max(0, Math.min(count - 1, rank - 1))] / 1e6;
    }
}
