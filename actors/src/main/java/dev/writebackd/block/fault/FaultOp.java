package dev.writebackd.block.fault;

import dev.writebackd.block.BioOp;
import java.util.Locale;

/** Which bios a fault rule looks at, by operation: its JSON field {@code op}. */
public enum FaultOp {
    /** Reads only. */
    READ,
    /** Writes only. */
    WRITE,
    /** Device cache flushes only. */
    FLUSH,
    /** Every bio the rule's action can affect (the default). */
    ANY;

    /** Whether a bio with operation {@code op} is one this value names. */
    public boolean matches(BioOp op) {
        return switch (this) {
            case READ -> op == BioOp.READ;
            case WRITE -> op == BioOp.WRITE;
            case FLUSH -> op == BioOp.FLUSH;
            case ANY -> true;
        };
    }

    /** The name in JSON and configuration: {@code read}, {@code write}, {@code flush}, {@code any}. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The value named {@code name} (any case), or {@code null} if there is none. */
    static FaultOp named(String name) {
        for (FaultOp op : values()) {
            if (op.jsonName().equalsIgnoreCase(name)) {
                return op;
            }
        }
        return null;
    }
}
