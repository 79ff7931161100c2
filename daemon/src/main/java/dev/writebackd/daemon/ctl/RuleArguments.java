package dev.writebackd.daemon.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The arguments of {@code ctl faults add} as one JSON rule: JSON objects, and {@code KEY=VALUE}
 * fields. The daemon checks the rule; here only the form is checked, so a mistyped field is
 * reported by the daemon naming it.
 */
final class RuleArguments {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern KEY = Pattern.compile("[A-Za-z][A-Za-z0-9]*");
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?");
    /** Fields whose values stay strings even when they look like numbers (a file named 2024, say). */
    private static final Set<String> TEXT = Set.of("op", "action", "errno", "file", "tornOutcome");
    /** Fields whose values are lists of numbers. */
    private static final Set<String> LISTS = Set.of("sectors", "badSectors");

    private RuleArguments() {}

    /**
     * The rule {@code parts} give, in their order.
     *
     * @param invalid makes the exception for a malformed part or a field given twice
     */
    static ObjectNode rule(List<String> parts, Function<String, RuntimeException> invalid) {
        ObjectNode rule = NODES.objectNode();
        for (String part : parts) {
            if (part.strip().startsWith("{")) {
                object(part, invalid).fields().forEachRemaining(field -> put(rule, field.getKey(), field.getValue(), invalid));
            } else {
                int equals = part.indexOf('=');
                String key = equals > 0 ? part.substring(0, equals) : "";
                if (!KEY.matcher(key).matches()) {
                    throw invalid.apply("'" + part + "' is neither a JSON object nor KEY=VALUE");
                }
                put(rule, key, value(key, part.substring(equals + 1)), invalid);
            }
        }
        return rule;
    }

    private static ObjectNode object(String text, Function<String, RuntimeException> invalid) {
        JsonNode json;
        try {
            json = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw invalid.apply("Invalid rule: not JSON (" + e.getOriginalMessage() + ")");
        }
        if (!(json instanceof ObjectNode object)) {
            throw invalid.apply("Invalid rule: not a JSON object");
        }
        return object;
    }

    private static void put(ObjectNode rule, String key, JsonNode value, Function<String, RuntimeException> invalid) {
        if (rule.has(key)) {
            throw invalid.apply("Field '" + key + "' is given twice");
        }
        rule.set(key, value);
    }

    private static JsonNode value(String key, String text) {
        if (TEXT.contains(key)) {
            return NODES.textNode(text);
        }
        if (LISTS.contains(key)) {
            String items = text.strip();
            if (items.startsWith("[") && items.endsWith("]")) {
                items = items.substring(1, items.length() - 1);
            }
            ArrayNode list = NODES.arrayNode();
            for (String item : items.split(",")) {
                list.add(scalar(item.strip()));
            }
            return list;
        }
        return scalar(text);
    }

    /** A number as a number, {@code true}/{@code false} as a boolean, anything else as a string. */
    private static JsonNode scalar(String text) {
        if (NUMBER.matcher(text).matches()) {
            BigDecimal number = new BigDecimal(text);
            return text.matches("-?\\d+") ? NODES.numberNode(number.toBigInteger()) : NODES.numberNode(number);
        }
        if (text.equals("true") || text.equals("false")) {
            return NODES.booleanNode(Boolean.parseBoolean(text));
        }
        return NODES.textNode(text);
    }
}
