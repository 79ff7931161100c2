package dev.writebackd.block.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.error.Errno;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FaultRuleTest {
    @Test
    void onlyTheActionIsRequiredAndTheDefaultsApply() {
        FaultRule rule = FaultRule.fromJson(Map.of("action", "error"));

        assertThat(rule.op()).isEqualTo(FaultOp.ANY);
        assertThat(rule.errno()).isEqualTo(Errno.EIO);
        assertThat(rule.sectors()).isNull();
        assertThat(rule.file()).isNull();
        assertThat(rule.probability()).isEqualTo(1.0);
        assertThat(rule.every()).isEqualTo(1);
        assertThat(rule.after()).isZero();
        assertThat(rule.count()).isZero();
        assertThat(rule.seed()).isNull();
        assertThat(rule.toJson()).containsExactly(Map.entry("op", "any"), Map.entry("action", "error"),
                Map.entry("errno", "EIO"));
    }

    @Test
    void everyFieldIsReadAndWrittenBackUnderItsName() {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("op", "write");
        error.put("action", "error");
        error.put("errno", "ENOSPC");
        error.put("sectors", List.of(8L, 15L));
        error.put("file", "log");
        error.put("probability", 0.5);
        error.put("every", 3L);
        error.put("after", 2L);
        error.put("count", 4L);
        error.put("durationMs", 1000L);
        error.put("upMs", 100L);
        error.put("downMs", 50L);
        error.put("seed", -7L);
        Map<String, Object> delay = Map.of("op", "read", "action", "delay", "delayMs", 5L, "delayMaxMs", 9L);
        Map<String, Object> torn = Map.of("op", "write", "action", "torn", "errno", "EIO", "tornOutcome", "success");
        Map<String, Object> corrupt = Map.of("op", "write", "action", "corrupt", "corruptOffset", 10L,
                "corruptValue", 255L);
        Map<String, Object> badblock = Map.of("op", "any", "action", "badblock", "errno", "EIO",
                "badSectors", List.of(3L, 9L));

        for (Map<String, Object> json : List.of(error, delay, torn, corrupt, badblock)) {
            FaultRule rule = FaultRule.fromJson(json);
            assertThat(rule.toJson()).isEqualTo(json);
            assertThat(FaultRule.fromJson(rule.toJson())).isEqualTo(rule);
        }
        assertThat(FaultRule.fromJson(error).sectors()).isEqualTo(new FaultRule.SectorRange(8, 15));
    }

    @Test
    void numbersAreAcceptedHoweverTheParserTypedThemAndNamesInAnyCase() {
        FaultRule rule = FaultRule.fromJson(Map.of("action", "ERROR", "op", "Write", "errno", "erofs",
                "count", 3, "every", 2.0, "sectors", List.of(1, new java.math.BigInteger("2"))));

        assertThat(rule.action()).isEqualTo(FaultAction.ERROR);
        assertThat(rule.op()).isEqualTo(FaultOp.WRITE);
        assertThat(rule.errno()).isEqualTo(Errno.EROFS);
        assertThat(rule.count()).isEqualTo(3);
        assertThat(rule.every()).isEqualTo(2);
        assertThat(rule.sectors()).isEqualTo(new FaultRule.SectorRange(1, 2));
    }

    @Test
    void theIssuesErrnosAreAllAccepted() {
        for (String errno : List.of("EIO", "ENOSPC", "EROFS", "EDQUOT", "ENXIO", "ETIMEDOUT")) {
            assertThat(FaultRule.fromJson(Map.of("action", "error", "errno", errno)).errno().name()).isEqualTo(errno);
        }
    }

    @Test
    void withSeedKeepsEverythingElse() {
        FaultRule rule = FaultRule.fromJson(Map.of("action", "stall", "op", "flush", "count", 1L));

        FaultRule seeded = rule.withSeed(42);

        assertThat(seeded.seed()).isEqualTo(42L);
        assertThat(seeded.toJson()).containsEntry("seed", 42L).containsEntry("action", "stall")
                .containsEntry("op", "flush").containsEntry("count", 1L);
    }

    static Stream<Arguments> invalidRules() {
        return Stream.of(
                Arguments.of(Map.of("action", "error", "bogus", 1), "bogus"),
                Arguments.of(Map.of("op", "write"), "action"),
                Arguments.of(Map.of("action", "explode"), "action"),
                Arguments.of(Map.of("action", 3), "action"),
                Arguments.of(Map.of("action", "error", "op", "trim"), "op"),
                Arguments.of(Map.of("action", "torn", "op", "read"), "op"),
                Arguments.of(Map.of("action", "drop", "op", "read"), "op"),
                Arguments.of(Map.of("action", "corrupt", "op", "flush"), "op"),
                Arguments.of(Map.of("action", "drop", "errno", "EIO"), "errno"),
                Arguments.of(Map.of("action", "error", "errno", "EOOPS"), "errno"),
                Arguments.of(Map.of("action", "error", "errno", 5), "errno"),
                Arguments.of(Map.of("action", "error", "sectors", List.of(5)), "sectors"),
                Arguments.of(Map.of("action", "error", "sectors", List.of(9, 5)), "sectors"),
                Arguments.of(Map.of("action", "error", "sectors", List.of(-1, 5)), "sectors"),
                Arguments.of(Map.of("action", "error", "sectors", "0-5"), "sectors"),
                Arguments.of(Map.of("action", "error", "op", "flush", "sectors", List.of(0, 5)), "sectors"),
                Arguments.of(Map.of("action", "error", "file", ""), "file"),
                Arguments.of(Map.of("action", "error", "file", 7), "file"),
                Arguments.of(Map.of("action", "error", "probability", 1.5), "probability"),
                Arguments.of(Map.of("action", "error", "probability", "half"), "probability"),
                Arguments.of(Map.of("action", "error", "every", 0), "every"),
                Arguments.of(Map.of("action", "error", "every", 2.5), "every"),
                Arguments.of(Map.of("action", "error", "after", -1), "after"),
                Arguments.of(Map.of("action", "error", "count", "3"), "count"),
                Arguments.of(Map.of("action", "error", "durationMs", -5), "durationMs"),
                Arguments.of(Map.of("action", "error", "upMs", 100), "downMs"),
                Arguments.of(Map.of("action", "error", "downMs", -1), "downMs"),
                Arguments.of(Map.of("action", "delay"), "delayMs"),
                Arguments.of(Map.of("action", "delay", "delayMs", 10, "delayMaxMs", 5), "delayMaxMs"),
                Arguments.of(Map.of("action", "error", "delayMs", 10), "delayMs"),
                Arguments.of(Map.of("action", "torn", "tornOutcome", "maybe"), "tornOutcome"),
                Arguments.of(Map.of("action", "error", "tornOutcome", "error"), "tornOutcome"),
                Arguments.of(Map.of("action", "corrupt", "corruptValue", 256), "corruptValue"),
                Arguments.of(Map.of("action", "corrupt", "corruptOffset", -2), "corruptOffset"),
                Arguments.of(Map.of("action", "error", "corruptOffset", 2), "corruptOffset"),
                Arguments.of(Map.of("action", "badblock"), "badSectors"),
                Arguments.of(Map.of("action", "badblock", "badSectors", List.of()), "badSectors"),
                Arguments.of(Map.of("action", "badblock", "badSectors", List.of(4, -4)), "badSectors"),
                Arguments.of(Map.of("action", "error", "badSectors", List.of(4)), "badSectors"),
                Arguments.of(Map.of("action", "error", "seed", 1.5), "seed"),
                Arguments.of(withNull("count"), "count"));
    }

    private static Map<String, Object> withNull(String field) {
        Map<String, Object> json = new HashMap<>();
        json.put("action", "error");
        json.put(field, null);
        return json;
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("invalidRules")
    void anInvalidRuleIsRefusedNamingTheField(Map<String, Object> json, String field) {
        assertThatThrownBy(() -> FaultRule.fromJson(json))
                .isInstanceOfSatisfying(InvalidRuleException.class, e -> {
                    assertThat(e.field()).isEqualTo(field);
                    assertThat(e.getMessage()).startsWith(field + " = ").contains(" is invalid: allowed ");
                });
    }

    @Test
    void theConstructorChecksToo() {
        assertThatThrownBy(() -> new FaultRule(FaultOp.ANY, FaultAction.ERROR, null, null, null, 1, 1, 0, 0, 0, 0, 0,
                0, 0, null, -1, -1, List.of(), null))
                .isInstanceOfSatisfying(InvalidRuleException.class, e -> assertThat(e.field()).isEqualTo("errno"));
    }
}
