package dev.writebackd.daemon;

import dev.writebackd.daemon.bench.BenchCommand;
import dev.writebackd.daemon.crashcheck.CrashCheckCommand;
import dev.writebackd.daemon.ctl.CtlCommand;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code writebackd}: without a subcommand, runs the daemon until SIGTERM (or SIGINT), then drains
 * and exits with {@link ExitCodes#OK} or {@link ExitCodes#DRAIN_INCOMPLETE}.
 *
 * <p>Subcommands: {@code ctl} (talks to a running daemon), {@code bench} (the benchmark) and
 * {@code crashcheck} (power cuts under a seeded workload, checked).
 */
@Command(name = "writebackd", mixinStandardHelpOptions = true, versionProvider = Version.class,
        subcommands = {CtlCommand.class, BenchCommand.class, CrashCheckCommand.class},
        description = {"A user-space writeback daemon. Without a subcommand, runs the daemon until SIGTERM,",
            "then writes back every dirty page and exits.", ""},
        footer = {"", "Exit status: 0 stopped after writing back everything; 1 could not start (data directory,",
            "device, journal or port); 2 invalid flag or configuration; 3 stopped with data not written back."})
public final class WritebackdCommand implements Callable<Integer> {

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Data directory: device image device.img and journal (default ./data).")
    private Path dataDir;

    @Option(names = "--http-port", paramLabel = "N",
            description = "Port of the HTTP API; 0 picks a free one (default 7878).")
    private Integer httpPort;

    @Option(names = "--http-host", paramLabel = "HOST",
            description = "Address of the HTTP API (default 127.0.0.1).")
    private String httpHost;

    @Option(names = "--config", paramLabel = "FILE",
            description = "HOCON file over the defaults; keys as in the reference.conf files.")
    private Path configFile;

    @Option(names = "--preset", paramLabel = "NAME",
            description = "Preset: kernel-default, throughput, low-latency, durable, laptop, fault-lab.")
    private String preset;

    @Option(names = "--device-size", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Size of a new device image, such as 512m or 1g (default 4g).")
    private Long deviceSize;

    @Option(names = "--log-format", paramLabel = "FORMAT",
            description = "Log lines as text or json (default text, or $" + LogFormat.ENV + ").")
    private LogFormat logFormat;

    /** The flags as given, each {@code null} when absent. */
    DaemonConfig.Flags flags() {
        return new DaemonConfig.Flags(dataDir, httpHost, httpPort, configFile, preset, deviceSize);
    }

    @Override
    public Integer call() throws InterruptedException {
        LogFormat.choose(logFormat, System.getenv(LogFormat.ENV)).install();
        DaemonConfig config = DaemonConfig.resolve(flags());
        Daemon daemon = Daemon.start(config);
        long patience = config.drainTimeout().plus(DaemonConfig.SHUTDOWN_MARGIN.multipliedBy(2)).toMillis();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopAndHalt(daemon, patience), "writebackd-shutdown"));
        return daemon.whenStopped().toCompletableFuture().join();
    }

    /**
     * The JVM hook on SIGTERM or SIGINT: drains, then ends the process with the drain's exit status
     * (a JVM ending on a signal would otherwise report 143 or 130 whatever the drain did).
     */
    private static void stopAndHalt(Daemon daemon, long patienceMillis) {
        int code;
        try {
            code = daemon.stop().toCompletableFuture().get(patienceMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            org.slf4j.LoggerFactory.getLogger(WritebackdCommand.class)
                    .error("writebackd did not stop within {} ms; exiting anyway", patienceMillis);
            code = ExitCodes.DRAIN_INCOMPLETE;
        } catch (Exception e) {
            code = ExitCodes.DRAIN_INCOMPLETE;
        }
        Main.flushLogs();
        Runtime.getRuntime().halt(code);
    }
}
