package dev.writebackd.daemon;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import dev.writebackd.actors.persist.PersistenceConfig;
import dev.writebackd.block.DeviceHeader;
import dev.writebackd.config.Settings;
import dev.writebackd.config.SettingsException;
import dev.writebackd.daemon.http.ApiSettings;
import dev.writebackd.daemon.http.HttpApi;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Everything the daemon needs to start, resolved from the command line and the configuration
 * without touching any file but the configuration file: a value that is invalid stops here, before
 * a directory or device image exists.
 *
 * <p>Precedence, highest first: flags, system properties ({@code -Dkey=value}), the file given with
 * {@code --config}, {@code application.conf}, the preset named by any of these, the
 * {@code reference.conf} defaults.
 *
 * @param dataDir the data directory: device image (unless {@code writebackd.device.path} is set)
 *     and journal
 * @param devicePath the device image file
 * @param httpHost the address the HTTP API binds
 * @param httpPort the port it binds; 0 picks a free one
 * @param settings the engine's settings, preset applied
 * @param engineOverrides the keys the daemon and the user set for the engine's actor system, to be
 *     layered with the data directory by {@code PersistenceConfig.prepare}
 * @param httpConfig the HTTP actor system's configuration, shutdown phases sized to the drain
 * @param drainTimeout how long a shutdown may spend writing back dirty data
 *     ({@code writebackd.engine.shutdown-timeout})
 * @param api the HTTP API's body limit and token ({@code writebackd.http}, {@code WRITEBACKD_TOKEN})
 */
