package dev.writebackd.actors.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LongMapTest {

    @Test
    void behavesLikeAHashMapUnderRandomPutsAndRemoves() {
        LongMap<String> map = new LongMap<>();
        Map<Long, String> model = new HashMap<>();
        Random random = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            long key = random.nextInt(500) - 100; // collisions, negative keys and reuse
            if (random.nextInt(3) == 0) {
                assertThat(map.remove(key)).isEqualTo(model.remove(key));
            } else {
                String value = "v" + i;
                map.put(key, value);
                model.put(key, value);
            }
            assertThat(map.size()).isEqualTo(model.size());
        }
        for (long key = -100; key < 400; key++) {
            assertThat(map.get(key)).isEqualTo(model.get(key));
        }
        Map<Long, String> seen = new HashMap<>();
        map.forEach(seen::put);
        assertThat(seen).isEqualTo(model);
    }

    @Test
    void removeIfRemovesExactlyTheAcceptedKeys() {
        LongMap<Long> map = new LongMap<>();
        for (long key = 0; key < 1000; key++) {
            map.put(key, key * 10);
        }
        map.removeIf(key -> key % 3 == 0);

        assertThat(map.size()).isEqualTo(666);
        assertThat(map.get(3)).isNull();
        assertThat(map.get(4)).isEqualTo(40L);
        map.clear();
        assertThat(map.isEmpty()).isTrue();
        assertThat(map.get(4)).isNull();
    }

    @Test
    void refusesNullValues() {
        LongMap<String> map = new LongMap<>();
        assertThatThrownBy(() -> map.put(1, null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(map.isEmpty()).isTrue();
    }
}
