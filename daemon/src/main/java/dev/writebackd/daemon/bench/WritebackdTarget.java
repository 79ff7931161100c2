package dev.writebackd.daemon.bench;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.Engine;
import dev.writebackd.actors.Handle;
import dev.writebackd.actors.WriteResult;
import dev.writebackd.actors.persist.PersistenceConfig;
import dev.writebackd.block.FileDevice;
import dev.writebackd.config.Settings;
import dev.writebackd.config.WritebackPolicy;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

/**
 * writebackd through its embedded Java API: an {@link Engine} on a {@link FileDevice} (O_DIRECT
 * where the file system allows it) in the bench directory. File metadata is persisted in ordered
 * mode (H2 journal in the same directory) unless the options say otherwise, so an fsync is as
 * durable as the kernel's.
 *
 * <p>Each writing thread keeps up to {@link #WINDOW} writes in flight (the API is asynchronous;
 * the bytes are copied before {@code write} returns) and waits for them before an fsync or a read.
 */
public final class WritebackdTarget implements Target {
    /** Writes in flight per thread. */
    public static final int WINDOW = 64;
    private static final Duration WAIT = Duration.ofMinutes(10);
    /**
     * The library keys the engine's reference.conf changes. In the shaded writebackd.jar all
     * reference.conf files are merged and the libraries' own values come last, so they are set
     * again here (as the daemon's application.conf does) for the bench to run from the jar.
     */
    private static final Config ENGINE_KEYS = ConfigFactory.parseString("""
            pekko.persistence.journal.plugin = "jdbc-journal"
            pekko.persistence.snapshot-store.plugin = "jdbc-snapshot-store"
            pekko.persistence.typed.stash-capacity = 16384
            jdbc-journal.use-shared-db = "writebackd"
            jdbc-snapshot-store.use-shared-db = "writebackd"
            jdbc-read-journal.use-shared-db = "writebackd"
            pekko.loglevel = "WARNING"
            """);

    private final Path dir;
    private final Settings settings;
    private final long deviceBytes;
    private final boolean persist;
    private final ThreadLocal<ArrayDeque<CompletableFuture<WriteResult>>> inFlight =
            ThreadLocal.withInitial(ArrayDeque::new);
    /**
     * Whether the device file is filled with zeros when created (untimed), as a block device's
     * blocks all exist; {@code -Dwritebackd.bench.sparse-device=true} leaves it sparse, so the
     * engine's writes allocate the host file's blocks as they go.
     */
    static final boolean PREALLOCATE = !Boolean.getBoolean("writebackd.bench.sparse-device");
    /**
     * Whether writebackd's page memory for the workload is allocated and touched when the engine
     * starts (untimed; {@code page-cache.pretouch}), as in a daemon whose cache has grown before, the
     * way the kernel's page cache takes pages that are already mapped;
     * {@code -Dwritebackd.bench.cold-pool=true} makes the timed writes take fresh memory instead.
     */
    static final boolean PRETOUCH = !Boolean.getBoolean("writebackd.bench.cold-pool");
    private FileDevice fileDevice;
    private CountingDevice device;
    private Engine engine;
    private Handle[] handles = new Handle[0];

    /**
     * A target whose device file and journal live in {@code dir}.
     *
     * @param deviceBytes the device size, a multiple of 4 KiB
     */
    public WritebackdTarget(Path dir, Settings settings, long deviceBytes, boolean persist) {
        this.dir = requireNonNull(dir, "dir");
        this.settings = requireNonNull(settings, "settings");
        this.deviceBytes = deviceBytes;
        this.persist = persist;
    }

