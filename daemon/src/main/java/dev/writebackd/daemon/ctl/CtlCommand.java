package dev.writebackd.daemon.ctl;

import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code writebackd ctl …}: talks to a running daemon over its HTTP API (DESIGN.md, "Interfaces").
 * Each subcommand sends one request (watch: one per refresh) and prints the answer readably.
 *
 * <p>Exit codes: {@value #EXIT_OK} ok; {@value #EXIT_DAEMON_ERROR} the daemon answered an error
 * ({@code errno: message} on stderr); {@value #EXIT_USAGE} a usage error; {@value #EXIT_UNREACHABLE}
 * no daemon answers at the URL. Every subcommand maps its own failures to these codes, so they hold
 * however the command is embedded.
 */
@Command(name = "ctl", mixinStandardHelpOptions = true, versionProvider = CtlCommand.Version.class,
        description = "Talk to a running writebackd daemon over its HTTP API.",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {FileCommands.Files.class, FileCommands.Write.class, FileCommands.Read.class,
                FileCommands.Fsync.class, SyncCommand.class, StatsCommand.class, WatchCommand.class,
                PolicyCommand.class, FaultsCommand.class, PowerCutCommand.class, ReplayCommand.class},
        footer = CtlCommand.EXIT_CODES)
public final class CtlCommand implements Callable<Integer> {
    /** Success. */
    public static final int EXIT_OK = 0;
    /** The daemon answered an error. */
    public static final int EXIT_DAEMON_ERROR = 1;
    /** A usage error (picocli's own code for it). */
    public static final int EXIT_USAGE = 2;
    /** No daemon answers at the URL. */
    public static final int EXIT_UNREACHABLE = 3;

    /** The help footer of every {@code ctl} command: the exit codes. */
    static final String EXIT_CODES = "%nExit codes:%n"
            + "  0  ok%n"
            + "  1  the daemon answered an error (printed as `errno: message` on stderr)%n"
            + "  2  usage error (unknown command or option, bad value)%n"
            + "  3  no daemon answers at the URL (not running, wrong port or host)";

    /** The URL used when {@code --url} is not given. */
    public static final String DEFAULT_URL = "http://127.0.0.1:7878";

    @Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--url", paramLabel = "URL", defaultValue = DEFAULT_URL, converter = UrlConverter.class,
            scope = CommandLine.ScopeType.INHERIT,
            description = "The daemon's HTTP address (default: ${DEFAULT-VALUE}).")
    private URI url;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:WRITEBACKD_TOKEN}",
            scope = CommandLine.ScopeType.INHERIT,
            description = "Bearer token, needed when the daemon binds a non-loopback address "
                    + "(default: the environment variable WRITEBACKD_TOKEN).")
    private String token;

    private final InputStream stdin;
    private final PrintStream stdout;

    /** The command on this process's standard input and output. */
    public CtlCommand() {
        this(System.in, System.out);
    }

    /** The command reading data from {@code stdin} and writing results to {@code stdout} (tests). */
    public CtlCommand(InputStream stdin, PrintStream stdout) {
        this.stdin = stdin;
        this.stdout = stdout;
    }

    /** {@code ctl} alone: prints the usage and fails as a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_USAGE;
    }

    /** A client of the daemon at {@code --url} with {@code --token}. */
    DaemonClient client() {
        return new DaemonClient(url, token);
    }

    /** Where {@code write} reads its data. */
    InputStream stdin() {
        return stdin;
    }

    /** Where results go: text and {@code read}'s bytes. */
    PrintStream stdout() {
        return stdout;
    }

    /** Parses {@code --url}: an absolute {@code http} or {@code https} URL with a host. */
    static final class UrlConverter implements ITypeConverter<URI> {
        @Override
        public URI convert(String value) {
            URI uri;
            try {
                uri = new URI(value.strip());
            } catch (URISyntaxException e) {
                throw new TypeConversionException("'" + value + "' is not a URL: " + e.getReason());
            }
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new TypeConversionException("'" + value + "' is not an http:// or https:// URL with a host");
            }
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            return uri.resolve(path.endsWith("/") ? path : path + "/");
        }
    }

    /** The version from the jar's manifest, when there is one. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = CtlCommand.class.getPackage().getImplementationVersion();
            return new String[] {"writebackd ctl " + (version == null ? "(development build)" : version)};
        }
    }
}
