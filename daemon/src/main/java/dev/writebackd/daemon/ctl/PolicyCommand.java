package dev.writebackd.daemon.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.List;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ctl policy get|set}: the writeback policy at run time ({@code /v1/policy}). */
@Command(footer = CtlCommand.EXIT_CODES, name = "policy", mixinStandardHelpOptions = true, synopsisSubcommandLabel = "(get | set)",
        description = "Show or change the writeback policy at run time.",
        subcommands = {PolicyCommand.Get.class, PolicyCommand.Set.class})
final class PolicyCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** {@code ctl policy} alone: a usage error. */
    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: get or set");
    }

    /** {@code ctl policy get}: {@code GET /v1/policy}. */
    @Command(footer = CtlCommand.EXIT_CODES, name = "get", mixinStandardHelpOptions = true, description = "Show the writeback policy now.")
    static final class Get extends DaemonCommand {
        @Override
        int run(Context context) {
            print(context, context.client().call("GET", "v1/policy"));
            return CtlCommand.EXIT_OK;
        }
    }

    /** {@code ctl policy set KEY=VALUE…}: one {@code PATCH /v1/policy} with all the settings. */
    @Command(footer = CtlCommand.EXIT_CODES, name = "set", mixinStandardHelpOptions = true,
            description = {"Change policy keys at run time, all in one request (all or nothing).",
                    "Keys: dirtyBackgroundRatio, dirtyBackgroundBytes, dirtyRatio, dirtyBytes, dirtyExpireMs, "
                            + "writebackIntervalMs, errorPolicy, retryLimit, durability, maxBioSegments, queueDepth, "
                            + "minChunkBytes, commitIntervalMs.",
                    "Example: ctl policy set dirtyRatio=30 errorPolicy=redirty"})
    static final class Set extends DaemonCommand {
        @Parameters(arity = "1..*", paramLabel = "KEY=VALUE", converter = SettingConverter.class,
                description = "A key and its value; numbers are sent as JSON numbers, true/false as booleans.")
        List<Setting> settings;

        @Override
        int run(Context context) {
            ObjectNode patch = JsonNodeFactory.instance.objectNode();
            for (Setting setting : settings) {
                if (patch.has(setting.key())) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "Key '" + setting.key() + "' is given twice");
                }
                patch.set(setting.key(), setting.value());
            }
            JsonNode answer = context.client().callWithJson("PATCH", "v1/policy", patch);
            if (answer == null) {
                context.root().stdout().println("policy updated: " + patch);
            } else {
                print(context, answer);
            }
            return CtlCommand.EXIT_OK;
        }
    }

    /** One {@code KEY=VALUE} of {@code policy set}, its value as JSON. */
    record Setting(String key, JsonNode value) {}

    /** Parses {@code KEY=VALUE}: numbers become numbers, {@code true}/{@code false} booleans, the rest strings. */
    static final class SettingConverter implements CommandLine.ITypeConverter<Setting> {
        private static final Pattern KEY = Pattern.compile("[A-Za-z][A-Za-z0-9]*");
        private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?");

        @Override
        public Setting convert(String text) {
            int equals = text.indexOf('=');
            if (equals <= 0) {
                throw new CommandLine.TypeConversionException("'" + text + "' is not KEY=VALUE");
            }
            String key = text.substring(0, equals);
            String value = text.substring(equals + 1);
            if (!KEY.matcher(key).matches()) {
                throw new CommandLine.TypeConversionException("'" + key + "' is not a policy key (camelCase, like dirtyRatio)");
            }
            JsonNodeFactory json = JsonNodeFactory.instance;
            JsonNode node;
            if (NUMBER.matcher(value).matches()) {
                BigDecimal number = new BigDecimal(value);
                node = number.scale() <= 0 && value.matches("-?\\d+") ? json.numberNode(number.toBigInteger())
                        : json.numberNode(number);
            } else if (value.equals("true") || value.equals("false")) {
                node = json.booleanNode(Boolean.parseBoolean(value));
            } else {
                node = json.textNode(value);
            }
            return new Setting(key, node);
        }
    }

    private static void print(DaemonCommand.Context context, JsonNode policy) {
        if (policy == null || !policy.isObject()) {
            throw new DaemonError(200, "EPROTO", "unexpected policy answer: " + policy);
        }
        Table.ofObject(policy).print(context.root().stdout());
    }
}
