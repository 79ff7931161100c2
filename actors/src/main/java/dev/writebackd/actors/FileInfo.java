package dev.writebackd.actors;

import static java.util.Objects.requireNonNull;

/**
 * A file as {@link Engine#files()} lists it.
 *
 * @param name the file's name
 * @param inode the file's inode number
 * @param size the file's size in bytes, cached writes included
 */
public record FileInfo(String name, long inode, long size) {
    /** Validates. */
    public FileInfo {
        requireNonNull(name, "name");
    }
}
