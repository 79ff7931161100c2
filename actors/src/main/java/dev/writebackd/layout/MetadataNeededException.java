package dev.writebackd.layout;

/**
 * A layout operation needs metadata block {@code block} in the metadata cache before it can run:
 * read it ({@link MetadataCache#readBio}, then {@link MetadataCache#readCompleted}) and call again.
 * Thrown before anything was changed. {@link BlockMapper#metadataNeeded} tells in advance.
 */
public final class MetadataNeededException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long block;

    /** The operation needs metadata block {@code block}, which is not cached. */
    public MetadataNeededException(long block) {
        super("metadata block " + block + " must be read into the metadata cache first");
        this.block = block;
    }

    /** The metadata block to read. */
    public long block() {
        return block;
    }
}
