package dev.writebackd.block.fault;

import java.util.OptionalLong;

/**
 * Names to inodes, for rules scoped to a file ({@code "file": NAME}): a rule matches a bio whose
 * {@code inode} is the one {@code NAME} names when the bio reaches the rule. Called on the
 * blocking-I/O threads, several at once; implementations must be thread-safe and may block briefly.
 */
@FunctionalInterface
public interface FileResolver {
    /** A resolver that knows no names: rules with a {@code file} then match nothing. */
    FileResolver NONE = name -> OptionalLong.empty();

    /** The inode {@code name} names now, or empty if there is no such file. */
    OptionalLong inodeOf(String name);
}
