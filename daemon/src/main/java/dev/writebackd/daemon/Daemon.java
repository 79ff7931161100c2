package dev.writebackd.daemon;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import dev.writebackd.actors.Engine;
import dev.writebackd.actors.EngineFileResolver;
import dev.writebackd.actors.persist.PersistenceConfig;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.FileDevice;
import dev.writebackd.block.fault.FaultyDevice;
import dev.writebackd.block.fault.Seeds;
import dev.writebackd.block.fault.VolatileCacheDevice;
import dev.writebackd.block.fault.WriteLogDevice;
import dev.writebackd.daemon.http.HttpApi;
import dev.writebackd.daemon.metrics.EngineMetrics;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running daemon: one engine on a device image and a journal in the data directory, and the
 * HTTP API in an actor system of its own (so that a simulated power cut can replace the engine
 * under it).
 *
 * <p>Start-up binds the port first, so a port in use stops the start before any file is created;
 * then the data directory, the device image, the journal and the engine follow. Until the engine
 * is up, every request is answered 503. Once everything is up, one line is logged:
 * {@code writebackd ready on http://HOST:PORT}.
 *
 * <p>{@link #stop()} runs the HTTP system's {@link CoordinatedShutdown}: the port is unbound and
 * requests in flight finish, then, in phase {@code before-actor-system-terminate} (its timeout
 * sized to the drain), the engine writes back every dirty page within the drain timeout.
 */
public final class Daemon {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    /** The line logged once the daemon serves requests; tests and scripts wait for it. */
    public static final String READY = "writebackd ready on ";
    private static final Duration BIND_TIMEOUT = Duration.ofSeconds(30);
    /** How long requests in flight may take to finish once the port is unbound. */
    private static final Duration REQUESTS_DONE = Duration.ofSeconds(5);
    /** How long a fault rule scoped to a file waits for the engine to resolve the file's name. */
    private static final Duration FILE_LOOKUP = Duration.ofSeconds(5);

    private final DaemonConfig config;
    private final ActorSystem<Void> http;
    private final ServerBinding binding;
    private final AtomicReference<PowerCuts> powerCuts;
    private final AtomicReference<FaultyDevice> faults;
    private final CompletableFuture<Integer> exitCode = new CompletableFuture<>();
    /** The device stack's power-cut layers, when configured; set while the engine starts. */
    private VolatileCacheDevice volatileCache;
    private WriteLogDevice writeLog;

    private Daemon(DaemonConfig config, ActorSystem<Void> http, ServerBinding binding,
            AtomicReference<PowerCuts> powerCuts, AtomicReference<FaultyDevice> faults) {
        this.config = config;
        this.http = http;
        this.binding = binding;
        this.powerCuts = powerCuts;
        this.faults = faults;
    }

    /**
     * Starts the daemon and returns once it serves requests.
     *
     * @throws StartupException naming the cause when the port, the data directory, the device or
     *     the journal cannot be used, or the engine refuses to start; whatever had started is stopped
     */
    public static Daemon start(DaemonConfig config) {
        requireNonNull(config, "config");
        AtomicReference<Engine> engine = new AtomicReference<>();
        AtomicReference<PowerCuts> powerCuts = new AtomicReference<>();
        AtomicReference<FaultyDevice> faults = new AtomicReference<>();
        ActorSystem<Void> http = ActorSystem.create(Behaviors.empty(), "writebackd-http", config.httpConfig());
        try {
            EngineMetrics metrics = new EngineMetrics(engine::get);
            Route api = new HttpApi(engine::get, metrics::scrape, config.api(), faults::get, powerCuts::get).route();
            ServerBinding binding = bind(http, config, readyGate(engine::get, api));
            Daemon daemon = new Daemon(config, http, binding, powerCuts, faults);
            daemon.startEngine(engine);
            log.info("{}http://{}:{}", READY, DaemonConfig.hostForUri(config.httpHost()), daemon.port());
            return daemon;
        } catch (RuntimeException e) {
            http.terminate();
            awaitQuietly(http.getWhenTerminated());
            throw e;
        }
    }

    /** The port the HTTP API listens on: the configured one, or the one picked for port 0. */
    public int port() {
        return binding.localAddress().getPort();
    }

    /** The configuration this daemon runs with. */
    public DaemonConfig config() {
        return config;
    }

    /**
     * Stops the daemon, writing back every dirty page; a second call answers like the first.
     *
     * @return the exit status: {@link ExitCodes#OK} once everything is written back,
     *     {@link ExitCodes#DRAIN_INCOMPLETE} if the drain failed (the log names what is still dirty)
     */
    public CompletionStage<Integer> stop() {
        CoordinatedShutdown.get(http).run(CoordinatedShutdown.jvmExitReason());
        return whenStopped();
    }

    /** Completes with the exit status once the daemon has stopped, however the stop began. */
    public CompletionStage<Integer> whenStopped() {
        return http.getWhenTerminated().thenCompose(terminated -> exitCode);
    }

    private static ServerBinding bind(ActorSystem<Void> http, DaemonConfig config, Route route) {
        try {
            return Http.get(http).newServerAt(config.httpHost(), config.httpPort()).bind(route)
                    .toCompletableFuture().get(BIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw StartupException.failure("cannot listen on " + config.httpAddress() + ": "
                    + rootMessage(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            throw StartupException.failure("cannot listen on " + config.httpAddress() + ": no answer within "
                    + BIND_TIMEOUT.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StartupException.failure("interrupted while binding " + config.httpAddress(), e);
        }
    }

    /** Answers 503 until the engine is up, then hands every request to {@code api}. */
    private static Route readyGate(Supplier<Engine> engine, Route api) {
        Route starting = Directives.complete(StatusCodes.SERVICE_UNAVAILABLE, HttpEntities.create(
                ContentTypes.APPLICATION_JSON, "{\"errno\":\"ENXIO\",\"message\":\"writebackd is starting\"}"));
        return Directives.extractRequestContext(request -> engine.get() != null ? api : starting);
    }

    private void startEngine(AtomicReference<Engine> engine) {
        Path dataDir = config.dataDir();
        createDataDir(dataDir);
        FileDevice device = openDevice();
        BlockDevice stack = device;
        try {
            stack = withFaultRules(withWriteLog(withVolatileCache(stack)), engine);
            BlockDevice top = stack;
            engine.set(startEngineOn(top));
            FaultyDevice rules = faults.get();
            powerCuts.set(new PowerCuts(engine, volatileCache, writeLog, rules.runSeed(), rules::release,
                    () -> startEngineOn(top)));
            CoordinatedShutdown shutdown = CoordinatedShutdown.get(http);
            binding.addToCoordinatedShutdown(REQUESTS_DONE, http);
            shutdown.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "drain-engine",
                    () -> drain(engine, top));
        } catch (StartupException e) {
            stack.close();
            throw e;
        } catch (RuntimeException e) {
            stack.close();
            throw StartupException.failure("the engine did not start: " + rootMessage(e), e);
        }
    }

    /** An engine on {@code device} with the data directory's journal: at start, and after each power cut. */
    private Engine startEngineOn(BlockDevice device) {
        return Engine.start(config.settings(), device, prepareJournal(config.dataDir()));
    }

    /** {@code device} under a volatile write cache if {@code writebackd.faults.volatile-cache} is on. */
    private BlockDevice withVolatileCache(BlockDevice device) {
        if (!config.power().volatileCache()) {
            return device;
        }
        volatileCache = new VolatileCacheDevice(device);
        log.info("volatile write cache on: unflushed writes are lost by a power cut (POST /v1/faults/power-cut)");
        return volatileCache;
    }

    /** {@code device} under a write log if {@code writebackd.faults.write-log} names a file. */
    private BlockDevice withWriteLog(BlockDevice device) {
        Optional<Path> path = config.power().writeLog();
        if (path.isEmpty()) {
            return device;
        }
        try {
            writeLog = WriteLogDevice.start(device, path.get());
        } catch (IOException | RuntimeException e) {
            throw StartupException.failure("write log " + path.get() + " cannot be written: " + rootMessage(e), e);
        }
        log.info("write log: {} (replay with: writebackd ctl replay {} --to-flush N --out IMAGE)", path.get(),
                path.get());
        return writeLog;
    }

    /**
     * The fault rules' layer over {@code device}: the run seed (configured, or random) logged as
     * {@code run seed S}, the configured rules installed, file names resolved by the engine.
     */
    private BlockDevice withFaultRules(BlockDevice device, AtomicReference<Engine> engine) {
        FaultSettings settings = config.faults();
        long runSeed = settings.seed() != 0 ? settings.seed() : Seeds.randomRunSeed();
        log.info("run seed {}", runSeed);
        FaultyDevice layer = new FaultyDevice(device, runSeed, new EngineFileResolver(engine::get, FILE_LOOKUP));
        settings.rules().forEach(layer::add);
        if (!settings.rules().isEmpty()) {
            log.info("{} fault rule(s) from the configuration installed", settings.rules().size());
        }
        faults.set(layer);
        return layer;
    }

    /** The fault rules' layer, once the engine has started. */
    public java.util.Optional<FaultyDevice> faults() {
        return java.util.Optional.ofNullable(faults.get());
    }

    private static void createDataDir(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
        } catch (FileSystemException e) {
            throw StartupException.failure("data directory " + dataDir + " cannot be created: "
                    + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName()), e);
        } catch (IOException e) {
            throw StartupException.failure("data directory " + dataDir + " cannot be created: " + e.getMessage(), e);
        }
        if (!Files.isWritable(dataDir)) {
            throw StartupException.failure("data directory " + dataDir + " is not writable", null);
        }
    }

    private FileDevice openDevice() {
        Path path = config.devicePath();
        var device = config.settings().device();
        try {
            return FileDevice.open(path, device.blockSize(), device.sizeBytes(), device.directIo(), device.preallocate());
        } catch (IOException | RuntimeException e) {
            throw StartupException.failure("device " + path + " cannot be used: " + rootMessage(e), e);
        }
    }

    private Config prepareJournal(Path dataDir) {
        try {
            return PersistenceConfig.prepare(dataDir, config.engineOverrides());
        } catch (IOException | SQLException | RuntimeException e) {
            throw StartupException.failure("journal in " + dataDir + " cannot be opened: " + rootMessage(e), e);
        }
    }

    /** The shutdown task: writes back everything within the drain timeout and records the exit status. */
    private CompletionStage<Done> drain(AtomicReference<Engine> engine, BlockDevice device) {
        Duration timeout = config.drainTimeout();
        log.info("writebackd stopping: writing back dirty data (up to {} s)", timeout.toSeconds());
        PowerCuts cuts = powerCuts.get();
        if (cuts != null) {
            cuts.close();
        }
        Engine current = engine.get(); // the engine a power cut started, if any
        CompletionStage<Void> shutdown = current != null ? current.shutdown(timeout)
                : CompletableFuture.failedFuture(new IllegalStateException("no engine runs (a restart failed)"));
        return shutdown.handle((ok, failure) -> {
            faults().ifPresent(FaultyDevice::clear); // stalled bios go before the device closes
            device.close();
            if (failure == null) {
                log.info("writebackd stopped; everything was written back");
                exitCode.complete(ExitCodes.OK);
            } else {
                log.error("writebackd stopped without writing everything back: {}", rootMessage(failure));
                exitCode.complete(ExitCodes.DRAIN_INCOMPLETE);
            }
            return Done.getInstance();
        });
    }

    /**
     * The messages of {@code e} and its causes as one line, outermost first, leaving out wrappers
     * and messages that repeat what an outer one already says.
     */
    static String rootMessage(Throwable e) {
        StringBuilder line = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage();
            boolean wrapper = t instanceof CompletionException || t instanceof ExecutionException;
            if (message == null || message.isBlank() || wrapper && t.getCause() != null
                    || line.indexOf(message.strip()) >= 0) {
                continue;
            }
            line.append(line.length() == 0 ? "" : ": ").append(message.strip());
        }
        String text = line.length() == 0 ? e.getClass().getSimpleName() : line.toString();
        return text.replaceAll("\\s*\\R\\s*", " ");
    }

    private static void awaitQuietly(CompletionStage<?> stage) {
        try {
            stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("the HTTP actor system did not terminate: {}", e.toString());
        }
    }
}
