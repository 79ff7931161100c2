package dev.writebackd.actors.io;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.error.Errno;

/**
 * How one submitted bio ended. A bio merged with others into one device request ends as that
 * request did: each bio it carried gets the request's error.
 *
 * @param bio the bio as submitted (the same instance)
 * @param error {@code null} if it succeeded, else the error that failed it
 */
public record BioResult(Bio bio, Errno error) {
    /** Validates the result. */
    public BioResult {
        requireNonNull(bio, "bio");
    }

    /** Whether the bio succeeded. */
    public boolean succeeded() {
        return error == null;
    }
}
