package dev.writebackd.block.fault;

import static java.util.Objects.requireNonNull;

/**
 * A fault rule that cannot be used: {@link #field()} names the JSON field at fault (or
 * {@code "rule"} when the rule as a whole is wrong), and the message says what is allowed.
 */
public final class InvalidRuleException extends IllegalArgumentException {
    private final String field;

    /** A problem with {@code field}: the message is {@code "field: problem"}. */
    public InvalidRuleException(String field, String problem) {
        super(requireNonNull(field, "field") + ": " + requireNonNull(problem, "problem"));
        this.field = field;
    }

    /** The field at fault. */
    public String field() {
        return field;
    }
}
