package dev.writebackd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SettingsTest {

    private static Settings load(String hocon) {
        return Settings.load(ConfigFactory.parseString(hocon));
    }

    @Test
    void defaultsAreTheDocumentedValues() {
        Settings settings = Settings.defaults();

        assertThat(settings.pageCache()).isEqualTo(new PageCacheSettings(4096, 1L << 30));
        assertThat(settings.device())
                .isEqualTo(new DeviceSettings(Path.of("data/device.img"), 4L << 30, 4096, true, 4));
        assertThat(settings.layout()).isEqualTo(Layout.EXTENT);
        assertThat(settings.writeback()).isEqualTo(new WritebackPolicy(10, 0, 20, 0,
                Duration.ofSeconds(30), Duration.ofSeconds(5), 256, 4L << 20, Duration.ofSeconds(5),
                ErrorPolicy.LINUX, Duration.ofMillis(100), Duration.ofSeconds(10), 5, Durability.CACHED));
        assertThat(settings.readahead()).isEqualTo(new ReadaheadSettings(128 << 10));
        assertThat(settings.preset()).isEmpty();
    }

    @Test
    void loadWithoutApplicationConfigGivesTheDefaults() {
        assertThat(Settings.load()).isEqualTo(Settings.defaults());
    }

    @Test
    void kernelDefaultPresetMatchesTheReferenceDefaults() {
        Settings settings = load("writebackd.preset = kernel-default");

        assertThat(settings.preset()).isEqualTo("kernel-default");
        assertThat(settings.writeback()).isEqualTo(Settings.defaults().writeback());
        assertThat(settings.writeback().dirtyThresholdBytes(1000)).isEqualTo(200);
        assertThat(settings.writeback().backgroundThresholdBytes(1000)).isEqualTo(100);
    }

    @Test
    void throughputPresetDefersAndBatchesMore() {
        Settings settings = load("writebackd.preset = throughput");
        WritebackPolicy policy = settings.writeback();

        assertThat(policy.dirtyBackgroundRatio()).isEqualTo(20);
        assertThat(policy.dirtyRatio()).isEqualTo(40);
        assertThat(policy.dirtyExpireInterval()).isEqualTo(Duration.ofSeconds(60));
        assertThat(policy.minChunkBytes()).isEqualTo(16L << 20);
        assertThat(settings.device().queueDepth()).isEqualTo(32);
    }

    @Test
    void lowLatencyPresetKeepsLittleDirtyDataForShortTimes() {
        WritebackPolicy policy = load("writebackd.preset = low-latency").writeback();

        assertThat(policy.dirtyBackgroundRatio()).isEqualTo(2);
        assertThat(policy.dirtyRatio()).isEqualTo(5);
        assertThat(policy.dirtyExpireInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(policy.writebackInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(policy.minChunkBytes()).isEqualTo(1L << 20);
    }

    @Test
    void durablePresetSyncsCommitsOftenAndHoldsFailedPages() {
        WritebackPolicy policy = load("writebackd.preset = durable").writeback();

        assertThat(policy.durability()).isEqualTo(Durability.SYNCED);
        assertThat(policy.commitInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(policy.errorPolicy()).isEqualTo(ErrorPolicy.STICKY);
    }

    @Test
    void laptopPresetWritesRarelyLikeLaptopMode() {
        WritebackPolicy policy = load("writebackd.preset = laptop").writeback();

        assertThat(policy.writebackInterval()).isEqualTo(Duration.ofSeconds(60));
        assertThat(policy.dirtyExpireInterval()).isEqualTo(Duration.ofMinutes(10));
        assertThat(policy.dirtyRatio()).isEqualTo(60);
        assertThat(policy.dirtyBackgroundRatio()).isEqualTo(50);
    }

    @Test
    void explicitUserKeysWinOverThePreset() {
        Settings settings = load("""
                writebackd {
                  preset = durable
                  writeback.commit-interval = 3 s
                  writeback.error-policy = redirty
                }
                """);

        assertThat(settings.writeback().commitInterval()).isEqualTo(Duration.ofSeconds(3));
        assertThat(settings.writeback().errorPolicy()).isEqualTo(ErrorPolicy.REDIRTY);
        assertThat(settings.writeback().durability()).isEqualTo(Durability.SYNCED);
    }

    @Test
    void presetsMayBeDefinedByTheUser() {
        Settings settings = load("""
                writebackd {
                  preset = tiny
                  presets.tiny.page-cache.cache-budget = 64 MiB
                }
                """);

        assertThat(settings.pageCache().cacheBudgetBytes()).isEqualTo(64L << 20);
    }

    @Test
    void layeredConfigReadsBackToTheSameSettings() {
        var user = ConfigFactory.parseString("writebackd { preset = throughput, device.queue-depth = 8 }");

        Settings settings = Settings.fromConfig(Settings.layered(user));

        assertThat(settings).isEqualTo(Settings.load(user));
        assertThat(settings.device().queueDepth()).isEqualTo(8);
    }

    @Test
    void sizesAndDurationsAcceptHoconSyntax() {
        Settings settings = load("""
                writebackd.page-cache.cache-budget = 256 MiB
                writebackd.writeback.dirty-expire-interval = 2 m
                writebackd.writeback.dirty-ratio = 12.5
                """);

        assertThat(settings.pageCache().cacheBudgetBytes()).isEqualTo(256L << 20);
        assertThat(settings.writeback().dirtyExpireInterval()).isEqualTo(Duration.ofMinutes(2));
        assertThat(settings.writeback().dirtyRatio()).isEqualTo(12.5);
    }

    @Test
    void recordsBuiltInCodeAreValidatedLikeLoadedOnes() {
        assertThatThrownBy(() -> new DeviceSettings(Path.of("dev.img"), 4097, 4096, true, 4))
                .isInstanceOf(SettingsException.class)
                .hasMessage("writebackd.device.size = 4097 is invalid: "
                        + "allowed a positive multiple of the block size (4096 bytes)");
    }

    @Test
    void inodeIdleTimeoutIsReadAndANegativeOneRefused() {
        assertThat(load("writebackd.page-cache.inode-idle-timeout = 2 s").pageCache().inodeIdleTimeout())
                .isEqualTo(Duration.ofSeconds(2));
        assertThat(Settings.defaults().pageCache().inodeIdleTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(load("writebackd.page-cache.pretouch = 256 MiB").pageCache().pretouchBytes()).isEqualTo(256L << 20);
        assertThat(load("writebackd.device.preallocate = true").device().preallocate()).isTrue();
        assertThat(load("").device().preallocate()).isFalse();
        assertThat(load("").pageCache().pretouchBytes()).isZero();
        assertThatThrownBy(() -> load("writebackd.page-cache.inode-idle-timeout = -1 s"))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("writebackd.page-cache.inode-idle-timeout").hasMessageContaining("a duration of 0 or more");
    }

    @Test
    void aChangedPolicyIsCheckedAgainstThePageSize() {
        Settings settings = load("writebackd.page-cache.page-size = 16384");

        assertThatThrownBy(() -> settings.withWriteback(settings.writeback().withMinChunkBytes(20480)))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("writebackd.writeback.min-chunk = 20480")
                .hasMessageContaining("multiple of the page size (16384 bytes)");
        assertThat(settings.withWriteback(settings.writeback().withMinChunkBytes(32768)).writeback().minChunkBytes())
                .isEqualTo(32768);
    }

    @Test
    void enumsRoundTripThroughTheirConfigNames() {
        assertThat(Layout.parse("ext2")).isEqualTo(Layout.EXT2);
        assertThat(Layout.EXT2.configName()).isEqualTo("ext2");
        assertThat(ErrorPolicy.parse(ErrorPolicy.REDIRTY.configName())).isEqualTo(ErrorPolicy.REDIRTY);
        assertThat(Durability.parse(Durability.JOURNALED.configName())).isEqualTo(Durability.JOURNALED);
    }
}
