package dev.writebackd.daemon.ctl;

import static dev.writebackd.daemon.ctl.DaemonClient.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
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

    /** {@code ctl faults add [JSON] [KEY=VALUE…]}: {@code POST /v1/faults}. */
    @Command(footer = CtlCommand.EXIT_CODES, name = "add", mixinStandardHelpOptions = true,
            description = {"Add a fault rule, given as a JSON object, as KEY=VALUE fields, or both (the fields "
                    + "are added to the object); prints its id.",
                    "Fields: op, action, errno, sectors, file, probability, every, after, count, durationMs, upMs, "
                            + "downMs, delayMs, delayMaxMs, tornOutcome, corruptOffset, corruptValue, badSectors, seed.",
                    "Examples: ctl faults add '{\"op\": \"write\", \"action\": \"error\", \"errno\": \"EIO\"}'",
                    "          ctl faults add action=error op=write errno=ENOSPC every=10",
                    "          ctl faults add action=badblock badSectors=8,9,10"})
    static final class Add extends DaemonCommand {
        @Parameters(arity = "1..*", paramLabel = "JSON|KEY=VALUE",
                description = "The rule as a JSON object, and/or its fields as KEY=VALUE: numbers are sent as "
                        + "numbers, sectors and badSectors as lists (FIRST,LAST or [FIRST, LAST]), the rest as strings.")
        List<String> parts;

        @Override
        int run(Context context) {
            ObjectNode rule = RuleArguments.rule(parts, message -> new CommandLine.ParameterException(spec.commandLine(),
                    message));
            JsonNode answer = context.client().callWithJson("POST", "v1/faults", rule);
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
            JsonNode answer = context.client().call("POST", "v1/faults/release");
            context.root().stdout().println(answer != null && answer.has("released")
                    ? "released " + Table.text(answer.get("released")) + " stalled bio(s)" : "released stalled bios");
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

    /** The rules as a table: id, action, op, counts, state, and the rule's other fields. */
    private static void print(DaemonCommand.Context context, JsonNode answer) {
        if (answer == null || !answer.isObject() || !answer.path("faults").isArray()) {
            throw new DaemonError(200, "EPROTO", "unexpected fault rules answer: " + answer);
        }
        if (answer.has("runSeed")) {
            context.root().stdout().println("run seed " + Table.text(answer.get("runSeed")));
        }
        JsonNode list = answer.get("faults");
        if (list.isEmpty()) {
            context.root().stdout().println("no fault rules");
            return;
        }
        Table table = Table.of("ID", "ACTION", "OP", "HITS", "MATCHES", "STALLED", "STATE", "RULE");
        for (JsonNode status : list) {
            JsonNode rule = status.path("rule");
            StringBuilder rest = new StringBuilder();
            rule.fields().forEachRemaining(field -> {
                if (!field.getKey().equals("op") && !field.getKey().equals("action")) {
                    rest.append(rest.length() == 0 ? "" : " ").append(field.getKey()).append('=')
                            .append(Table.text(field.getValue()));
                }
            });
            table.row(Table.text(status.get("id")), Table.text(rule.get("action")), Table.text(rule.get("op")),
                    Table.text(status.get("hits")), Table.text(status.get("matches")), Table.text(status.get("stalled")),
                    status.path("expired").asBoolean() ? "expired" : "active", rest.toString());
        }
        table.print(context.root().stdout());
    }
}
