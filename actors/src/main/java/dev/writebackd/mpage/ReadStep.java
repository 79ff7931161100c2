package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.error.Errno;
import java.util.List;

/**
 * What one step of a resumable read ({@link PageReader}, {@link FileReads.Read}, {@link WriteBegin})
 * hands back: the bios to submit now, in this order, and what the caller does before it calls
 * {@code step()} again.
 *
 * <p>The caller always submits {@link #bios()} first and only then meets the need: X4's request
 * order depends on it.
 */
public sealed interface ReadStep {

    /** Bios to submit now, in order. */
    List<Bio> bios();

    /** Finished: submit the bios; the object has nothing more to do. */
    record Done(List<Bio> bios) implements ReadStep {
        /** Freezes the list. */
        public Done {
            bios = List.copyOf(requireNonNull(bios, "bios"));
        }
    }

    /**
     * Submit the bios, read map block {@code block} into the metadata cache (the mapper answered
     * {@code NeedsMetadata}), then call {@code step()} again.
     */
    record ReadMetadata(List<Bio> bios, long block) implements ReadStep {
        /** Freezes the list. */
        public ReadMetadata {
            bios = List.copyOf(requireNonNull(bios, "bios"));
        }
    }

    /**
     * Submit the bios and step again once reads in flight have completed (each applied with
     * {@link ReadCompletion#complete}, or {@link FileReads#complete}); stepping too early answers
     * another {@code AwaitReads} with no bios.
     */
    record AwaitReads(List<Bio> bios) implements ReadStep {
        /** Freezes the list. */
        public AwaitReads {
            bios = List.copyOf(requireNonNull(bios, "bios"));
        }
    }

    /**
     * The operation failed with {@code errno}: submit the bios (reads that others may still use),
     * then report the error.
     */
    record Failed(List<Bio> bios, Errno errno) implements ReadStep {
        /** Validates and freezes. */
        public Failed {
            bios = List.copyOf(requireNonNull(bios, "bios"));
            requireNonNull(errno, "errno");
        }

        /** A failure with nothing to submit. */
        public Failed(Errno errno) {
            this(List.of(), errno);
        }
    }
}
