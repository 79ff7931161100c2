package dev.writebackd.layout;

import static java.util.Objects.requireNonNull;

/**
 * One disagreement between the allocator and the files' block maps, found by
 * {@link BlockLayout#checkConsistency()}.
 *
 * @param kind what is wrong
 * @param block the physical block concerned
 * @param detail who claims the block, for the log
 */
public record ConsistencyProblem(Kind kind, long block, String detail) {

    /** The kinds of disagreement. */
    public enum Kind {
        /** Two owners (two files, two logical blocks, or data and a map block) claim the block. */
        MAPPED_TWICE,
        /** A file maps or reserves the block, but the allocator has it free or pending free. */
        MAPPED_BUT_FREE,
        /** A file maps the block, but it lies in the reserved area or past the device end. */
        OUT_OF_RANGE,
        /** The allocator has the block allocated, but no file maps or reserves it. */
        LEAKED
    }

    /** Validates the problem. */
    public ConsistencyProblem {
        requireNonNull(kind, "kind");
        requireNonNull(detail, "detail");
    }
}
