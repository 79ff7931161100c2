package dev.writebackd.daemon.http;

import static java.util.Objects.requireNonNull;

import dev.writebackd.actors.Engine;
import dev.writebackd.actors.Handle;
import dev.writebackd.actors.WriteResult;
import dev.writebackd.config.Durability;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.StreamLimitReachedException;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;

/**
 * A request body received whole, within a limit, before any of it is applied.
 *
 * <p><b>Accumulation.</b> The body's chunks are kept as the network delivered them — a list of
 * {@link ByteString}s, never joined into one array — and counted as they arrive: a
 * {@code Content-Length} over the limit is refused before a byte is read, and a body without one
 * (chunked) that grows past the limit fails the stream at once. Either way, and when the client
 * aborts the upload, the chunks are dropped and nothing reaches the engine. Only a body that
 * arrived completely is written: as a sequence of engine writes of at most {@link #BATCH_BYTES},
 * each ending on a multiple of {@code BATCH_BYTES} in the file (so on a page boundary for every
 * page size), through one staging buffer of that size per request, whose bytes the engine copies
 * into its pool pages before each write returns. Each write waits for the previous one's answer, so
 * a throttled writer slows the upload and a short write (the cache ran out of pages) ends it. The
 * memory held per request is thus the body's chunks (at most the limit) plus one batch.
 *
 * <p>Like pwrite(2), an error after some batches were written answers the bytes written so far;
 * an error in the first batch fails. Immutable.
 */
final class Upload {
    /** The most bytes handed to the engine in one write: 1 MiB, 256 pages of 4 KiB. */
    static final int BATCH_BYTES = 1 << 20;

    private final List<ByteString> chunks;
    private final long length;

    private Upload(List<ByteString> chunks) {
        this.chunks = List.copyOf(chunks);
        this.length = chunks.stream().mapToLong(ByteString::size).sum();
    }

    /**
     * Receives {@code entity}'s bytes, at most {@code limit} of them.
     *
     * @return the body; fails with EFBIG if it is longer than {@code limit} (from its
     *     {@code Content-Length} before reading, or as soon as it grows past it), or with the
     *     stream's failure if the upload was aborted
     */
    static CompletionStage<Upload> receive(HttpEntity entity, long limit, Materializer materializer) {
        requireNonNull(entity, "entity");
        var declared = entity.getContentLengthOption();
        if (declared.isPresent() && declared.getAsLong() > limit) {
            return CompletableFuture.failedFuture(tooLarge("a body of " + declared.getAsLong() + " bytes", limit));
        }
        return entity.getDataBytes()
                .limitWeighted(limit, chunk -> (long) chunk.size())
                .runWith(Sink.seq(), materializer)
                .<Upload>thenApply(Upload::new)
                .exceptionallyCompose(failure -> CompletableFuture.failedFuture(notReceived(failure, limit)));
    }

    /** EFBIG for a body that grew past the limit; EINVAL for one that did not arrive whole (an aborted upload). */
    private static ErrnoException notReceived(Throwable failure, long limit) {
        Throwable cause = ApiErrors.unwrap(failure);
        if (cause instanceof StreamLimitReachedException) {
            return tooLarge("a chunked body of more", limit);
        }
        return new ErrnoException(Errno.EINVAL, "the request body did not arrive whole, nothing was written: "
                + cause.getMessage());
    }

    private static ErrnoException tooLarge(String what, long limit) {
        return new ErrnoException(Errno.EFBIG, what + " than the limit of " + limit + " bytes; nothing was written");
    }

    /** The body's length in bytes. */
    long length() {
        return length;
    }

    /** The whole body as one {@link ByteString} (for small bodies, such as JSON). */
    ByteString joined() {
        return chunks.stream().reduce(ByteString.emptyByteString(), ByteString::concat);
    }

    /**
     * Writes the body at {@code offset} of {@code handle}'s file in batches.
     *
     * @param durability the mode of every batch, or {@code null} for the engine's default
     * @return the bytes written; EINVAL if the end overflows, EFBIG if it lies beyond the largest
     *     file (both before anything is written)
     */
    CompletionStage<Long> writeTo(Engine engine, Handle handle, long offset, Durability durability) {
        if (offset > Long.MAX_VALUE - length) {
            return CompletableFuture.failedFuture(new ErrnoException(Errno.EINVAL,
                    "offset " + offset + " + length " + length + " overflows"));
        }
        if (offset + length > engine.maxFileBytes()) {
            return CompletableFuture.failedFuture(new ErrnoException(Errno.EFBIG, "a write up to byte "
                    + (offset + length) + " goes beyond the largest file, " + engine.maxFileBytes() + " bytes"));
        }
        if (length == 0) {
            return write(engine, handle, offset, ByteBuffer.allocate(0), durability).thenApply(r -> 0L);
        }
        Batches batches = new Batches(engine, handle, offset, durability);
        return batches.next(0);
    }

    private static CompletionStage<WriteResult> write(Engine engine, Handle handle, long offset, ByteBuffer data,
            Durability durability) {
        return durability == null ? engine.write(handle, offset, data) : engine.write(handle, offset, data, durability);
    }

    /** The sequence of writes of one upload; single-threaded: each step runs after the previous write's answer. */
    private final class Batches {
        private final Engine engine;
        private final Handle handle;
        private final long offset;
        private final Durability durability;
        private final ByteBuffer staging;
        private int chunk;
        private int chunkOffset;

        Batches(Engine engine, Handle handle, long offset, Durability durability) {
            this.engine = engine;
            this.handle = handle;
            this.offset = offset;
            this.durability = durability;
            this.staging = ByteBuffer.allocate((int) Math.min(BATCH_BYTES, length));
        }

        CompletionStage<Long> next(long done) {
            if (done == length) {
                return CompletableFuture.completedFuture(done);
            }
            long position = offset + done;
            int batch = (int) Math.min(length - done, BATCH_BYTES - position % BATCH_BYTES);
            fill(batch);
            return write(engine, handle, position, staging, durability).handle((result, failure) -> {
                if (failure != null) {
                    return done > 0 ? CompletableFuture.completedFuture(done)
                            : CompletableFuture.<Long>failedFuture(failure);
                }
                long written = done + result.bytesWritten();
                return result.bytesWritten() < batch ? CompletableFuture.completedFuture(written) : next(written);
            }).thenCompose(stage -> stage);
        }

        /** Copies the next {@code batch} bytes of the chunks into the staging buffer, ready to read. */
        private void fill(int batch) {
            staging.clear().limit(batch);
            while (staging.hasRemaining()) {
                ByteString current = chunks.get(chunk);
                int take = Math.min(staging.remaining(), current.size() - chunkOffset);
                current.slice(chunkOffset, chunkOffset + take).copyToBuffer(staging);
                chunkOffset += take;
                if (chunkOffset == current.size()) {
                    chunk++;
                    chunkOffset = 0;
                }
            }
            staging.flip();
        }
    }
}
