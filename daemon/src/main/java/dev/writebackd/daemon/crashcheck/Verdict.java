package dev.writebackd.daemon.crashcheck;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * The outcome of checking what a restarted engine shows against the {@link CrashModel}.
 *
 * @param fsyncedBytes the fsync'd bytes checked (see {@link FileModel})
 * @param lostBytes how many of them were not found intact
 * @param problems every violation found, lost bytes included, each naming the file and sector
 */
public record Verdict(long fsyncedBytes, long lostBytes, List<Problem> problems) {

    /** The kinds of violation. */
    public enum Kind {
        /** fsync'd bytes changed or missing. */
        LOST,
        /** An unsynced sector holds another file's bytes. */
        FOREIGN,
        /** An unsynced sector holds bytes no write made. */
        GARBAGE,
        /** An unsynced sector holds a version of its own file (or zeros) that no rule allows. */
        STALE,
        /** A file's size is none of the sizes it may have. */
        SIZE,
        /** The names are not those after any allowed prefix of the name operations. */
        NAMES,
        /** A file the workload never made. */
        UNKNOWN_FILE,
        /** The engine's consistency check of its block maps and allocator failed. */
        CONSISTENCY,
        /** An operation failed, or the engine did not restart, with no power cut to explain it. */
        ERROR
    }

    /**
     * One violation.
     *
     * @param kind what is wrong
     * @param detail where, and what was found
     */
    public record Problem(Kind kind, String detail) {
        /** Validates. */
        public Problem {
            requireNonNull(kind, "kind");
            requireNonNull(detail, "detail");
        }

        @Override
        public String toString() {
            return kind + ": " + detail;
        }
    }

    /** Validates and copies. */
    public Verdict {
        if (fsyncedBytes < 0 || lostBytes < 0 || lostBytes > fsyncedBytes) {
            throw new IllegalArgumentException("fsynced " + fsyncedBytes + ", lost " + lostBytes);
        }
        problems = List.copyOf(requireNonNull(problems, "problems"));
    }

    /** Whether nothing is wrong. */
    public boolean ok() {
        return problems.isEmpty();
    }
}
