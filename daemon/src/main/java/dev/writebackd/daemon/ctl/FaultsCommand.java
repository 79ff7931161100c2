package dev.writebackd.daemon.ctl;

import static dev.writebackd.daemon.ctl.DaemonClient.segment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ctl faults …}: the fault rules below the cache ({@code /v1/faults}). */
@Command(footer = CtlCommand.EXIT_CODES, name = "faults", mixinStandardHelpOptions = true,
        synopsisSubcommandLabel = "(list | add | rm | clear | release | power-cut)",
        description = "List, add and remove fault rules; release stalled bios; cut the power.",
        subcommands = {FaultsCommand.ListRules.class, FaultsCommand.Add.class, FaultsCommand.Remove.class,
                FaultsCommand.Clear.class, FaultsCommand.Release.class, FaultsCommand.PowerCut.class})
final class FaultsCommand implements java.util.concurrent.Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** {@code ctl faults} alone: a usage error. */
    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "Missing subcommand: list, add, rm, clear, release or power-cut");
    }

    /** {@code ctl faults list}: {@code GET /v1/faults}. */
    @Command(footer = CtlCommand.EXIT_CODES, name = "list", mixinStandardHelpOptions = true, description = "Show the fault rules.")
    static final class ListRules extends DaemonCommand {
        @Override
        int run(Context context) {
            print(context, context.client().call("GET", "v1/faults"));
            return CtlCommand.EXIT_OK;
        }
    }

    /** {@code ctl faults add JSON}: {@code POST /v1/faults}. */
    @Command(footer = CtlCommand.EXIT_CODES, name = "add", mixinStandardHelpOptions = true,
            description = {"Add a fault rule, given as JSON; prints its id.",
                    "Example: ctl faults add '{\"op\": \"write\", \"errno\": \"EIO\", \"every\": 10}'"})
    static final class Add extends DaemonCommand {
        @Parameters(index = "0", paramLabel = "JSON", description = "The rule, a JSON object.")
        String rule;

        @Override
        int run(Context context) {
            JsonNode json;
            try {
                json = JSON.readTree(rule);
            } catch (JsonProcessingException e) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "Invalid rule: not JSON (" + e.getOriginalMessage() + ")");
            }
            if (json == null || !json.isObject()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Invalid rule: not a JSON object");
            }
            JsonNode answer = context.client().callWithJson("POST", "v1/faults", json);
            context.root().stdout().println(answer != null && answer.has("id")
                    ? "added fault " + Table.text(answer.get("id")) : "added fault");
            return CtlCommand.EXIT_OK;
        }
    }

    /** {@code ctl faults rm ID}: {@code DELETE /v1/faults/ID}. */
    @Command(footer = CtlCommand.EXIT_CODES, name = "rm", mixinStandardHelpOptions = true, description = "Remove fault rule ID.")
    static final class Remove extends DaemonCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The rule's id.")
        String id;

        @Override
        int run(Context context) {
            context.client().call("DELETE", "v1/faults/" + segment(id));
            context.root().stdout().println("removed fault " + id);
            return CtlCommand.EXIT_OK;
        }
    }

    /** {@code ctl faults clear}: {@code DELETE /v1/faults}. */
    @Command(footer = CtlCommand.EXIT_CODES, name = "clear", mixinStandardHelpOptions = true, description = "Remove every fault rule.")
    static final class Clear extends DaemonCommand {
        @Override
        int run(Context context) {
            context.client().call("DELETE", "v1/faults");
            context.root().stdout().println("removed every fault");
            return CtlCommand.EXIT_OK;
        }
    }

    /** {@code ctl faults release}: {@code POST /v1/faults/release}. */
    @Command(footer = CtlCommand.EXIT_CODES, name = "release", mixinStandardHelpOptions = true, description = "Let stalled bios go.")
    static final class Release extends DaemonCommand {
        @Override
        int run(Context context) {
            context.client().call("POST", "v1/faults/release");
            context.root().stdout().println("released stalled bios");
            return CtlCommand.EXIT_OK;
        }
    }

    /** {@code ctl faults power-cut}: {@code POST /v1/faults/power-cut}. */
    @Command(footer = CtlCommand.EXIT_CODES, name = "power-cut", mixinStandardHelpOptions = true,
            description = "Drop the device's volatile write cache and restart from what the device holds.")
    static final class PowerCut extends DaemonCommand {
        @Override
        int run(Context context) {
            JsonNode answer = context.client().call("POST", "v1/faults/power-cut");
            context.root().stdout().println(answer == null ? "power cut" : "power cut: " + answer);
            return CtlCommand.EXIT_OK;
        }
    }

    private static void print(DaemonCommand.Context context, JsonNode rules) {
        JsonNode list = rules != null && rules.has("faults") ? rules.get("faults") : rules;
        if (list != null && list.isArray()) {
            if (list.isEmpty()) {
                context.root().stdout().println("no fault rules");
            }
            list.forEach(rule -> context.root().stdout().println(rule.toString()));
        } else {
            context.root().stdout().println(rules == null ? "no fault rules" : rules.toString());
        }
    }
}
