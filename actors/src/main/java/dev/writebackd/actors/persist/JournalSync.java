package dev.writebackd.actors.persist;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.apache.pekko.Done;

/**
 * Forces the journal database to stable storage: the last step of fsync's "commit the metadata,
 * force the journal". Every event the journal acknowledged before {@link #force()} is called is
 * durable when it returns, against a power loss of the host too.
 *
 * <p><b>How.</b> The journal is an embedded H2 2.2 database (MVStore) opened with
 * {@code WRITE_DELAY=0}. H2 maps that setting to the store's auto-commit delay, and with a delay
 * of 0 the end of every transaction that changed something calls {@code MVStore.commit()} — it
 * waits for the store lock, it does not skip a busy store — which serializes the changed pages
 * into a chunk and writes it to the database file with {@code FileChannel.write}, waiting for the
 * write, before the JDBC commit returns (H2 2.2.224: {@code TransactionStore.endTransaction},
 * {@code MVStore.store(true)}, {@code FileStore.storeIt} / {@code serializeAndStore} with
 * {@code syncWrite}). So an acknowledged event is in the file, in the host's page cache, which
 * survives a killed process; H2 itself never forces it to disk. {@link #force()} therefore only
 * forces the file: {@code MVStore.sync()}, a {@code FileChannel.force(true)} (fsync) on H2's own
 * channel of the {@code .mv.db} file, which writes every dirty page of the file, whichever
 * descriptor wrote it. This replaces {@code CHECKPOINT SYNC}, which also opened a session and
 * compacted and committed the store before the same fsync.
 *
 * <p>H2's own channel, not one of ours: the JVM holds H2's lock on the file as a POSIX record
 * lock, and closing any descriptor of the file in the process drops it, which would let a second
 * process open the journal while this one writes it. The store is found through a JDBC
 * connection to the same URL (the same in-JVM engine as the journal) and remembered; when it has
 * been closed meanwhile (the database was closed and opened again) it is looked up again. The
 * auto-commit delay is checked at every force: when it is not 0 (a URL without
 * {@code WRITE_DELAY=0}, or {@code SET WRITE_DELAY} at run time), or when the database is not an
 * embedded file database, {@code CHECKPOINT SYNC} runs over a new connection instead, which
 * commits and forces the store itself.
 *
 * <p><b>Blocking.</b> {@link #force()} does JDBC and a disk flush: call it on a blocking
 * dispatcher (e.g. {@code system.dispatchers().lookup(DispatcherSelector.blocking())}), never on
 * an actor's thread. Actors use {@link #forceAsync(Executor)} with such an executor and
 * {@code pipeToSelf} the result.
 *
 * <p>Thread-safe.
 */
public final class JournalSync {
    /** How a force reaches the disk. */
    public enum Method {
        /** {@code MVStore.sync()}: an fsync of the database file, nothing else. */
        FILE_FORCE,
        /** {@code CHECKPOINT SYNC} over a new connection: the store is committed, then forced. */
        CHECKPOINT
    }

    private final JournalDatabase database;
    private volatile MVStore store;
    private volatile Method lastMethod;

    /** A sync of {@code database}, the journal's database. */
    public JournalSync(JournalDatabase database) {
        this.database = requireNonNull(database, "database");
    }

    /**
     * Forces the journal database to disk. Blocking.
     *
     * @throws SQLException when the database cannot be reached, or the checkpoint or the fsync
     *     fails; the caller must then treat the metadata as not durable (fsync fails with EIO)
     */
    public void force() throws SQLException {
        MVStore known = store;
        if (known != null && forceFile(known)) {
            return;
        }
        try (Connection connection = database.connect()) {
            MVStore found = H2Stores.writeThroughStore(connection).orElse(null);
            store = found;
            // The connection keeps the database open while either runs.
            if (found == null || !forceFile(found)) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("CHECKPOINT SYNC");
                }
                lastMethod = Method.CHECKPOINT;
            }
        }
    }

    /**
     * How the last successful {@link #force()} reached the disk, {@code null} before the first:
     * {@link Method#FILE_FORCE} for the embedded H2 file journal with {@code WRITE_DELAY=0}.
     */
    public Method lastMethod() {
        return lastMethod;
    }

    /**
     * Forces {@code candidate}'s file if the store is open and still writes every commit through.
     *
     * @return {@code false} when the store is closed or no longer writes commits through: the
     *     caller looks again
     * @throws SQLException when the fsync failed
     */
    private boolean forceFile(MVStore candidate) throws SQLException {
        if (candidate.isClosed() || candidate.getAutoCommitDelay() != 0) {
            return false;
        }
        try {
            candidate.sync();
        } catch (MVStoreException e) {
            if (candidate.isClosed()) {
                return false; // closed under us: a new connection finds the open store
            }
            // Never retried: after a failed fsync the kernel may have marked the pages clean, and a
            // second fsync of the same file would succeed without them reaching the disk.
            throw new SQLException("forcing the journal database file failed", e);
        }
        lastMethod = Method.FILE_FORCE;
        return true;
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
