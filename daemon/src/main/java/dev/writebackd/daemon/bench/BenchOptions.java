package dev.writebackd.daemon.bench;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Locale;

/**
 * What one bench invocation runs: validated on construction, so a bad value stops the bench before
 * anything is written.
 *
 * @param workload the workload
 * @param sizeBytes bytes the workload writes (a multiple of 4 KiB, at least 1 MiB)
 * @param files files the workload spreads over (1 for {@code seq-write}), 1 to 4096
 * @param dir directory for the device file, the journal and the test files
 * @param runs runs, 1 to 100; results are medians over them
 * @param seed seed of the random orders
 * @param persist whether writebackd persists file metadata (ordered mode, H2 journal), as the
 *     kernel's file system does at fsync
 */
public record BenchOptions(Workload workload, long sizeBytes, int files, Path dir, int runs, long seed,
        boolean persist) {
    /** Bytes per page and per write. */
    public static final int PAGE = 4096;
    /** The smallest size accepted. */
    public static final long MIN_SIZE = 1L << 20;

    /** Validates. */
    public BenchOptions {
        requireNonNull(workload, "workload");
        requireNonNull(dir, "dir");
        if (sizeBytes < MIN_SIZE || sizeBytes % PAGE != 0) {
            throw new IllegalArgumentException("--size " + sizeBytes + " is invalid: a multiple of 4 KiB, at least 1 MiB");
        }
        if (files < 1 || files > 4096) {
            throw new IllegalArgumentException("--files " + files + " is invalid: 1 to 4096");
        }
        if (sizeBytes / PAGE < files) {
            throw new IllegalArgumentException("--size " + sizeBytes + " is too small for " + files
                    + " files: at least one page per file");
        }
        if (runs < 1 || runs > 100) {
            throw new IllegalArgumentException("--runs " + runs + " is invalid: 1 to 100");
        }
    }

    /** Pages the workload writes in all. */
    public long pages() {
        return sizeBytes / PAGE;
    }

    /** The file count the workload really uses: 1 for seq-write, 2 for fsync-latency. */
    public int effectiveFiles() {
        return switch (workload) {
            case SEQ_WRITE -> 1;
            case FSYNC_LATENCY -> 2;
            case INGEST -> Math.max(2, files);
            default -> files;
        };
    }

    /**
     * Parses a size such as {@code 1g}, {@code 512m}, {@code 64k}, {@code 4096} (binary units).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static long parseSize(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (s.endsWith("ib")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("b")) {
            s = s.substring(0, s.length() - 1);
        }
        long unit = 1;
        if (!s.isEmpty()) {
            char last = s.charAt(s.length() - 1);
            unit = switch (last) {
                case 'k' -> 1L << 10;
                case 'm' -> 1L << 20;
                case 'g' -> 1L << 30;
                case 't' -> 1L << 40;
                default -> 1;
            };
            if (unit != 1) {
                s = s.substring(0, s.length() - 1);
            }
        }
        try {
            long value = Long.parseLong(s.trim());
            if (value < 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(value, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("size '" + text + "' is invalid: a number with an optional k, m, g or t");
        }
    }
}
