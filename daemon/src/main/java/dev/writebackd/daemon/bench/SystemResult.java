package dev.writebackd.daemon.bench;

/**
 * One system's measurements in one run.
 *
 * @param system the system's name
 * @param seconds the measured phase and the final fsync of every file
 * @param writeSeconds the measured phase alone (for {@code ingest}: the writes into the cache)
 * @param syncSeconds the final fsync of every file
 * @param bytesWritten application bytes written in the measured phase
 * @param bytesRead application bytes read in the measured phase
 * @param writeBios write requests to the device, or -1 if unknown
 * @param meanBioPages mean write request size in 4 KiB pages, 0 if unknown
 * @param minBios the fewest write requests the workload's fsyncs allow: the sum over every fsync of
 *     ⌈dirty pages of the file / 256⌉
 * @param biosSource where {@code writeBios} comes from
 * @param fsyncs fsync calls timed: every fsync, the final ones included, except in
 *     {@code fsync-latency}, which times only its loop's 4 KiB fsyncs
 * @param fsyncP50Millis median fsync latency
 * @param fsyncP99Millis 99th percentile fsync latency
 * @param deviceSeconds time writebackd's device spent performing bios in the measured phase and the
 *     final fsyncs, summed over I/O threads; -1 for the other systems
 * @param peakMemoryBytes the largest growth, over the run, of JVM heap + direct memory + the host's
 *     dirty and writeback pages
 */
public record SystemResult(String system, double seconds, double writeSeconds, double syncSeconds, long bytesWritten,
        long bytesRead, long writeBios, double meanBioPages, long minBios, String biosSource, int fsyncs,
        double fsyncP50Millis, double fsyncP99Millis, double deviceSeconds, long peakMemoryBytes) {

    /** Bytes moved (written and read) per second over {@link #seconds}, in MB/s (10^6). */
    public double mbPerSec() {
        return rate(bytesWritten + bytesRead, seconds);
    }

    /** Bytes moved per second over the measured phase alone, in MB/s. */
    public double writePhaseMbPerSec() {
        return rate(bytesWritten + bytesRead, writeSeconds);
    }

    /**
     * Bytes per second of the final fsyncs (the writeback when no background writeback ran before),
     * in MB/s.
     */
    public double syncMbPerSec() {
        return rate(bytesWritten, syncSeconds);
    }

    private static double rate(long bytes, double seconds) {
        return seconds <= 0 ? 0 : bytes / seconds / 1e6;
    }
}
