package dev.writebackd.daemon.ctl;

import static dev.writebackd.daemon.ctl.DaemonClient.query;
import static dev.writebackd.daemon.ctl.DaemonClient.segment;
import static dev.writebackd.daemon.ctl.DaemonClient.target;

import com.fasterxml.jackson.databind.JsonNode;
import dev.writebackd.config.Durability;
import dev.writebackd.config.SettingsException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The file subcommands of {@code ctl}: the one-shot file forms of the HTTP API. */
final class FileCommands {
    private FileCommands() {}

    /** {@code ctl files}: {@code GET /v1/files}, as a table. */
    @Command(footer = CtlCommand.EXIT_CODES, name = "files", mixinStandardHelpOptions = true, description = "List the files: name, size in bytes, inode.")
    static final class Files extends DaemonCommand {
        @Override
        int run(Context context) {
            JsonNode answer = context.client().call("GET", "v1/files");
            JsonNode files = answer != null && answer.has("files") ? answer.get("files") : answer;
            if (files == null || !files.isArray()) {
                throw new DaemonError(200, "EPROTO", "unexpected answer to GET /v1/files: " + answer);
            }
            listing(files).print(context.root().stdout());
            return CtlCommand.EXIT_OK;
        }

        /** A table with the columns of the files' objects, name first; plain names in one column. */
        static Table listing(JsonNode files) {
            List<String> columns = new ArrayList<>(List.of("name", "size", "inode"));
            for (JsonNode file : files) {
                if (file.isObject()) {
                    Iterator<String> names = file.fieldNames();
                    names.forEachRemaining(name -> {
                        if (!columns.contains(name)) {
                            columns.add(name);
                        }
                    });
                }
            }
            Table table = Table.of(columns.stream().map(String::toUpperCase).toArray(String[]::new));
            for (JsonNode file : files) {
                table.row(columns.stream().map(column -> file.isObject() ? Table.text(file.get(column))
                        : column.equals("name") ? file.asText() : "-").toArray());
            }
            return table;
        }
    }

    /** {@code ctl write NAME}: standard input streamed to {@code PUT /v1/files/NAME}. */
    @Command(footer = CtlCommand.EXIT_CODES, name = "write", mixinStandardHelpOptions = true,
            description = {"Write standard input into file NAME (created if missing), streamed as it is read.",
                    "Example: ctl write log --offset 4096 < chunk.bin"})
    static final class Write extends DaemonCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The file.")
        String name;

        @Option(names = "--offset", paramLabel = "N", defaultValue = "0",
                description = "Byte offset to write at (default: ${DEFAULT-VALUE}).")
        long offset;

        @Option(names = "--durability", paramLabel = "MODE", converter = DurabilityConverter.class,
                description = "When the write is answered: cached, journaled or synced (default: the daemon's).")
        Durability durability;

        @Override
        int run(Context context) {
            requireNotNegative(spec, "--offset", offset);
            JsonNode answer = context.client().upload("PUT", target("v1/files/" + segment(name),
                    query("offset", offset, "durability", durability == null ? null : durability.configName())),
                    context.root().stdin());
            long written = answer != null && answer.has("written") ? answer.get("written").asLong() : 0;
            context.root().stdout().println("wrote " + written + " bytes to " + name + " at offset " + offset);
            return CtlCommand.EXIT_OK;
        }
    }

    /** {@code ctl read NAME}: {@code GET /v1/files/NAME} to standard output, as raw bytes. */
    @Command(footer = CtlCommand.EXIT_CODES, name = "read", mixinStandardHelpOptions = true,
            description = {"Copy bytes of file NAME to standard output (short at the end of the file).",
                    "Example: ctl read log --offset 0 --length 4096 > chunk.bin"})
    static final class Read extends DaemonCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The file.")
        String name;

        @Option(names = "--offset", paramLabel = "N", description = "Byte offset to start at (default: 0).")
        Long offset;

        @Option(names = "--length", paramLabel = "M", description = "Bytes to read at most (default: to the end).")
        Long length;

        @Override
        int run(Context context) {
            requireNotNegative(spec, "--offset", offset);
            requireNotNegative(spec, "--length", length);
            context.client().download(target("v1/files/" + segment(name), query("offset", offset, "length", length)),
                    context.root().stdout());
            return CtlCommand.EXIT_OK;
        }
    }

    /** {@code ctl fsync NAME}: {@code POST /v1/files/NAME/fsync}. */
    @Command(footer = CtlCommand.EXIT_CODES, name = "fsync", mixinStandardHelpOptions = true,
            description = "Make file NAME durable: write back its dirty pages, flush, commit; report a write error.")
    static final class Fsync extends DaemonCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The file.")
        String name;

        @Override
        int run(Context context) {
            context.client().call("POST", "v1/files/" + segment(name) + "/fsync");
            context.root().stdout().println("fsync " + name + ": ok");
            return CtlCommand.EXIT_OK;
        }
    }

    /** {@code --durability}: a mode by its configuration name. */
    static final class DurabilityConverter implements CommandLine.ITypeConverter<Durability> {
        @Override
        public Durability convert(String value) {
            try {
                return Durability.parse(value);
            } catch (SettingsException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not cached, journaled or synced");
            }
        }
    }

    /** A usage error (exit 2) if {@code value} is negative. */
    static void requireNotNegative(CommandLine.Model.CommandSpec spec, String option, Long value) {
        if (value != null && value < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Invalid value for option '" + option + "': " + value + " is negative");
        }
    }
}
