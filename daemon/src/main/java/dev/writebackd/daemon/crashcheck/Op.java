package dev.writebackd.daemon.crashcheck;

import static java.util.Objects.requireNonNull;

/**
 * One step of the crash checker's workload, on files named by name. The bytes of a write follow
 * from the file's inode, the write's id, its offset and length ({@link Pattern}).
 */
public sealed interface Op {

    /** Creates file {@code name}, which does not exist, and opens it. */
    record Create(String name) implements Op {
        /** Validates. */
        public Create {
            requireNonNull(name, "name");
        }
    }

    /** Writes {@code length} bytes of write {@code writeId} at {@code offset} of file {@code name}. */
    record Write(String name, long offset, int length, long writeId) implements Op {
        /** Validates. */
        public Write {
            requireNonNull(name, "name");
            if (offset < 0 || length <= 0 || writeId <= 0) {
                throw new IllegalArgumentException("offset " + offset + ", length " + length + ", write " + writeId);
            }
        }
    }

    /** Truncates file {@code name} to {@code size} bytes (shrinking or growing). */
    record Truncate(String name, long size) implements Op {
        /** Validates. */
        public Truncate {
            requireNonNull(name, "name");
            if (size < 0) {
                throw new IllegalArgumentException("size " + size);
            }
        }
    }

    /** Renames {@code from} to {@code to}, replacing {@code to} if it exists. */
    record Rename(String from, String to) implements Op {
        /** Validates. */
        public Rename {
            requireNonNull(from, "from");
            requireNonNull(to, "to");
        }
    }

    /** Removes name {@code name}. */
    record Unlink(String name) implements Op {
        /** Validates. */
        public Unlink {
            requireNonNull(name, "name");
        }
    }

    /** fsync of file {@code name}. */
    record Fsync(String name) implements Op {
        /** Validates. */
        public Fsync {
            requireNonNull(name, "name");
        }
    }

    /** sync of every file. */
    record Sync() implements Op {}
}
