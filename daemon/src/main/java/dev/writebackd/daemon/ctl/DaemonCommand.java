package dev.writebackd.daemon.ctl;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A {@code ctl} subcommand that talks to the daemon: runs {@link #run(Context)} and turns its
 * failures into the documented exit codes — a {@link DaemonError} into
 * {@link CtlCommand#EXIT_DAEMON_ERROR} with {@code errno: message} on stderr, a
 * {@link DaemonUnreachable} into {@link CtlCommand#EXIT_UNREACHABLE} with one line naming the URL.
 */
abstract class DaemonCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /**
     * What a subcommand works with.
     *
     * @param client the daemon
     * @param root the {@code ctl} command: standard input and output
     * @param err standard error
     */
    record Context(DaemonClient client, CtlCommand root, PrintWriter err) {}

    /** Does the work; answers the exit code. */
    abstract int run(Context context);

    @Override
    public final Integer call() {
        CtlCommand root = root();
        PrintWriter err = spec.commandLine().getErr();
        try {
            return run(new Context(root.client(), root, err));
        } catch (DaemonError e) {
            err.println(e.line());
            return CtlCommand.EXIT_DAEMON_ERROR;
        } catch (DaemonUnreachable e) {
            err.println("ctl: " + e.getMessage());
            return CtlCommand.EXIT_UNREACHABLE;
        } catch (UncheckedIOException e) {
            err.println("ctl: " + e.getMessage());
            return CtlCommand.EXIT_DAEMON_ERROR;
        } finally {
            err.flush();
        }
    }

    private CtlCommand root() {
        for (CommandSpec at = spec; at != null; at = at.parent()) {
            if (at.userObject() instanceof CtlCommand ctl) {
                return ctl;
            }
        }
        throw new IllegalStateException(spec.qualifiedName() + " is not under ctl");
    }
}
