package dev.writebackd.daemon;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import dev.writebackd.block.fault.FaultRule;
import dev.writebackd.block.fault.InvalidRuleException;
import dev.writebackd.config.SettingsException;
import java.util.ArrayList;
import java.util.List;

/**
 * The fault rules' settings, {@code writebackd.faults.seed} and {@code writebackd.faults.rules}.
 *
 * @param seed the run seed; 0 to pick a random one at start
 * @param rules the rules to install at start, in order
 */
public record FaultSettings(long seed, List<FaultRule> rules) {
    static final String SEED = "writebackd.faults.seed";
    static final String RULES = "writebackd.faults.rules";

    /** Validates. */
    public FaultSettings {
        rules = List.copyOf(requireNonNull(rules, "rules"));
    }

    /**
     * Reads the settings from {@code config}.
     *
     * @throws SettingsException naming the key: for a rule, {@code writebackd.faults.rules[N].FIELD}
     */
    public static FaultSettings fromConfig(Config config) {
        requireNonNull(config, "config");
        long seed = 0;
        if (config.hasPath(SEED)) {
            try {
                seed = config.getLong(SEED);
            } catch (ConfigException.WrongType e) {
                throw new SettingsException(SEED, config.getValue(SEED).render(ConfigRenderOptions.concise()),
                        "a whole number (0: random)", e);
            }
        }
        List<FaultRule> rules = new ArrayList<>();
        if (config.hasPath(RULES)) {
            ConfigValue value = config.getValue(RULES);
            if (!(value instanceof ConfigList list)) {
                throw new SettingsException(RULES, value.render(ConfigRenderOptions.concise()),
                        "a list of rules, [{action = error, …}, …]");
            }
            for (int i = 0; i < list.size(); i++) {
                rules.add(rule(i, list.get(i)));
            }
        }
        return new FaultSettings(seed, rules);
    }

    private static FaultRule rule(int index, ConfigValue value) {
        String key = RULES + "[" + index + "]";
        if (!(value instanceof ConfigObject object)) {
            throw new SettingsException(key, value.render(ConfigRenderOptions.concise()),
                    "a rule: an object such as {op = write, action = error}");
        }
        try {
            return FaultRule.fromJson(object.unwrapped());
        } catch (InvalidRuleException e) {
            ConfigValue field = object.get(e.field());
            throw new SettingsException(key + "." + e.field(), field == null ? e.value()
                    : field.render(ConfigRenderOptions.concise()), e.allowed(), e);
        }
    }
}
