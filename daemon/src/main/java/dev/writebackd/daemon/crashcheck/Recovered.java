package dev.writebackd.daemon.crashcheck;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a restarted engine shows: every file by name, with its inode and its whole contents (read
 * up to the size the engine reports).
 *
 * @param files name to file, in name order
 */
public record Recovered(Map<String, File> files) {

    /**
     * One file found after a restart.
     *
     * @param inode its inode
     * @param contents its bytes, as many as its size
     */
    public record File(long inode, byte[] contents) {
        /** Validates and copies. */
        public File {
            contents = requireNonNull(contents, "contents").clone();
        }

        /** The file's bytes (a copy). */
        @Override
        public byte[] contents() {
            return contents.clone();
        }

        /** The file's size. */
        public long size() {
            return contents.length;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof File f && f.inode == inode && Arrays.equals(f.contents, contents);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(inode) * 31 + Arrays.hashCode(contents);
        }

        @Override
        public String toString() {
            return "File[inode=" + inode + ", size=" + contents.length + "]";
        }
    }

    /** Validates and copies, sorted by name. */
    public Recovered {
        files = Collections.unmodifiableMap(new TreeMap<>(requireNonNull(files, "files")));
    }

    /** The names with their inodes. */
    public Map<String, Long> names() {
        Map<String, Long> names = new TreeMap<>();
        files.forEach((name, file) -> names.put(name, file.inode()));
        return names;
    }
}
