package dev.writebackd.block.fault;

import dev.writebackd.block.BioOp;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** What a fault rule does to a bio it picks: its JSON field {@code action}. */
public enum FaultAction {
    /** The bio fails with the rule's errno; nothing reaches the device. */
    ERROR(EnumSet.allOf(BioOp.class)),
    /** The bio is acknowledged as done but never reaches the device (a lost write or flush). */
    DROP(EnumSet.of(BioOp.WRITE, BioOp.FLUSH)),
    /** The bytes written to (or read from) the device are altered; the caller's buffers of a write are not. */
    CORRUPT(EnumSet.of(BioOp.READ, BioOp.WRITE)),
    /** The bio waits a fixed or uniformly drawn time before it goes on. */
    DELAY(EnumSet.allOf(BioOp.class)),
    /** The bio waits until the stalled bios are released, or the rule is removed. */
    STALL(EnumSet.allOf(BioOp.class)),
    /** Only a seeded prefix of the write's sectors reaches the device; it then fails or succeeds. */
    TORN(EnumSet.of(BioOp.WRITE)),
    /** Reads of the listed sectors fail until those sectors are written again (like dm-dust). */
    BADBLOCK(EnumSet.of(BioOp.READ, BioOp.WRITE));

    private final Set<BioOp> affects;

    FaultAction(Set<BioOp> affects) {
        this.affects = affects;
    }

    /** The operations this action can do something to; a rule's {@code op} must name one of them. */
    public Set<BioOp> affects() {
        return EnumSet.copyOf(affects);
    }

    boolean affects(BioOp op) {
        return affects.contains(op);
    }

    /** The name in JSON and configuration, e.g. {@code error}, {@code badblock}. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The value named {@code name} (any case), or {@code null} if there is none. */
    static FaultAction named(String name) {
        for (FaultAction action : values()) {
            if (action.jsonName().equalsIgnoreCase(name)) {
                return action;
            }
        }
        return null;
    }
}
