package dev.writebackd.block.fault;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import java.util.OptionalLong;

/**
 * The "where" of a rule that needs no state: op, sector range, file, and for a corruption at a
 * chosen offset, a bio long enough to have that byte. Stateless apart from the rule.
 */
final class RuleMatcher {
    private final FaultRule rule;

    RuleMatcher(FaultRule rule) {
        this.rule = rule;
    }

    /** Whether {@code bio} is one the rule looks at; the file, if any, is resolved now. */
    boolean matches(Bio bio, FileResolver files) {
        if (!rule.op().matches(bio.op()) || !rule.action().affects(bio.op())) {
            return false;
        }
        if (rule.sectors() != null
                && (bio.op() == BioOp.FLUSH || !rule.sectors().overlaps(bio.startSector(), bio.endSector()))) {
            return false;
        }
        if (rule.action() == FaultAction.CORRUPT && rule.corruptOffset() >= bio.lengthBytes()) {
            return false;
        }
        if (rule.file() != null) {
            if (bio.inode() == 0) {
                return false;
            }
            OptionalLong inode = files.inodeOf(rule.file());
            return inode.isPresent() && inode.getAsLong() == bio.inode();
        }
        return true;
    }
}
