package dev.writebackd.daemon.http;

import dev.writebackd.actors.Engine;
import dev.writebackd.actors.Handle;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * A read answered as bytes: up to {@code length} bytes from {@code offset}, or to the end of the
 * file without a length; short at the end of the file. The first batch is read before the answer
 * starts, so an error there gets its own status; a longer read streams the rest in batches of
 * {@link Upload#BATCH_BYTES} as the client takes them (an error then ends the stream early).
 */
final class Download {
    private Download() {}

    /**
     * Reads and answers.
     *
     * @param whenDone runs once the answer's bytes are all sent or the read failed (closes a one-shot handle)
     */
    static CompletionStage<HttpResponse> read(Engine engine, Handle handle, long offset, OptionalLong length,
            Runnable whenDone) {
        long wanted = length.orElse(Long.MAX_VALUE);
        int first = (int) Math.min(wanted, Upload.BATCH_BYTES);
        return engine.read(handle, offset, first).thenApply(buffer -> {
            ByteString head = ByteString.fromByteBuffer(buffer);
            if (head.size() < first || wanted == first) {
                whenDone.run();
                return HttpResponse.create().withEntity(ContentTypes.APPLICATION_OCTET_STREAM, head);
            }
            Source<ByteString, NotUsed> rest = Source.unfoldAsync(new Cursor(offset + first, wanted - first),
                    cursor -> cursor.left == 0 ? CompletableFuture.completedFuture(Optional.empty())
                            : readNext(engine, handle, cursor));
            Source<ByteString, CompletionStage<Done>> body = Source.single(head).concat(rest)
                    .watchTermination((notUsed, done) -> {
                        done.whenComplete((ok, failure) -> whenDone.run());
                        return done;
                    });
            return HttpResponse.create().withEntity(HttpEntities.createChunked(ContentTypes.APPLICATION_OCTET_STREAM, body));
        }).whenComplete((response, failure) -> {
            if (failure != null) {
                whenDone.run();
            }
        });
    }

    private static CompletionStage<Optional<Pair<Cursor, ByteString>>> readNext(Engine engine, Handle handle,
            Cursor cursor) {
        int batch = (int) Math.min(cursor.left, Upload.BATCH_BYTES);
        return engine.read(handle, cursor.position, batch).thenApply((ByteBuffer buffer) -> {
            int got = buffer.remaining();
            if (got == 0) {
                return Optional.empty();
            }
            // a short batch is the end of the file: nothing is left after it
            Cursor next = new Cursor(cursor.position + got, got < batch ? 0 : cursor.left - got);
            return Optional.of(Pair.create(next, ByteString.fromByteBuffer(buffer)));
        });
    }

    /** Where the next batch starts and how many bytes are still wanted. */
    private record Cursor(long position, long left) {}
}
