package dev.writebackd.daemon.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The workloads the bench runs, each the same against every system. */
public enum Workload {
    /** One file written front to back in 4 KiB writes, then fsync. */
    SEQ_WRITE("seq-write", "1 file, 4 KiB writes front to back, then fsync"),
    /** Every page of N files written once in seeded random order, then every file fsynced. */
    RAND_WRITE("rand-write", "N files, every page once in seeded random order (4 KiB), then fsync of every file"),
    /** Skewed rewrites of a working set (80% of writes on 20% of it), then every file fsynced. */
    OVERWRITE_HOT("overwrite-hot", "N files, working set = size/8, 80% of 4 KiB writes hit 20% of it, then fsync"),
    /** Each file appended in runs of 256 writes, an fsync after every run. */
    FSYNC_HEAVY("fsync-heavy", "N files appended in turns of 256 x 4 KiB writes, fsync after each turn"),
    /** Files written and synced, made cold, then 70% random reads / 30% random writes, then fsync. */
    MIXED("mixed", "N files pre-written and made cold, then 70% 4 KiB random reads / 30% writes, then fsync"),
    /** Two threads writing into the cache with writeback off; the write phase is the figure. */
    INGEST("ingest", "2 threads, 4 KiB sequential writes into the cache, background writeback off, then fsync"),
    /** 4 KiB write + fsync on one file, in a loop, while another thread streams sequential writes. */
    FSYNC_LATENCY("fsync-latency", "4 KiB write+fsync loop on one file while another file streams 4 KiB writes");

    private final String cliName;
    private final String description;

    Workload(String cliName, String description) {
        this.cliName = cliName;
        this.description = description;
    }

    /** The name on the command line, such as {@code rand-write}. */
    public String cliName() {
        return cliName;
    }

    /** One line saying what the workload does. */
    public String description() {
        return description;
    }

    /** Whether the workload reads data it wrote before the measured phase, from a cold cache. */
    public boolean needsColdReads() {
        return this == MIXED;
    }

    /**
     * The workload called {@code name}.
     *
     * @throws IllegalArgumentException naming the allowed workloads if there is none
     */
    public static Workload parse(String name) {
        String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (Workload workload : values()) {
            if (workload.cliName.equals(wanted)) {
                return workload;
            }
        }
        throw new IllegalArgumentException("unknown workload '" + name + "': allowed " + names());
    }

    /** The command-line names of all workloads, comma-separated. */
    public static String names() {
        return Arrays.stream(values()).map(Workload::cliName).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return cliName;
    }
}
