package dev.writebackd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RuntimePolicyTest {
    private final RuntimePolicy defaults = RuntimePolicy.of(Settings.defaults());

    @Test
    void listsEveryKeyWithTheDefaults() {
        assertThat(defaults.toMap()).containsExactly(
                Map.entry("dirtyBackgroundRatio", 10.0), Map.entry("dirtyBackgroundBytes", 0L),
                Map.entry("dirtyRatio", 20.0), Map.entry("dirtyBytes", 0L), Map.entry("dirtyExpireMs", 30_000L),
                Map.entry("writebackIntervalMs", 5_000L), Map.entry("errorPolicy", "linux"),
                Map.entry("retryLimit", 5), Map.entry("durability", "cached"), Map.entry("maxBioSegments", 256),
                Map.entry("queueDepth", 4), Map.entry("minChunkBytes", 4L << 20), Map.entry("commitIntervalMs", 5_000L));
        assertThat(defaults.toMap().keySet()).containsExactlyElementsOf(RuntimePolicy.KEYS);
    }

    @Test
    void appliesEveryKey() {
        Map<String, Object> changes = new LinkedHashMap<>();
        changes.put("dirtyBackgroundRatio", 5);
        changes.put("dirtyRatio", 12.5);
        changes.put("dirtyExpireMs", 1500);
        changes.put("writebackIntervalMs", 0);
        changes.put("errorPolicy", "sticky");
        changes.put("retryLimit", 0);
        changes.put("durability", "synced");
        changes.put("maxBioSegments", 16);
        changes.put("queueDepth", 32);
        changes.put("minChunkBytes", 8192);
        changes.put("commitIntervalMs", new BigDecimal("250"));

        RuntimePolicy changed = defaults.with(changes);

        WritebackPolicy w = changed.writeback();
        assertThat(w.dirtyBackgroundRatio()).isEqualTo(5);
        assertThat(w.dirtyRatio()).isEqualTo(12.5);
        assertThat(w.dirtyExpireInterval()).isEqualTo(Duration.ofMillis(1500));
        assertThat(w.writebackInterval()).isZero();
        assertThat(w.errorPolicy()).isEqualTo(ErrorPolicy.STICKY);
        assertThat(w.retryLimit()).isZero();
        assertThat(w.durability()).isEqualTo(Durability.SYNCED);
        assertThat(w.maxBioSegments()).isEqualTo(16);
        assertThat(changed.queueDepth()).isEqualTo(32);
        assertThat(w.minChunkBytes()).isEqualTo(8192);
        assertThat(w.commitInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(defaults.changedKeys(changed)).containsExactly("dirtyBackgroundRatio", "dirtyRatio",
                "dirtyExpireMs", "writebackIntervalMs", "errorPolicy", "retryLimit", "durability", "maxBioSegments",
                "queueDepth", "minChunkBytes", "commitIntervalMs");
    }

    @Test
    void aBytesThresholdZeroesItsRatioAndTheReverse() {
        RuntimePolicy bytes = defaults.with(Map.of("dirtyBytes", 1 << 20, "dirtyBackgroundBytes", 4096));

        assertThat(bytes.toMap()).containsEntry("dirtyBytes", 1L << 20).containsEntry("dirtyRatio", 0.0)
                .containsEntry("dirtyBackgroundBytes", 4096L).containsEntry("dirtyBackgroundRatio", 0.0);
        assertThat(bytes.with(Map.of("dirtyRatio", 30)).toMap()).containsEntry("dirtyBytes", 0L)
                .containsEntry("dirtyRatio", 30.0);
    }

    static Stream<Arguments> invalidChanges() {
        return Stream.of(
                Arguments.of("dirtyRatio", 101), Arguments.of("dirtyRatio", -1), Arguments.of("dirtyRatio", "20"),
                Arguments.of("dirtyRatio", 0), // with dirtyBytes 0: no hard threshold left
                Arguments.of("dirtyBackgroundRatio", Double.NaN), Arguments.of("dirtyBackgroundBytes", -4096),
                Arguments.of("dirtyBytes", 0), Arguments.of("dirtyBytes", 1.5), Arguments.of("dirtyBytes", true),
                Arguments.of("dirtyExpireMs", -1), Arguments.of("dirtyExpireMs", "30 s"),
                Arguments.of("writebackIntervalMs", 0.5), Arguments.of("errorPolicy", "panic"),
                Arguments.of("errorPolicy", 1), Arguments.of("retryLimit", -1), Arguments.of("retryLimit", 1L << 40),
                Arguments.of("durability", "forever"), Arguments.of("maxBioSegments", 0),
                Arguments.of("maxBioSegments", 257), Arguments.of("queueDepth", 0), Arguments.of("queueDepth", 1025),
                Arguments.of("minChunkBytes", 0), Arguments.of("minChunkBytes", 5000),
                Arguments.of("commitIntervalMs", 0), Arguments.of("noSuchKey", 1));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("invalidChanges")
    void anInvalidValueOrUnknownKeyIsRefusedNamingTheKey(String key, Object value) {
        Map<String, Object> changes = new LinkedHashMap<>();
        changes.put("retryLimit", 9); // valid, but the whole change is refused
        changes.put(key, value);

        assertThatThrownBy(() -> defaults.with(changes)).isInstanceOfSatisfying(SettingsException.class, e -> {
            assertThat(e.key()).isEqualTo(key);
            assertThat(e.getMessage()).startsWith(key + " = ");
        });
        assertThat(defaults.writeback().retryLimit()).isEqualTo(5);
    }
}
