package dev.writebackd.actors.persist;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import org.h2.engine.Database;
import org.h2.engine.Session;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.FileStore;
import org.h2.mvstore.MVStore;

/**
 * Reaches the {@link MVStore} of an embedded H2 database through a JDBC connection, for
 * {@link JournalSync}. Uses H2's engine classes (2.2.224), not its JDBC API: a change of H2's
 * version must keep {@code JournalSyncTest} green.
 */
final class H2Stores {
    private H2Stores() {}

    /**
     * The store of {@code connection}'s database when it is an embedded, writable H2 file database
     * whose every commit is written to the file before it returns (auto-commit delay 0, which
     * {@code WRITE_DELAY=0} sets); empty for anything else (another driver, a server connection,
     * an in-memory or read-only database, a write delay).
     */
    static Optional<MVStore> writeThroughStore(Connection connection) throws SQLException {
        if (!connection.isWrapperFor(JdbcConnection.class)) {
            return Optional.empty();
        }
        Session session = connection.unwrap(JdbcConnection.class).getSession();
        if (!(session instanceof SessionLocal local)) {
            return Optional.empty();
        }
        Database database = local.getDatabase();
        if (!database.isPersistent() || database.getStore() == null) {
            return Optional.empty();
        }
        MVStore store = database.getStore().getMvStore();
        FileStore<?> file = store.getFileStore();
        if (file == null || file.isReadOnly() || store.getAutoCommitDelay() != 0) {
            return Optional.empty();
        }
        return Optional.of(store);
    }
}