    /**
     * writebackd's settings for a bench: the kernel's thresholds in bytes, the kernel's expire and
     * writeback intervals (periodic writeback off for {@code ingest}), and a cache budget that holds
     * the hard threshold and the workload.
     */
    public static Settings settingsFor(KernelThresholds kernel, BenchOptions options) {
        long budget = Math.max(kernel.dirtyBytes(), 2 * options.sizeBytes()) + (64L << 20);
        budget = (budget + (1L << 20) - 1) & -(1L << 20);
        String queueDepth = System.getProperty("writebackd.bench.queue-depth"); // a profiling aid
        long pretouch = PRETOUCH ? Math.min(budget, options.sizeBytes() + (64L << 20)) : 0;
        Settings base = Settings.load(ConfigFactory.parseString("writebackd.page-cache.cache-budget = " + budget
                + "\nwritebackd.page-cache.pretouch = " + pretouch
                + (queueDepth == null ? "" : "\nwritebackd.device.queue-depth = " + Integer.parseInt(queueDepth))));
        WritebackPolicy policy = base.writeback()
                .withDirtyBackgroundBytes(Math.max(BenchOptions.PAGE, kernel.backgroundBytes()))
                .withDirtyBytes(Math.max(BenchOptions.PAGE, kernel.dirtyBytes()))
                .withDirtyExpireInterval(kernel.expire())
                .withWritebackInterval(options.workload() == Workload.INGEST ? Duration.ZERO : kernel.interval());
        return base.withWriteback(policy);
    }

    /** The device size a workload of {@code options} needs: its data, room to spare, and metadata. */
    public static long deviceBytesFor(BenchOptions options) {
        long bytes = options.sizeBytes() + options.sizeBytes() / 4 + (64L << 20)
                + (long) WorkloadPlan.LOG_PAGES * BenchOptions.PAGE;
        return (bytes + (1L << 20) - 1) & -(1L << 20);
    }

    @Override
    public long memoryTakenAhead() {
        return settings.pageCache().pretouchBytes();
    }

    @Override
    public String name() {
        return "writebackd";
    }

    @Override
    public List<String> describe() {
        WritebackPolicy w = settings.writeback();
        List<String> lines = new ArrayList<>();
        lines.add("writebackd: embedded Engine on a " + Units.bytes(deviceBytes) + " FileDevice ("
                + (fileDevice == null ? "?" : fileDevice.directIo() ? "O_DIRECT" : "buffered")
                + (PREALLOCATE ? ", preallocated with zeros before each run" : ", sparse") + "), "
                + settings.layout().configName() + " layout, metadata "
                + (persist ? "persisted (ordered mode, H2 journal)" : "in memory only"));
        lines.add("writebackd settings: cache-budget " + Units.bytes(settings.pageCache().cacheBudgetBytes())
                + ", pretouch " + Units.bytes(settings.pageCache().pretouchBytes())
                + (settings.pageCache().pretouchBytes() > 0 ? " (page memory touched at start, untimed)" : "")
                + ", dirty-background-bytes " + Units.bytes(w.dirtyBackgroundBytes()) + ", dirty-bytes "
                + Units.bytes(w.dirtyBytes()) + ", dirty-expire-interval " + w.dirtyExpireInterval().toSeconds()
                + " s, writeback-interval " + w.writebackInterval().toMillis() + " ms, queue-depth "
                + settings.device().queueDepth() + ", max-bio-segments " + w.maxBioSegments()
                + ", durability " + w.durability().name().toLowerCase(java.util.Locale.ROOT)
                + ", " + WINDOW + " writes in flight per thread");
        return lines;
    }

    @Override
    public void open(int files) throws IOException {
        Files.createDirectories(dir);
        fileDevice = FileDevice.open(dir.resolve("writebackd-device.img"), BenchOptions.PAGE, deviceBytes, true,
                PREALLOCATE);
        device = new CountingDevice(fileDevice);
        startEngine();
        handles = new Handle[files];
        for (int f = 0; f < files; f++) {
            handles[f] = await(engine.open(fileName(f), true));
        }
    }

