package dev.writebackd.config;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import java.util.TreeSet;

/**
 * All settings of writebackd, read once from the {@code writebackd} section of a {@link Config}
 * and validated; {@code reference.conf} documents every key.
 *
 * <p>A named preset ({@code writebackd.preset}) is layered between the user's configuration and the
 * reference defaults: keys the user sets win over the preset, and the preset wins over
 * {@code reference.conf}. {@link #layered(Config)} builds that configuration; the {@code load}
 * methods build it and read it. Invalid or inconsistent values throw {@link SettingsException}.
 *
 * @param pageCache the page cache
 * @param device the block device
 * @param layout how file blocks are mapped to device blocks
 * @param writeback the writeback policy; its minimum chunk is a multiple of the page size
 * @param readahead readahead; its largest window is a multiple of the page size
 * @param preset the name of the applied preset, or {@code ""} for none
 */
public record Settings(
        PageCacheSettings pageCache,
        DeviceSettings device,
        Layout layout,
        WritebackPolicy writeback,
        ReadaheadSettings readahead,
        String preset) {

    static final String ROOT = "writebackd";
    static final String PRESET = "writebackd.preset";
    static final String PRESETS = "writebackd.presets";

    public Settings {
        requireNonNull(pageCache, "pageCache");
        requireNonNull(device, "device");
        requireNonNull(layout, "layout");
        requireNonNull(writeback, "writeback");
        requireNonNull(readahead, "readahead");
        requireNonNull(preset, "preset");
        int pageSize = pageCache.pageSize();
        Validation.positiveMultiple(WritebackPolicy.MIN_CHUNK, writeback.minChunkBytes(), "page size", pageSize);
        Validation.positiveMultiple(ReadaheadSettings.MAX_WINDOW, readahead.maxWindowBytes(), "page size", pageSize);
    }

    /** The reference defaults alone, with no application configuration and no preset. */
    public static Settings defaults() {
        return load(ConfigFactory.empty());
    }

    /**
     * The settings of this process: system properties over {@code application.conf} (or the file
     * named by {@code -Dconfig.file}) as the user's configuration, read with {@link #load(Config)}.
     * Not {@code ConfigFactory.load()}, which already merges {@code reference.conf} and so would hide
     * the preset.
     *
     * @throws SettingsException if a setting is invalid
     */
    public static Settings load() {
        return load(ConfigFactory.defaultOverrides().withFallback(ConfigFactory.defaultApplication()));
    }

    /**
     * The settings given by the user's configuration, a preset if it names one, and the reference
     * defaults, in that order of precedence.
     *
     * @param userConfig the user's own keys only, without {@code reference.conf} merged in
     * @throws SettingsException if a setting is invalid or the preset is unknown
     */
    public static Settings load(Config userConfig) {
        return fromConfig(layered(userConfig));
    }

    /**
     * Reads settings from a complete configuration, as {@link #layered(Config)} returns, without
     * applying any preset again.
     *
     * @throws SettingsException if a setting is missing or invalid
     */
    public static Settings fromConfig(Config config) {
        SettingsReader in = new SettingsReader(requireNonNull(config, "config").resolve());
        return new Settings(
                PageCacheSettings.read(in),
                DeviceSettings.read(in),
                Layout.parse(in.getString(Layout.KEY)),
                WritebackPolicy.read(in),
                ReadaheadSettings.read(in),
                in.getString(PRESET));
    }

    /**
     * The user's configuration over the preset it names (if any) over the reference defaults,
     * resolved; the configuration to give the rest of the system, such as the actor system.
     *
     * @param userConfig the user's own keys only, without {@code reference.conf} merged in
     * @throws SettingsException if the preset is unknown
     */
    public static Config layered(Config userConfig) {
        requireNonNull(userConfig, "userConfig");
        Config reference = ConfigFactory.defaultReference();
        Config merged = userConfig.withFallback(reference).resolve();
        String name = new SettingsReader(merged).getString(PRESET);
        if (name.isEmpty()) {
            return merged;
        }
        ConfigObject presets = merged.getObject(PRESETS);
        ConfigValue preset = presets.get(name);
        if (!(preset instanceof ConfigObject block)) {
            throw new SettingsException(PRESET, Validation.render(name),
                    "\"\" (none) or " + String.join(", ", new TreeSet<>(presets.keySet())));
        }
        return userConfig.withFallback(block.toConfig().atPath(ROOT)).withFallback(reference).resolve();
    }

    /**
     * These settings with another writeback policy, as changed at run time.
     *
     * @throws SettingsException if the policy's minimum chunk is not a multiple of the page size
     */
    public Settings withWriteback(WritebackPolicy policy) {
        return new Settings(pageCache, device, layout, policy, readahead, preset);
    }
}
