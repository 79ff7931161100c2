package dev.writebackd.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReferenceConfTest {

    @Test
    void everyKeyIsPrecededByAComment() {
        ConfigObject root = ConfigFactory.parseURL(Settings.class.getResource("/reference.conf")).root();
        List<String> undocumented = new ArrayList<>();

        collectUndocumented(root, "", undocumented);

        assertThat(root).containsKey("writebackd");
        assertThat(undocumented).isEmpty();
    }

    /** Checks every key, and each preset's name, but not the keys inside a preset. */
    private static void collectUndocumented(ConfigObject object, String path, List<String> undocumented) {
        for (Map.Entry<String, ?> entry : object.entrySet()) {
            String key = path.isEmpty() ? entry.getKey() : path + "." + entry.getKey();
            var value = object.get(entry.getKey());
            if (value.origin().comments().isEmpty()) {
                undocumented.add(key);
            }
            if (value instanceof ConfigObject nested && !key.startsWith(Settings.PRESETS + ".")) {
                collectUndocumented(nested, key, undocumented);
            }
        }
    }
}
