package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;

/**
 * A write bio handed to the caller for submission, with what its completion must do
 * ({@link WriteCompletion}).
 *
 * @param bio the request
 * @param kind which write path built it, so completion knows how to end it
 * @param buffer for {@link Kind#BUFFER}, the index of the written buffer in its page; else -1
 * @param boundaryBlock for {@link Kind#PAGES}, the boundary block of the page that closed the bio
 *     (W9), or 0 for none: once the bio completed successfully, the dirty map block following it is
 *     written (B7)
 */
public record SubmittedBio(Bio bio, Kind kind, int buffer, long boundaryBlock) {

    /** Which write path built a bio. */
    public enum Kind {
        /** A multi-page bio of the page writer (W6): every segment is a page or its head. */
        PAGES,
        /** A single-block bio of the per-block path (B4): one buffer of one page. */
        BUFFER,
        /** A metadata buffer write (B7): an ext2 map block. */
        METADATA
    }

    /** Validates the combination. */
    public SubmittedBio {
        requireNonNull(bio, "bio");
        requireNonNull(kind, "kind");
        if ((kind == Kind.BUFFER) != (buffer >= 0) || (boundaryBlock != 0 && kind != Kind.PAGES) || boundaryBlock < 0) {
            throw new IllegalArgumentException(kind + " bio with buffer " + buffer + ", boundary " + boundaryBlock);
        }
        if (kind == Kind.BUFFER && bio.segments().size() != 1) {
            throw new IllegalArgumentException("a buffer bio carries one segment, not " + bio.segments().size());
        }
    }

    /** A multi-page bio; {@code boundaryBlock} 0 means no boundary write follows it. */
    public static SubmittedBio pages(Bio bio, long boundaryBlock) {
        return new SubmittedBio(bio, Kind.PAGES, -1, boundaryBlock);
    }

    /** A single-block bio writing buffer {@code buffer} of its page. */
    public static SubmittedBio buffer(Bio bio, int buffer) {
        return new SubmittedBio(bio, Kind.BUFFER, buffer, 0);
    }

    /** A metadata write, as returned by {@code MetadataBuffers.writeIfDirty}. */
    public static SubmittedBio metadata(Bio bio) {
        return new SubmittedBio(bio, Kind.METADATA, -1, 0);
    }
}
