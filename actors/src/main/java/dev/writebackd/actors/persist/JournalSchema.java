package dev.writebackd.actors.persist;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Creates the tables of Pekko's JDBC journal and snapshot store (plugin version 1.1.1:
 * {@code event_journal}, {@code event_tag}, {@code snapshot}) when they do not exist yet. The DDL
 * is the plugin's H2 schema with every statement made idempotent (the plugin's own index statement
 * fails on a second run), shipped as {@code h2-schema.sql} beside this class.
 *
 * <p>Runs over plain JDBC before the actor system starts the journal; blocking.
 */
public final class JournalSchema {
    private static final String RESOURCE = "h2-schema.sql";

    private JournalSchema() {}

    /**
     * Creates whatever part of the schema is missing; safe to run on every start.
     *
     * @throws SQLException when the database cannot be opened or a statement fails
     */
    public static void ensure(JournalDatabase database) throws SQLException {
        requireNonNull(database, "database");
        try (Connection connection = database.connect(); Statement statement = connection.createStatement()) {
            for (String ddl : statements()) {
                statement.execute(ddl);
            }
        }
    }

    /** The DDL statements in order: comment lines dropped, split at the ';' that ends a line. */
    static List<String> statements() {
        String script = Arrays.stream(readScript().split("\n"))
                .filter(line -> !line.strip().startsWith("--"))
                .collect(Collectors.joining("\n"));
        return Arrays.stream(script.split(";\\s*(\n|$)"))
                .map(String::strip)
                .filter(ddl -> !ddl.isEmpty())
                .toList();
    }

    private static String readScript() {
        try (InputStream in = JournalSchema.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