    private void startEngine() throws IOException {
        Config config;
        if (persist) {
            try {
                config = PersistenceConfig.prepare(dir.resolve("writebackd-journal"), ENGINE_KEYS);
            } catch (SQLException e) {
                throw new IOException("the journal could not be prepared: " + e.getMessage(), e);
            }
        } else {
            config = ConfigFactory.parseString(
                    "pekko.persistence.journal.plugin = \"pekko.persistence.journal.inmem\"\n"
                    + "pekko.persistence.snapshot-store.plugin = \"pekko.persistence.snapshot-store.local\"\n"
                    + "pekko.persistence.snapshot-store.local.dir = \""
                    + dir.resolve("writebackd-snapshots").toAbsolutePath().toString().replace("\\", "/") + "\"")
                    .withFallback(ENGINE_KEYS).withFallback(ConfigFactory.load())
                    .withoutPath(PersistenceConfig.DATA_DIR); // reference.conf names one; without it, metadata stays in memory
        }
        engine = Engine.start(settings, device, config);
    }

    private static String fileName(int file) {
        return "bench-" + file;
    }

    @Override
    public void write(int file, long offset, ByteBuffer data) throws IOException {
        ArrayDeque<CompletableFuture<WriteResult>> window = inFlight.get();
        if (window.size() >= WINDOW) {
            check(window.poll(), BenchOptions.PAGE);
        }
        int length = data.remaining();
        CompletableFuture<WriteResult> written = engine.write(handles[file], offset, data).toCompletableFuture();
        window.add(length == BenchOptions.PAGE ? written : CompletableFuture.completedFuture(check(written, length)));
    }

    private static WriteResult check(CompletableFuture<WriteResult> written, int length) throws IOException {
        WriteResult result = await(written);
        if (result.bytesWritten() < length) {
            throw new IOException("writebackd took " + result.bytesWritten() + " of " + length
                    + " bytes: the cache ran out of pages");
        }
        return result;
    }

    /** Waits for this thread's writes in flight. */
    private void drain() throws IOException {
        ArrayDeque<CompletableFuture<WriteResult>> window = inFlight.get();
        while (!window.isEmpty()) {
            check(window.poll(), BenchOptions.PAGE);
        }
    }

    @Override
    public ByteBuffer read(int file, long offset, int length) throws IOException {
        drain();
        return await(engine.read(handles[file], offset, length));
    }

    @Override
    public void fsync(int file) throws IOException {
        drain();
        device.mark("fsync-start " + file);
        await(engine.fsync(handles[file]));
        device.mark("fsync-end " + file);
    }

    @Override
    public String makeCold() throws IOException {
        drain();
        if (!persist) {
            return "metadata in memory only: the cache cannot be emptied without losing the files, reads are warm";
        }
        int files = handles.length;
        await(engine.shutdown());
        startEngine();
        for (int f = 0; f < files; f++) {
            handles[f] = await(engine.open(fileName(f), false));
        }
        return "engine restarted on the same device and journal: its page cache is empty";
    }

    @Override
    public DeviceCounters counters() {
        return device == null ? DeviceCounters.ZERO : device.counters();
    }

    /** Pages the engine holds now, or -1 if it cannot say. */
    public long cachedPages() {
        Engine running = engine;
        if (running == null) {
            return -1;
        }
        try {
            return running.stats().toCompletableFuture().get().cachedPages();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (ExecutionException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (engine != null) {
                drain();
                await(engine.shutdown());
            }
        } finally {
            engine = null;
            if (device != null) {
                device.close();
            }
        }
    }

    /** Deletes the device file and the journal. */
    public void delete() throws IOException {
        Files.deleteIfExists(dir.resolve("writebackd-device.img"));
        for (String sub : List.of("writebackd-journal", "writebackd-snapshots")) {
            Path tree = dir.resolve(sub);
            if (Files.exists(tree)) {
                try (Stream<Path> paths = Files.walk(tree)) {
                    for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
        }
    }

    private static <T> T await(CompletionStage<T> stage) throws IOException {
        try {
            return stage.toCompletableFuture().get(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for writebackd");
        } catch (ExecutionException e) {
            throw new IOException("writebackd: " + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("writebackd did not answer within " + WAIT, e);
        }
    }
}
