package dev.writebackd.daemon.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

/** {@code ctl stats}: {@code GET /v1/stats} as an aligned table. */
@Command(footer = CtlCommand.EXIT_CODES, name = "stats", mixinStandardHelpOptions = true,
        description = "Show the daemon's counters: dirty and writeback pages, thresholds, bios, errors, throttling.")
final class StatsCommand extends DaemonCommand {
    @Override
    int run(Context context) {
        JsonNode stats = context.client().call("GET", "v1/stats");
        if (stats == null || !stats.isObject()) {
            throw new DaemonError(200, "EPROTO", "unexpected answer to GET /v1/stats: " + stats);
        }
        Table.ofObject(stats).print(context.root().stdout());
        return CtlCommand.EXIT_OK;
    }
}
