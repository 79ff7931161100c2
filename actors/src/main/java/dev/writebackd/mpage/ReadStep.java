package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.error.Errno;
import java.util.List;

/**
 * What one step of a resumable read ({@link PageReader}, {@link WriteBegin}) hands back: the bios
 * to submit now, in this order, and what the caller does before it calls {@code step()} again.
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
     * Submit the bios, apply each one's completion with {@link ReadCompletion#complete}, and call
     * {@code step()} again once all of them have completed ({@link WriteBegin} only). Stepping
     * earlier answers another {@code AwaitReads} with no bios.
     */
    record AwaitReads(List<Bio> bios) implements ReadStep {
        /** Freezes the list. */
        public AwaitReads {
            bios = List.copyOf(requireNonNull(bios, "bios"));
        }
    }

    /** The operation failed with {@code errno}; nothing is left to submit ({@link WriteBegin} only). */
    record Failed(Errno errno) implements ReadStep {
        /** Validates the errno. */
        public Failed {
            requireNonNull(errno, "errno");
        }

        @Override
        public List<Bio> bios() {
            return List.of();
        }
    }
}