public record DaemonConfig(Path dataDir, Path devicePath, String httpHost, int httpPort, Settings settings,
        Config engineOverrides, Config httpConfig, Duration drainTimeout, ApiSettings api) {

    static final String DATA_DIR = "writebackd.daemon.data-dir";
    static final String HTTP_HOST = "writebackd.daemon.http-host";
    static final String HTTP_PORT = "writebackd.daemon.http-port";
    static final String PRESET = "writebackd.preset";
    static final String DEVICE_SIZE = "writebackd.device.size";
    static final String DEVICE_PATH = "writebackd.device.path";
    static final String JOURNAL_URL = "writebackd.persistence.url";
    static final String DRAIN_TIMEOUT = "writebackd.engine.shutdown-timeout";
    /** The image file's name inside the data directory. */
    static final String DEVICE_IMAGE = "device.img";
    /** Time the shutdown phases allow beyond the drain itself: unbinding, closing the journal. */
    static final Duration SHUTDOWN_MARGIN = Duration.ofSeconds(15);

    public DaemonConfig {
        requireNonNull(dataDir, "dataDir");
        requireNonNull(devicePath, "devicePath");
        requireNonNull(httpHost, "httpHost");
        requireNonNull(settings, "settings");
        requireNonNull(engineOverrides, "engineOverrides");
        requireNonNull(httpConfig, "httpConfig");
        requireNonNull(drainTimeout, "drainTimeout");
        requireNonNull(api, "api");
    }

    /**
     * The command line's choices, each {@code null} when the flag was not given.
     *
     * @param dataDir {@code --data-dir}
     * @param httpHost {@code --http-host}
     * @param httpPort {@code --http-port}
     * @param configFile {@code --config}
     * @param preset {@code --preset}
     * @param deviceSize {@code --device-size}, in bytes
     */
    public record Flags(Path dataDir, String httpHost, Integer httpPort, Path configFile, String preset,
            Long deviceSize) {

        /** No flag given. */
        public static Flags none() {
            return new Flags(null, null, null, null, null, null);
        }

        /** The flags as configuration keys. */
        Config asConfig() {
            Map<String, Object> keys = new HashMap<>();
            if (dataDir != null) {
                keys.put(DATA_DIR, dataDir.toString());
            }
            if (httpHost != null) {
                keys.put(HTTP_HOST, httpHost);
            }
            if (httpPort != null) {
                keys.put(HTTP_PORT, httpPort);
            }
            if (preset != null) {
                keys.put(PRESET, preset);
            }
            if (deviceSize != null) {
                keys.put(DEVICE_SIZE, deviceSize);
            }
            return ConfigFactory.parseMap(keys, "command line");
        }
    }

    /** {@link #resolve(Flags, Map)} in this process's environment. */
    public static DaemonConfig resolve(Flags flags) {
        return resolve(flags, System.getenv());
    }

    /**
     * Resolves {@code flags} over the configuration.
     *
     * @param environment the environment variables; {@code WRITEBACKD_TOKEN} sets the API's token
     * @throws StartupException ({@link ExitCodes#USAGE}) naming the flag, file or key that is invalid,
     *     or when a non-loopback address is to be bound without a token
     */
    public static DaemonConfig resolve(Flags flags, Map<String, String> environment) {
        requireNonNull(flags, "flags");
        requireNonNull(environment, "environment");
        try {
            Config user = flags.asConfig()
                    .withFallback(ConfigFactory.defaultOverrides())
                    .withFallback(configFile(flags.configFile()))
                    .withFallback(ConfigFactory.defaultApplication());
            Config layered = Settings.layered(user);
            Settings settings = Settings.fromConfig(layered);
            Path dataDir = path(layered, DATA_DIR);
            Path devicePath = user.hasPath(DEVICE_PATH) ? settings.device().path() : dataDir.resolve(DEVICE_IMAGE);
            checkDeviceFits(settings, flags.deviceSize() != null);
            String host = layered.getString(HTTP_HOST);
            if (host.isBlank()) {
                throw new SettingsException(HTTP_HOST, "\"" + host + "\"", "a host name or address");
            }
            int port = port(layered);
            ApiSettings api = ApiSettings.fromConfig(layered, environment);
            HttpApi.requireTokenFor(host, api.token());
            Config engineOverrides = engineOverrides(user).withFallback(user);
            Config engineConfig = PersistenceConfig.forDataDir(dataDir, engineOverrides);
            Duration drain = engineConfig.getDuration(DRAIN_TIMEOUT);
            if (drain.isNegative() || drain.isZero()) {
                throw new SettingsException(DRAIN_TIMEOUT, drain.toString(), "a duration above 0");
            }
            Config httpConfig = httpOverrides(drain).withFallback(layered).resolve();
            PowerSettings.fromConfig(httpConfig, dataDir); // an invalid power-cut setting stops the start here
            FaultSettings.fromConfig(httpConfig); // an invalid rule stops the start here
            return new DaemonConfig(dataDir, devicePath, host, port, settings, engineOverrides, httpConfig, drain, api);
        } catch (SettingsException | IllegalArgumentException e) {
            throw StartupException.usage(e.getMessage(), e);
        } catch (ConfigException e) {
            throw StartupException.usage("invalid configuration: " + e.getMessage(), e);
        }
    }

    /** The power-cut layers of the device stack ({@code writebackd.faults.volatile-cache}, {@code write-log}). */
    public PowerSettings power() {
        return PowerSettings.fromConfig(httpConfig, dataDir);
    }

    /** The fault rules' run seed and start-up rules ({@code writebackd.faults}), checked by {@link #resolve}. */
    public FaultSettings faults() {
        return FaultSettings.fromConfig(httpConfig);
    }

    /** The address the HTTP API is configured to bind, for messages: {@code http://host:port}. */
    public String httpAddress() {
        return "http://" + hostForUri(httpHost) + ":" + httpPort;
    }

    /** {@code host} as it appears in a URI: an IPv6 literal in brackets. */
    static String hostForUri(String host) {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private static Config configFile(Path file) {
        if (file == null) {
            return ConfigFactory.empty();
        }
        if (!Files.isRegularFile(file)) {
            throw StartupException.usage("--config " + file + ": no such file");
        }
        if (!Files.isReadable(file)) {
            throw StartupException.usage("--config " + file + ": not readable");
        }
        return ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
    }

    private static Path path(Config config, String key) {
        String value = config.getString(key);
        try {
            if (value.isBlank()) {
                throw new InvalidPathException(value, "empty");
            }
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new SettingsException(key, "\"" + value + "\"", "a directory path", e);
        }
    }

    private static int port(Config config) {
        int port;
        try {
            port = config.getInt(HTTP_PORT);
        } catch (ConfigException.WrongType e) {
            throw new SettingsException(HTTP_PORT, config.getValue(HTTP_PORT).render(), "0 to 65535", e);
        }
        if (port < 0 || port > 65535) {
            throw new SettingsException(HTTP_PORT, Integer.toString(port), "0 to 65535 (0 picks a free port)");
        }
        return port;
    }

    /** Refuses a device too small for its header and metadata before any image is created. */
    private static void checkDeviceFits(Settings settings, boolean fromFlag) {
        long size = settings.device().sizeBytes();
        int blockSize = settings.device().blockSize();
        if (size / blockSize < DeviceHeader.MIN_DEVICE_BLOCKS) {
            String minimum = Sizes.format((long) DeviceHeader.MIN_DEVICE_BLOCKS * blockSize);
            throw StartupException.usage((fromFlag ? "--device-size " : DEVICE_SIZE + " = ") + Sizes.format(size)
                    + " is smaller than the device's header and metadata need: at least "
                    + DeviceHeader.MIN_DEVICE_BLOCKS + " blocks of " + blockSize + " bytes (" + minimum + ")");
        }
    }

    /**
     * The engine's actor system is stopped by the daemon's drain, never by its own JVM hook; its
     * embedded journal database stays open until the drain has committed (H2 would otherwise close
     * it from a JVM hook of its own as soon as SIGTERM arrives).
     */
    private static Config engineOverrides(Config user) {
        String overrides = "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off\n";
        if (!user.hasPath(JOURNAL_URL)) {
            overrides += JOURNAL_URL + " = \"jdbc:h2:file:\"${writebackd.persistence.data-dir}\"/\""
                    + "${writebackd.persistence.database-name}\";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE\"\n";
        }
        return ConfigFactory.parseString(overrides, ConfigParseOptions.defaults().setOriginDescription("daemon"));
    }

    /** The daemon's shutdown hook runs the HTTP system's coordinated shutdown; the drain phase gets its time. */
    private static Config httpOverrides(Duration drain) {
        return ConfigFactory.parseString("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off\n"
                + "pekko.coordinated-shutdown.phases.before-actor-system-terminate.timeout = "
                + drain.plus(SHUTDOWN_MARGIN).toMillis() + " ms\n",
                ConfigParseOptions.defaults().setOriginDescription("daemon"));
    }
}
