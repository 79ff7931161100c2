package dev.writebackd.block.fault;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A rule installed in a {@link FaultyDevice}, as it stands now.
 *
 * @param id the rule's id
 * @param rule the rule, with the seed it draws from (its own, or the one derived from the run seed)
 * @param matches bios that matched its op, sectors and file (and, for badblock, touched a bad sector) while its window was open
 * @param hits bios it acted on
 * @param stalled bios it holds now (stall rules)
 * @param expired whether it will act no more: its count is used up or its duration over
 */
public record RuleStatus(long id, FaultRule rule, long matches, long hits, int stalled, boolean expired) {
    /** Validates. */
    public RuleStatus {
        requireNonNull(rule, "rule");
    }

    /** As JSON: {@code {"id", "hits", "matches", "stalled", "expired", "rule": {…}}}. */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", id);
        json.put("hits", hits);
        json.put("matches", matches);
        json.put("stalled", stalled);
        json.put("expired", expired);
        json.put("rule", rule.toJson());
        return json;
    }
}
