package dev.writebackd.daemon;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigRenderOptions;
import dev.writebackd.config.SettingsException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The power-cut layers of the device stack ({@code writebackd.faults.volatile-cache} and
 * {@code writebackd.faults.write-log}).
 *
 * @param volatileCache whether a volatile write cache sits on the device (needed for power cuts)
 * @param writeLog the write log's file, resolved against the data directory, or empty for none
 */
public record PowerSettings(boolean volatileCache, Optional<Path> writeLog) {
    static final String VOLATILE_CACHE = "writebackd.faults.volatile-cache";
    static final String WRITE_LOG = "writebackd.faults.write-log";

    /** Validates. */
    public PowerSettings {
        requireNonNull(writeLog, "writeLog");
    }

    /**
     * Reads the keys from {@code config} (absent keys mean off).
     *
     * @throws SettingsException naming the key whose value is invalid
     */
    static PowerSettings fromConfig(Config config, Path dataDir) {
        boolean cache = false;
        if (config.hasPath(VOLATILE_CACHE)) {
            try {
                cache = config.getBoolean(VOLATILE_CACHE);
            } catch (ConfigException.WrongType e) {
                throw new SettingsException(VOLATILE_CACHE, config.getValue(VOLATILE_CACHE).render(ConfigRenderOptions.concise()), "on or off", e);
            }
        }
        Optional<Path> log = Optional.empty();
        if (config.hasPath(WRITE_LOG)) {
            String value;
            try {
                value = config.getString(WRITE_LOG);
            } catch (ConfigException.WrongType e) {
                throw new SettingsException(WRITE_LOG, config.getValue(WRITE_LOG).render(ConfigRenderOptions.concise()),
                        "a file path (relative to the data directory), or \"\" for none", e);
            }
            if (!value.isBlank()) {
                try {
                    log = Optional.of(dataDir.resolve(value));
                } catch (InvalidPathException e) {
                    throw new SettingsException(WRITE_LOG, "\"" + value + "\"", "a file path", e);
                }
            }
        }
        return new PowerSettings(cache, log);
    }
}
