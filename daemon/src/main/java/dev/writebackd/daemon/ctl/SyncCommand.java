package dev.writebackd.daemon.ctl;

import picocli.CommandLine.Command;

/** {@code ctl sync}: {@code POST /v1/sync}. */
@Command(footer = CtlCommand.EXIT_CODES, name = "sync", mixinStandardHelpOptions = true,
        description = "Write back every dirty page of every file, flush the device and commit (never fails, like sync(2)).")
final class SyncCommand extends DaemonCommand {
    @Override
    int run(Context context) {
        context.client().call("POST", "v1/sync");
        context.root().stdout().println("sync: ok");
        return CtlCommand.EXIT_OK;
    }
}
