package dev.writebackd.daemon.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ctl power-cut [--mode M] [--seed S]}: {@code POST /v1/faults/power-cut}. */
@Command(footer = CtlCommand.EXIT_CODES, name = "power-cut", mixinStandardHelpOptions = true,
        description = {"Cut the power of the device's volatile write cache: the engine stops at once with no "
                + "writeback, the cache loses what was not flushed (all of it, or with --mode random a seeded "
                + "subset of sectors), and the engine restarts from the device and the journal. Prints the seed "
                + "used and the sectors dropped once the engine serves again. Handles opened before answer "
                + "ESTALE afterwards.",
                "Needs a daemon with writebackd.faults.volatile-cache = on (or --preset fault-lab)."})
final class PowerCutCommand extends DaemonCommand {
    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "drop-unflushed",
            description = "drop-unflushed (every unflushed sector is lost) or random (a seeded subset survives: "
                    + "torn and reordered writes); default: ${DEFAULT-VALUE}.")
    String mode;

    @Option(names = "--seed", paramLabel = "S",
            description = "The cut's seed (an integer); default: derived from the daemon's run seed.")
    Long seed;

    @Override
    int run(Context context) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("mode", mode);
        if (seed != null) {
            body.put("seed", seed);
        }
        JsonNode answer = context.client().callWithJson("POST", "v1/faults/power-cut", body);
        if (answer != null && answer.has("seed") && answer.has("droppedSectors")) {
            context.root().stdout().println("power cut (" + mode + "): seed " + answer.get("seed").asText() + ", "
                    + answer.get("droppedSectors").asText() + " unflushed sectors dropped; engine restarted");
        } else {
            context.root().stdout().println("power cut: " + answer);
        }
        return CtlCommand.EXIT_OK;
    }
}
