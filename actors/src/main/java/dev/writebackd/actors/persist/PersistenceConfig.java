package dev.writebackd.actors.persist;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Map;

/**
 * Builds the actor system's configuration around a data directory: the journal database is the
 * H2 file {@code <dataDir>/journal.mv.db}. Layers, highest first: system properties, the caller's
 * overrides, the data directory, {@code application.conf}, {@code reference.conf} (where the
 * journal, the snapshot store, serialization and the stash capacity are configured).
 *
 * <p>The result is checked before it is returned: the H2 URL keeps {@code WRITE_DELAY=0}, the
 * journal plugins are the JDBC ones, and the stash capacity is not below the outstanding-command
 * bound (see {@link PersistenceSettings}).
 */
public final class PersistenceConfig {
    /** The key that {@link #forDataDir(Path)} sets. */
    public static final String DATA_DIR = "writebackd.persistence.data-dir";

    private PersistenceConfig() {}

    /** The configuration for a journal in {@code dataDir}; pure, touches no file. */
    public static Config forDataDir(Path dataDir) {
        return forDataDir(dataDir, ConfigFactory.empty());
    }

    /**
     * The configuration for a journal in {@code dataDir}, with {@code overrides} above the data
     * directory (tests use it for short snapshot intervals, say); pure, touches no file.
     *
     * @throws IllegalArgumentException when the path cannot be part of an H2 URL or the result
     *     fails the checks above
     */
    public static Config forDataDir(Path dataDir, Config overrides) {
        requireNonNull(dataDir, "dataDir");
        requireNonNull(overrides, "overrides");
        String dir = dataDir.toAbsolutePath().normalize().toString();
        if (dir.indexOf(';') >= 0) {
            throw new IllegalArgumentException("an H2 URL cannot hold a data directory containing ';': " + dir);
        }
        Config config = ConfigFactory.defaultOverrides()
                .withFallback(overrides)
                .withFallback(ConfigFactory.parseMap(Map.of(DATA_DIR, dir), "writebackd data directory"))
                .withFallback(ConfigFactory.defaultApplication())
                .withFallback(ConfigFactory.defaultReferenceUnresolved())
                .resolve();
        check(config);
        return config;
    }

    /**
     * The start-up step before the actor system: creates {@code dataDir} and, for the embedded H2
     * journal, the schema if they are missing (reusing both when they exist), and returns
     * {@link #forDataDir(Path, Config)}. A journal on another database (a URL set in
     * {@code application.conf}) has its schema managed by whoever runs that database. Blocking.
     *
     * @throws IOException when the directory cannot be created
     * @throws SQLException when the database cannot be opened or the schema created
     */
    public static Config prepare(Path dataDir, Config overrides) throws IOException, SQLException {
        Config config = forDataDir(dataDir, overrides);
        Files.createDirectories(dataDir);
        JournalDatabase database = JournalDatabase.fromConfig(config);
        if (isH2(database.url())) {
            JournalSchema.ensure(database);
        }
        return config;
    }

    /** {@link #prepare(Path, Config)} without overrides. */
    public static Config prepare(Path dataDir) throws IOException, SQLException {
        return prepare(dataDir, ConfigFactory.empty());
    }

    private static void check(Config config) {
        String url = config.getString("writebackd.persistence.url");
        if (isH2(url) && !url.toUpperCase(Locale.ROOT).contains(";WRITE_DELAY=0")) {
            throw new IllegalArgumentException("the H2 journal URL must set WRITE_DELAY=0, or a killed process"
                    + " loses acknowledged events: " + url);
        }
        requirePlugin(config, "pekko.persistence.journal.plugin", "jdbc-journal");
        requirePlugin(config, "pekko.persistence.snapshot-store.plugin", "jdbc-snapshot-store");
        PersistenceSettings.fromConfig(config);
    }

    private static boolean isH2(String url) {
        return url.startsWith("jdbc:h2:");
    }

    private static void requirePlugin(Config config, String key, String expected) {
        String actual = config.getString(key);
        if (!actual.equals(expected)) {
            throw new IllegalArgumentException(key + " is \"" + actual + "\", expected \"" + expected
                    + "\": is another reference.conf ahead of the engine's on the class path?");
        }
    }
}
