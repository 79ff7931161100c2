package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Keeps the engine's reference.conf documented: every key it sets carries a comment. */
class ReferenceConfTest {

    @Test
    void everyKeyOfTheEnginesReferenceConfIsExplained() {
        ConfigObject root = ConfigFactory.parseURL(PersistenceConfig.class.getResource("/reference.conf")).root();
        List<String> undocumented = new ArrayList<>();

        collectUndocumented(root, "", undocumented);

        assertThat(root).containsKeys("writebackd", "pekko", "pekko-persistence-jdbc");
        assertThat(undocumented).isEmpty();
    }

    private static void collectUndocumented(ConfigObject object, String path, List<String> undocumented) {
        for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
            String key = path.isEmpty() ? entry.getKey() : path + "." + entry.getKey();
            ConfigValue value = entry.getValue();
            if (value instanceof ConfigObject nested) {
                collectUndocumented(nested, key, undocumented);
            } else if (value.origin().comments().isEmpty()) {
                undocumented.add(key);
            }
        }
    }
}
