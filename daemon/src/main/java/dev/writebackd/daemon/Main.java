package dev.writebackd.daemon;

import ch.qos.logback.classic.LoggerContext;
import dev.writebackd.daemon.bench.BenchMain;
import java.io.PrintWriter;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;

/**
 * Entry point of {@code writebackd.jar}: runs the daemon ({@link WritebackdCommand}) or a
 * subcommand. A failure to start prints one line, {@code writebackd: CAUSE}, to stderr and exits
 * with the status {@link ExitCodes} lists.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        BenchMain.ensureAsyncPool(); // before anything touches the common pool
        int status = commandLine().execute(args);
        flushLogs();
        System.exit(status);
    }

    /** The command line, with one-line error reports for bad flags and failed starts. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new WritebackdCommand());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler(oneLineUsageError());
        cli.setExecutionExceptionHandler(oneLineFailure());
        return cli;
    }

    /** A bad flag: one line naming it, exit status {@link ExitCodes#USAGE}. */
    private static IParameterExceptionHandler oneLineUsageError() {
        return (e, args) -> {
            CommandLine cli = e.getCommandLine();
            PrintWriter err = cli.getErr();
            err.println(cli.getCommandName() + ": " + e.getMessage().replaceAll("\\s*\\R\\s*", " ")
                    + " (see " + cli.getCommandSpec().qualifiedName() + " --help)");
            err.flush();
            return ExitCodes.USAGE;
        };
    }

    /** A failed start: one line naming the cause, the exit status the failure carries. */
    private static IExecutionExceptionHandler oneLineFailure() {
        return (e, cli, parsed) -> {
            PrintWriter err = cli.getErr();
            if (e instanceof StartupException startup) {
                err.println("writebackd: " + startup.getMessage().replaceAll("\\s*\\R\\s*", " "));
                err.flush();
                return startup.exitCode();
            }
            err.println("writebackd: unexpected failure: " + Daemon.rootMessage(e));
            err.flush();
            return ExitCodes.FAILURE;
        };
    }

    /** Writes out the log lines still queued in the asynchronous appender. */
    static void flushLogs() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback) {
            logback.stop();
        }
        System.out.flush();
    }
}
