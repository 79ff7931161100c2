package dev.writebackd.actors;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.CompletionStage;

/**
 * What a write answers.
 *
 * @param bytesWritten the bytes written into the cache: all of them, unless the cache ran out of
 *     pages part-way
 * @param durable completes once those bytes are on stable storage (written back and the device
 *     flushed), or fails with the {@link dev.writebackd.error.ErrnoException} that lost them — so a
 *     writer learns of lost data without calling fsync
 */
public record WriteResult(int bytesWritten, CompletionStage<Void> durable) {
    /** Validates. */
    public WriteResult {
        requireNonNull(durable, "durable");
    }
}
