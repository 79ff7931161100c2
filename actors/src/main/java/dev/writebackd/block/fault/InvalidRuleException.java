package dev.writebackd.block.fault;

import static java.util.Objects.requireNonNull;

/**
 * A fault rule that cannot be used. The message names the JSON field, the value and what is
 * allowed, in the form of the configuration's errors:
 * {@code every = 0 is invalid: allowed a whole number, 1 or more}.
 */
public final class InvalidRuleException extends IllegalArgumentException {
    private final String field;
    private final String value;
    private final String allowed;

    /**
     * @param field the JSON field at fault
     * @param value the rejected value as JSON would show it, or {@code (absent)}
     * @param allowed what the field accepts, phrased to follow the word "allowed"
     */
    public InvalidRuleException(String field, String value, String allowed) {
        super(requireNonNull(field, "field") + " = " + requireNonNull(value, "value") + " is invalid: allowed "
                + requireNonNull(allowed, "allowed"));
        this.field = field;
        this.value = value;
        this.allowed = allowed;
    }

    /** The field at fault. */
    public String field() {
        return field;
    }

    /** The rejected value, as JSON would show it, or {@code (absent)} for a missing required field. */
    public String value() {
        return value;
    }

    /** What the field accepts. */
    public String allowed() {
        return allowed;
    }

    /** A value as JSON shows it: strings quoted. */
    static String render(Object value) {
        return value instanceof String text ? "\"" + text + "\"" : String.valueOf(value);
    }
}
