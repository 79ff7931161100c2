package dev.writebackd.actors.persist;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * Where the journal lives: the JDBC URL and credentials of {@code writebackd.persistence}, for
 * the plain-JDBC work done beside the journal plugin (schema creation, forced sync). An embedded
 * H2 file database opened twice in one JVM is one engine, so a connection made here sees, and
 * forces, exactly what the journal wrote.
 *
 * <p>Connecting is blocking I/O: never on an actor's thread.
 *
 * @param url JDBC URL of the journal database
 * @param user database user
 * @param password the user's password
 */
public record JournalDatabase(String url, String user, String password) {

    /** Checks that all three are given. */
    public JournalDatabase {
        requireNonNull(url, "url");
        requireNonNull(user, "user");
        requireNonNull(password, "password");
    }

    /** The database of a resolved config's {@code writebackd.persistence} section. */
    public static JournalDatabase fromConfig(Config config) {
        Config persistence = requireNonNull(config, "config").getConfig("writebackd.persistence");
        return new JournalDatabase(
                persistence.getString("url"), persistence.getString("user"), persistence.getString("password"));
    }

    /** Opens a new connection; the caller closes it. Blocking. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url, user, password);
    }

    /** Leaves the password out, so that logging a database never logs it. */
    @Override
    public String toString() {
        return "JournalDatabase[url=" + url + ", user=" + user + "]";
    }
}
