package dev.writebackd.actors.persist;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.apache.pekko.Done;

/**
 * Forces the journal database to stable storage: the last step of fsync's "commit the metadata,
 * force the journal". With {@code WRITE_DELAY=0} H2 writes every commit to its file before the
 * journal acknowledges it, which survives a killed process, but it never fsyncs a commit; a power
 * loss of the host could still lose what the journal acknowledged. {@link #force()} runs H2's
 * {@code CHECKPOINT SYNC} over its own connection to the same database (same URL, same in-JVM
 * engine as the journal), which writes everything committed so far and forces the file to disk.
 * Every event acknowledged before {@code force()} is called is durable when it returns.
 *
 * <p><b>Blocking.</b> {@link #force()} does JDBC and a disk flush: call it on a blocking
 * dispatcher (e.g. {@code system.dispatchers().lookup(DispatcherSelector.blocking())}), never on
 * an actor's thread. Actors use {@link #forceAsync(Executor)} with such an executor and
 * {@code pipeToSelf} the result.
 *
 * <p>Thread-safe: each call opens and closes its own connection, which costs far less than the
 * flush itself.
 */
public final class JournalSync {
    private final JournalDatabase database;

    /** A sync of {@code database}, the journal's database. */
    public JournalSync(JournalDatabase database) {
        this.database = requireNonNull(database, "database");
    }

    /**
     * Writes and forces the journal database to disk. Blocking.
     *
     * @throws SQLException when the database cannot be reached or the checkpoint fails; the
     *     caller must then treat the metadata as not durable (fsync fails with EIO)
     */
    public void force() throws SQLException {
        try (Connection connection = database.connect(); Statement statement = connection.createStatement()) {
            statement.execute("CHECKPOINT SYNC");
        }
    }

    /**
     * Runs {@link #force()} on {@code blockingExecutor}.
     *
     * @return completes when the journal is on disk, or fails with the {@link SQLException}
     */
    public CompletionStage<Done> forceAsync(Executor blockingExecutor) {
        requireNonNull(blockingExecutor, "blockingExecutor");
        CompletableFuture<Done> result = new CompletableFuture<>();
        try {
            blockingExecutor.execute(() -> {
                try {
                    force();
                    result.complete(Done.getInstance());
                } catch (SQLException | RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(e);
        }
        return result;
    }
}
