package dev.writebackd.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigRenderOptions;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BiFunction;

/** Reads typed values by full key, turning every {@link ConfigException} into a {@link SettingsException}. */
final class SettingsReader {

    private final Config config;

    SettingsReader(Config config) {
        this.config = config;
    }

    int getInt(String key) {
        // Config.getInt would silently truncate 2.5 to 2
        if (read(key, "an integer", Config::getNumber) instanceof Integer value) {
            return value;
        }
        throw new SettingsException(key, rendered(key), "an integer");
    }

    double getDouble(String key) {
        return read(key, "a number", Config::getDouble);
    }

    long getBytes(String key) {
        return read(key, "a size of 0 or more bytes, such as 4096 or 4 MiB", Config::getBytes);
    }

    Duration getDuration(String key) {
        return read(key, "a duration such as 100 ms or 30 s", Config::getDuration);
    }

    boolean getBoolean(String key) {
        return read(key, "true or false", Config::getBoolean);
    }

    String getString(String key) {
        return read(key, "a string", Config::getString);
    }

    Path getPath(String key) {
        String path = getString(key);
        try {
            return Path.of(path);
        } catch (InvalidPathException e) {
            throw new SettingsException(key, Validation.render(path), "a valid file path", e);
        }
    }

    private <T> T read(String key, String expected, BiFunction<Config, String, T> getter) {
        try {
            return getter.apply(config, key);
        } catch (ConfigException e) {
            throw new SettingsException(key, rendered(key), expected, e);
        }
    }

    private String rendered(String key) {
        if (!config.hasPathOrNull(key)) {
            return "(missing)";
        }
        return config.getIsNull(key) ? "null" : config.getValue(key).render(ConfigRenderOptions.concise());
    }
}
