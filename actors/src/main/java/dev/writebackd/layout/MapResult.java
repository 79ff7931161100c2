package dev.writebackd.layout;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;

/**
 * The answer of {@link BlockMapper#map}: get_block's result as a value.
 */
public sealed interface MapResult {

    /**
     * Logical blocks {@code [logical, logical + count)} live at physical blocks
     * {@code [physicalBlock, physicalBlock + count)}.
     *
     * @param physicalBlock first physical block
     * @param count blocks in the run (≥ 1, ≤ the maxBlocks asked for)
     * @param isNew the run was mapped to this file by this call for the first time
     * @param isBoundary the run ends at the last slot of its map block: mapping the next block needs
     *     metadata I/O (X2)
     * @param isUptodate the mapper filled the data itself (R6); neither real layout does
     */
    record Mapped(long physicalBlock, int count, boolean isNew, boolean isBoundary, boolean isUptodate)
            implements MapResult {
        /** Validates the run. */
        public Mapped {
            if (physicalBlock <= 0 || count <= 0) {
                throw new IllegalArgumentException("bad run " + physicalBlock + "+" + count);
            }
        }
    }

    /** The next {@code count} logical blocks (≥ 1) are a hole: nothing is mapped there. */
    record Hole(int count) implements MapResult {
        /** Validates the count. */
        public Hole {
            if (count <= 0) {
                throw new IllegalArgumentException("hole of " + count);
            }
        }
    }

    /** The mapper cannot answer: {@code errno} (ENOSPC, EIO, EFBIG …). */
    record Failed(Errno errno) implements MapResult {
        /** Validates the errno. */
        public Failed {
            requireNonNull(errno, "errno");
        }
    }

    /**
     * The mapper needs metadata block {@code block} read into the metadata cache first (ext2, cold
     * cache). The caller submits what it has, reads the block, and asks again.
     */
    record NeedsMetadata(long block) implements MapResult {}
}
