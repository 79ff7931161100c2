package dev.writebackd.daemon.ctl;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code writebackd ctl …}: talks to a running daemon over its HTTP API. */
@Command(name = "ctl", mixinStandardHelpOptions = true, description = "Talk to a running daemon over its HTTP API.")
public final class CtlCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("ctl: not built yet");
        return 1;
    }
}
