package dev.writebackd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class WritebackPolicyTest {

    private static final long BUDGET = 1L << 30;
    private static final WritebackPolicy DEFAULTS = Settings.defaults().writeback();

    private static WritebackPolicy load(String hocon) {
        return Settings.load(ConfigFactory.parseString(hocon)).writeback();
    }

    @Test
    void ratiosApplyToTheBudgetWhileBytesAreZero() {
        assertThat(DEFAULTS.dirtyThresholdBytes(BUDGET)).isEqualTo(BUDGET / 5);
        assertThat(DEFAULTS.backgroundThresholdBytes(BUDGET)).isEqualTo(BUDGET / 10);
    }

    @Test
    void nonZeroBytesFromConfigWinAndZeroTheirRatio() {
        WritebackPolicy policy = load("""
                writebackd.writeback.dirty-bytes = 64 MiB
                writebackd.writeback.dirty-background-bytes = 16 MiB
                """);

        assertThat(policy.dirtyThresholdBytes(BUDGET)).isEqualTo(64L << 20);
        assertThat(policy.backgroundThresholdBytes(BUDGET)).isEqualTo(16L << 20);
        assertThat(policy.dirtyRatio()).isZero();
        assertThat(policy.dirtyBackgroundRatio()).isZero();
    }

    @Test
    void decimalRatiosGiveFractionsOfTheBudget() {
        assertThat(DEFAULTS.withDirtyRatio(12.5).dirtyThresholdBytes(1000)).isEqualTo(125);
    }

    @Test
    void withDirtyBytesZeroesTheRatio() {
        WritebackPolicy policy = DEFAULTS.withDirtyBytes(100 << 20);

        assertThat(policy.dirtyRatio()).isZero();
        assertThat(policy.dirtyBytes()).isEqualTo(100 << 20);
        assertThat(policy.dirtyThresholdBytes(BUDGET)).isEqualTo(100 << 20);
    }

    @Test
    void withDirtyRatioZeroesTheBytes() {
        WritebackPolicy policy = DEFAULTS.withDirtyBytes(100 << 20).withDirtyRatio(30);

        assertThat(policy.dirtyBytes()).isZero();
        assertThat(policy.dirtyRatio()).isEqualTo(30);
        assertThat(policy.dirtyThresholdBytes(1000)).isEqualTo(300);
    }

    @Test
    void withDirtyBackgroundBytesZeroesTheBackgroundRatio() {
        WritebackPolicy policy = DEFAULTS.withDirtyBackgroundBytes(8 << 20);

        assertThat(policy.dirtyBackgroundRatio()).isZero();
        assertThat(policy.backgroundThresholdBytes(BUDGET)).isEqualTo(8 << 20);
    }

    @Test
    void withDirtyBackgroundRatioZeroesTheBackgroundBytes() {
        WritebackPolicy policy = DEFAULTS.withDirtyBackgroundBytes(8 << 20).withDirtyBackgroundRatio(5);

        assertThat(policy.dirtyBackgroundBytes()).isZero();
        assertThat(policy.backgroundThresholdBytes(1000)).isEqualTo(50);
    }

    @Test
    void twinChangesLeaveTheOtherPairAlone() {
        WritebackPolicy policy = DEFAULTS.withDirtyBytes(1 << 20);

        assertThat(policy.dirtyBackgroundRatio()).isEqualTo(10);
        assertThat(policy.withDirtyBackgroundBytes(1 << 19).dirtyBytes()).isEqualTo(1 << 20);
    }

    @Test
    void backgroundMayBeZeroToStartWritebackAtOnce() {
        WritebackPolicy policy = DEFAULTS.withDirtyBackgroundRatio(0);

        assertThat(policy.backgroundThresholdBytes(BUDGET)).isZero();
    }

    @Test
    void backgroundThresholdIsNotCappedByTheDirtyThreshold() {
        WritebackPolicy policy = DEFAULTS.withDirtyBackgroundRatio(50);

        assertThat(policy.backgroundThresholdBytes(1000)).isEqualTo(500);
        assertThat(policy.dirtyThresholdBytes(1000)).isEqualTo(200);
    }

    @Test
    void writingDirtyBytesZeroIsRefused() {
        assertThatThrownBy(() -> DEFAULTS.withDirtyBytes(0))
                .isInstanceOf(SettingsException.class)
                .hasMessage("writebackd.writeback.dirty-bytes = 0 is invalid: allowed more than 0 bytes");
    }

    @Test
    void runTimeChangesAreValidated() {
        assertThatThrownBy(() -> DEFAULTS.withDirtyRatio(150))
                .hasMessageContaining("writebackd.writeback.dirty-ratio = 150");
        assertThatThrownBy(() -> DEFAULTS.withMaxBioSegments(0))
                .hasMessageContaining("writebackd.writeback.max-bio-segments = 0");
        assertThatThrownBy(() -> DEFAULTS.withRedirtyBackoffMax(Duration.ofMillis(50)))
                .hasMessageContaining("writebackd.writeback.redirty-backoff-max = 50 ms");
        assertThatThrownBy(() -> DEFAULTS.withCommitInterval(Duration.ZERO))
                .hasMessageContaining("writebackd.writeback.commit-interval = 0 s");
    }

    @Test
    void everyFieldCanBeChanged() {
        WritebackPolicy policy = DEFAULTS
                .withDirtyExpireInterval(Duration.ofSeconds(1))
                .withWritebackInterval(Duration.ZERO)
                .withMaxBioSegments(16)
                .withMinChunkBytes(8 << 20)
                .withCommitInterval(Duration.ofSeconds(2))
                .withErrorPolicy(ErrorPolicy.REDIRTY)
                .withRedirtyBackoffMax(Duration.ofSeconds(20))
                .withRedirtyBackoffInitial(Duration.ofSeconds(1))
                .withRetryLimit(0)
                .withDurability(Durability.JOURNALED);

        assertThat(policy).isEqualTo(new WritebackPolicy(10, 0, 20, 0, Duration.ofSeconds(1), Duration.ZERO,
                16, 8 << 20, Duration.ofSeconds(2), ErrorPolicy.REDIRTY, Duration.ofSeconds(1),
                Duration.ofSeconds(20), 0, Durability.JOURNALED));
    }
}
