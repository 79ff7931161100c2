package dev.writebackd.actors;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import dev.writebackd.actors.engine.CommitActor;
import dev.writebackd.actors.engine.CompletionActor;
import dev.writebackd.actors.engine.EngineCounters;
import dev.writebackd.actors.engine.EngineGuardian;
import dev.writebackd.actors.engine.Flushing;
import dev.writebackd.actors.engine.InodeActor;
import dev.writebackd.actors.engine.MetadataCommitter;
import dev.writebackd.actors.engine.SharedLayout;
import dev.writebackd.actors.engine.WriteData;
import dev.writebackd.actors.engine.WriteQueue;
import dev.writebackd.actors.engine.WritebackCoordinator;
import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.actors.io.BioResult;
import dev.writebackd.actors.persist.Ext2Startup;
import dev.writebackd.actors.persist.FileNames;
import dev.writebackd.actors.persist.FileRecord;
import dev.writebackd.actors.persist.FileRecords;
import dev.writebackd.actors.persist.JournalDatabase;
import dev.writebackd.actors.persist.JournalSync;
import dev.writebackd.actors.persist.JournaledData;
import dev.writebackd.actors.persist.JournaledFiles;
import dev.writebackd.actors.persist.Namespace;
import dev.writebackd.actors.persist.PersistenceConfig;
import dev.writebackd.actors.persist.PersistenceSettings;
import dev.writebackd.actors.persist.PersistentCommitter;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.DeviceHeader;
import dev.writebackd.block.DeviceHeaderException;
import dev.writebackd.config.Durability;
import dev.writebackd.config.Layout;
import dev.writebackd.config.RuntimePolicy;
import dev.writebackd.config.SettingsException;
import dev.writebackd.config.Settings;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import dev.writebackd.layout.BlockAllocator;
import dev.writebackd.layout.BlockLayout;
import dev.writebackd.layout.ConsistencyProblem;
import dev.writebackd.layout.Ext2Commits;
import dev.writebackd.layout.Ext2Mapper;
import dev.writebackd.layout.Extent;
import dev.writebackd.layout.ExtentMapper;
import dev.writebackd.layout.MappingJournal;
import dev.writebackd.layout.MetadataCache;
import dev.writebackd.layout.StartupCheck;
import dev.writebackd.mpage.Errseq;
import dev.writebackd.mpage.WritebackReason;
import dev.writebackd.page.DirtyLedger;
import dev.writebackd.page.PagePool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * writebackd embedded: one block device, its page cache and its actors, behind a Java API in
 * which every call answers a {@link CompletionStage}.
 *
 * <pre>{@code
 * Engine engine = Engine.start(Settings.load(), device, PersistenceConfig.prepare(dataDir));
 * Handle log = engine.open("log", true).toCompletableFuture().join();
 * WriteResult written = engine.write(log, 0, ByteBuffer.wrap(bytes)).toCompletableFuture().join();
 * written.durable().thenRun(() -> System.out.println("on stable storage"));
 * engine.fsync(log).toCompletableFuture().join();
 * engine.shutdown().toCompletableFuture().join();
 * }</pre>
 *
 * <p>A write copies the caller's bytes once into page buffers before it returns its stage, so the
 * caller may reuse its buffer at once. Bad input — a negative offset, an offset plus length that
 * overflows, an unknown or closed handle, an invalid name, a write beyond the largest file —
 * fails the stage with an {@link ErrnoException} carrying the errno (EINVAL, EBADF, ESTALE,
 * ENAMETOOLONG, EFBIG) and changes nothing. The callbacks a caller chains on a stage run on the
 * engine's own callback pool, never on an actor's thread, so they may take their time; a caller
 * that waits for a stage ({@code join}, {@code get}) is woken directly, without a thread hop. An
 * answer that does not come within {@code writebackd.engine.ask-timeout} fails with ETIMEDOUT.
 *
 * <p>Errors follow Linux (E1–E6): each handle reports each write error once at fsync; sync never
 * fails; syncfs reports the device's errors per handle. What becomes of a page whose write failed
 * is the error policy's ({@code linux}, {@code redirty}, {@code sticky}).
 *
 * <p>File metadata: on a configuration with a data directory ({@code PersistenceConfig.prepare})
 * and the {@code extent} layout, each file's size, block map and frees are persisted in ordered
 * mode — a mapping is committed only after its data is written and the device flushed, by fsync,
 * sync, shutdown and otherwise at most {@code writebackd.writeback.commit-interval} after its
 * write completed, all changed files in one round; a write's durable future completes once its
 * mapping is committed — and restored, checked, at the next start on the same device (the data
 * directory records the device's id and refuses another device). A crash leaves every
 * fsync-acknowledged byte, and elsewhere old contents or holes, never another file's bytes. The
 * {@code ext2} layout with a data directory keeps its map blocks on the device, like ext2, and
 * persists each file's inode — size and pointers — at fsync, sync and shutdown, after the data,
 * the dirty map blocks and a device flush; the next start rebuilds the allocator from the map
 * blocks the committed inodes reach, and checks it. Like ext2 it promises only fsync'd data after
 * a crash: unsynced ranges may show stale blocks. Blocks freed by truncate or unlink are reused
 * only after the file's commit. A configuration without a data directory keeps file metadata in
 * memory only: a restart forgets file contents while the names persist.
 *
 * <p>Durability per write ({@link #write(Handle, long, ByteBuffer, Durability)}): {@code cached}
 * and {@code synced} everywhere; {@code journaled} with a data directory and the {@code extent}
 * layout. A journaled write's bytes are persisted as events of the file's
 * {@link JournaledData} before the write enters the page cache and is answered; from then on it is
 * dirty data like any other. What the journal acknowledged survives a killed process (H2 with
 * {@code WRITE_DELAY=0}); it is forced to disk for a power loss only by the next fsync, sync or
 * shutdown ({@link JournalSync}), not per write. At start-up, after the file records are restored,
 * each file's untrimmed journaled changes are replayed into its page cache as dirty data, in order,
 * before {@code start} returns. A journaled change is trimmed (deleted as a prefix) once its data
 * is written back, the device flushed and its mapping committed. So that replay never puts older
 * journaled bytes over newer data on the device, a {@code cached} or {@code synced} write — or a
 * truncate — that overlaps journaled data not yet trimmed is journaled too, behind it. The
 * {@code ext2} layout answers journaled writes with ENOTSUP: like ext2 it promises only fsync'd
 * data after a crash, and its commits are not ordered against the data, so a replayed write could
 * not be trimmed against a committed mapping.
 *
 * <p>Thread-safe.
 */
public final class Engine {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);
    private static final String ASK_TIMEOUT = "writebackd.engine.ask-timeout";
    private static final String SHUTDOWN_TIMEOUT = "writebackd.engine.shutdown-timeout";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration REPORT_TIMEOUT = Duration.ofSeconds(5);
    /** How long a shutdown that wrote everything back waits for the journaled data to be trimmed. */
    private static final Duration TRIM_WAIT = Duration.ofSeconds(5);
    /** Stands for the state of a file whose actor stopped while its state was asked for. */
    private static final InodeActor.FileState STOPPED = new InodeActor.FileState(-1, 0, 0, 0, 0, 0, 0, 0, List.of());
    /** Runs a completion on the thread that completes the stage: for the engine's own short continuations. */
    private static final Executor SAME_THREAD = Runnable::run;
    private static final String DEVICE_ID_FILE = "device-id";
    /** How long a halt waits for the actor system to stop, and then for bios inside the device. */
    private static final int HALT_IO_WAIT_SECONDS = 10;
    /** The handle the start-up replay writes through; the handles of callers count from 1. */
    private static final long REPLAY_HANDLE = 0;

    private final ActorSystem<EngineGuardian.Command> system;
    private final EngineGuardian.Parts parts;
    private final Settings settings;
    private final PagePool pool;
    private final DirtyLedger ledger;
    private final Errseq deviceErrseq;
    private final MetadataCommitter committer;
    private final SharedLayout layout;
    private final EngineCounters counters;
    private final String deviceId;
    private final long maxFileBytes;
    private final Duration askTimeout;
    private final Duration shutdownTimeout;
    private final JournaledWrites journaled;
    /** Runs the callers' dependent actions on the stages the engine answers with ({@link CallbackStage}). */
    private final Executor callbacks;
    private final Map<Long, Handle> handles = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong();
    private final AtomicReference<CompletableFuture<Void>> shutdown = new AtomicReference<>();
    private final Object policyLock = new Object();
    private final HaltFence fence;
    /** The answers handed to callers and not yet complete: a halt fails them; a write's also after the ask timeout. */
    private final PendingCalls calls = new PendingCalls();
    /** The writes' durable futures not yet complete: a halt fails them. */
    private final PendingCalls durables = new PendingCalls();
    private final AtomicBoolean halting = new AtomicBoolean();
    private volatile RuntimePolicy policy;
    private volatile boolean stopped;
    private volatile boolean halted;

    private Engine(ActorSystem<EngineGuardian.Command> system, EngineGuardian.Parts parts, Settings settings,
            PagePool pool, DirtyLedger ledger, Errseq deviceErrseq, MetadataCommitter committer, SharedLayout layout,
            EngineCounters counters, String deviceId, JournaledWrites journaled, HaltFence fence, Executor callbacks) {
        this.system = system;
        this.fence = fence;
        this.callbacks = callbacks;
        this.parts = parts;
        this.settings = settings;
        this.pool = pool;
        this.ledger = ledger;
        this.deviceErrseq = deviceErrseq;
        this.committer = committer;
        this.layout = layout;
        this.counters = counters;
        this.deviceId = deviceId;
        this.journaled = journaled;
        this.maxFileBytes = layout.maxFileBytes();
        this.policy = RuntimePolicy.of(settings);
        Config config = system.settings().config();
        this.askTimeout = config.getDuration(ASK_TIMEOUT);
        this.shutdownTimeout = config.getDuration(SHUTDOWN_TIMEOUT);
        Duration sweep = sweepInterval(askTimeout);
        system.scheduler().scheduleAtFixedRate(sweep, sweep, this::sweepCalls, system.executionContext());
    }

    /** How often the writes' answers are checked against the ask timeout: an eighth of it, within 10 ms–60 s. */
    static Duration sweepInterval(Duration askTimeout) {
        long millis = Math.max(10, Math.min(60_000, askTimeout.toMillis() / 8));
        return Duration.ofMillis(millis);
    }

    /** Fails the writes' answers past the ask timeout with ETIMEDOUT and forgets the completed futures. */
    private void sweepCalls() {
        long now = System.nanoTime();
        calls.sweep(now, () -> new ErrnoException(Errno.ETIMEDOUT, "the engine did not answer the write within "
                + askTimeout));
        durables.sweep(now, null);
    }

    /**
     * Starts an engine on {@code device}. With a data directory in {@code config}, file metadata is
     * persisted — in ordered mode for the {@code extent} layout, as inodes over on-device map blocks
     * for {@code ext2} — and restored from the journal and checked here; for {@code extent}, the
     * journaled writes not yet trimmed are replayed into the page cache as dirty data; all before
     * the engine is returned. Without a data directory metadata is kept in memory.
     *
     * @param settings page cache, layout, writeback policy and readahead (the device's geometry is
     *     the device's own)
     * @param device the block device; formatted with a header if blank, else checked against the
     *     layout
     * @param config the actor system's configuration: {@code PersistenceConfig.prepare(dataDir)}, or
     *     a test journal's configuration
     * @throws ErrnoException if the device holds another layout or a damaged header, or (EINVAL)
     *     the data directory's journal belongs to another device
     * @throws IllegalStateException naming every problem when the restored file records disagree
     *     (a block mapped twice, say), for {@code ext2} also with the map blocks they reach: the
     *     engine refuses to start
     */
    public static Engine start(Settings settings, BlockDevice device, Config config) {
        requireNonNull(config, "config");
        requireNonNull(settings, "settings");
        if (config.hasPath(PersistenceConfig.DATA_DIR)) {
            return launch(settings, device, config, null);
        }
        return launch(settings, device, config, MetadataCommitter::inMemory);
    }

    /**
     * Starts an engine whose fsync commits metadata through the committer {@code committer}
     * makes for the device's layout.
     */
    public static Engine start(Settings settings, BlockDevice device, Config config,
            Function<SharedLayout, MetadataCommitter> committer) {
        requireNonNull(committer, "committer");
        return launch(settings, device, config, committer);
    }

    /**
     * Starts an engine; {@code committer} is {@code null} for persistent metadata, whose file
     * records are restored from the journal and checked before the engine answers.
     */
    private static Engine launch(Settings settings, BlockDevice given, Config config,
            Function<SharedLayout, MetadataCommitter> committer) {
        requireNonNull(settings, "settings");
        requireNonNull(given, "device");
        requireNonNull(config, "config");
        HaltFence device = new HaltFence(given);
        boolean persistent = committer == null;
        int pageSize = settings.pageCache().pageSize();
        int blockSize = device.blockSize();
        if (pageSize % blockSize != 0) {
            throw new IllegalArgumentException("block size " + blockSize + " does not divide page size " + pageSize);
        }
        String layoutName = settings.layout().configName();
        DeviceHeader header = header(device, layoutName);
        if (persistent) {
            pairWithDataDir(header, Path.of(config.getString(PersistenceConfig.DATA_DIR)));
        }
        MetadataCache metadataCache = settings.layout() == Layout.EXT2 ? new MetadataCache(blockSize) : null;
        BlockLayout blockLayout = BlockLayout.create(layoutName, new BlockAllocator(device.sizeBytes() / blockSize),
                blockSize, metadataCache);
        boolean ext2 = settings.layout() == Layout.EXT2;
        MappingJournal journal = persistent && !ext2 ? new MappingJournal(blockLayout) : null;
        SharedLayout layout = !persistent ? new SharedLayout(blockLayout)
                : ext2 ? new SharedLayout(blockLayout, new Ext2Commits((Ext2Mapper) blockLayout))
                : new SharedLayout(blockLayout, journal);
        PagePool pool = new PagePool(pageSize, settings.pageCache().cacheBudgetBytes());
        pretouch(pool, settings.pageCache().pretouchBytes());
        pool.growAheadOn(CallbackExecutor.poolGrower());
        DirtyLedger ledger = new DirtyLedger();
        Errseq deviceErrseq = new Errseq();
        AtomicReference<MetadataCommitter> persisted = new AtomicReference<>();
        MetadataCommitter commits = persistent ? inode -> {
            MetadataCommitter records = persisted.get();
            return records != null ? records.commit(inode) : CompletableFuture.failedFuture(
                    new ErrnoException(Errno.EIO, "the file records are not restored yet"));
        } : committer.apply(layout);
        int readaheadPages = (int) Math.max(1, settings.readahead().maxWindowBytes() / pageSize);
        String deviceId = header.id().toString();
        EngineCounters counters = new EngineCounters();
        EngineGuardian.Setup setup = new EngineGuardian.Setup(device, deviceId,
                settings.device().queueDepth(), settings.writeback(), settings.pageCache(), pool, ledger, layout, metadataCache,
                deviceErrseq, commits, readaheadPages, counters);
        ActorSystem<EngineGuardian.Command> system = ActorSystem.create(EngineGuardian.create(setup), "writebackd",
                config.withFallback(BioDispatcher.config()));
        EngineGuardian.Parts parts;
        JournaledWrites journaled = null;
        Executor callbacks = CallbackExecutor.create();
        try {
            parts = AskPattern.<EngineGuardian.Command, EngineGuardian.Parts>ask(system, EngineGuardian.GetParts::new,
                    START_TIMEOUT, system.scheduler()).toCompletableFuture().join();
            // one round trip: the coordinator has set up and published the dirty thresholds before start returns
            AskPattern.<Flushing.CoordinatorCommand, WritebackCoordinator.Stats>ask(parts.coordinator(),
                    WritebackCoordinator.GetStats::new, START_TIMEOUT, system.scheduler()).toCompletableFuture().join();
            if (persistent && ext2) {
                Duration askTimeout = system.settings().config().getDuration(ASK_TIMEOUT);
                persisted.set(Ext2Startup.restore(system, parts.namespace(), parts.bios(), deviceId, device,
                        (Ext2Mapper) blockLayout, layout, askTimeout, START_TIMEOUT));
            } else if (persistent) {
                persisted.set(restore(system, parts, deviceId, (ExtentMapper) blockLayout, journal, layout, counters)::commit);
                journaled = replayJournaled(system, parts, deviceId, commits, pool, callbacks);
            }
        } catch (CompletionException e) {
            system.terminate();
            throw new IllegalStateException("the engine did not start", e.getCause());
        } catch (RuntimeException e) {
            system.terminate();
            throw e;
        }
        log.info("Engine started on a {}-byte device, {} layout, id {}{}", device.sizeBytes(), layoutName, header.id(),
                persistent ? ", file metadata persisted" : "");
        return new Engine(system, parts, settings, pool, ledger, deviceErrseq, commits, layout, counters, deviceId,
                journaled, device, callbacks);
    }

    /**
     * The start-up restore of the persistent {@code extent} layout: every named file's committed
     * record rebuilt into the fresh {@code mapper} and checked ({@link StartupCheck}), each file's
     * committed size restored.
     *
     * @return the committer of the records
     * @throws IllegalStateException naming every problem when the records disagree (blocks mapped twice, say)
     */
    private static PersistentCommitter restore(ActorSystem<EngineGuardian.Command> system, EngineGuardian.Parts parts,
            String deviceId, ExtentMapper mapper, MappingJournal journal, SharedLayout layout, EngineCounters counters) {
        Config config = system.settings().config();
        Duration askTimeout = config.getDuration(ASK_TIMEOUT);
        ActorRef<FileRecords.Command> records = system.systemActorOf(
                FileRecords.create(deviceId, PersistenceSettings.fromConfig(config)), "file-records", Props.empty());
        Namespace.Listing listing = AskPattern.<Namespace.Command, Namespace.Listing>ask(parts.namespace(),
                Namespace.List::new, START_TIMEOUT, system.scheduler()).toCompletableFuture().join();
        Set<Long> inodes = new TreeSet<>(listing.entries().values());
        Map<Long, FileRecord.State> states = FileRecords.readAll(records, inodes, START_TIMEOUT, system.scheduler())
                .toCompletableFuture().join();
        Map<Long, List<Extent>> committed = new TreeMap<>();
        states.forEach((inode, state) -> {
            if (!state.deleted()) {
                committed.put(inode, state.extents());
            }
        });
        List<ConsistencyProblem> problems = StartupCheck.rebuild(mapper, committed);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the file records of device " + deviceId + " disagree, refusing to start: "
                    + problems);
        }
        states.forEach((inode, state) -> {
            if (!state.deleted()) {
                layout.restored(inode, state.size());
            }
        });
        log.info("Restored {} files of device {}", committed.size(), deviceId);
        return new PersistentCommitter(journal, records, new JournalSync(JournalDatabase.fromConfig(config)),
                system.dispatchers().lookup(DispatcherSelector.blocking()), system.scheduler(), askTimeout,
                counters::journalEventsPersisted);
    }

    /**
     * The start-up replay of {@code journaled} data, after the file records are restored: each named
     * file's untrimmed journaled changes are written into its page cache as dirty data, in order,
     * through a handle of its own, before the engine answers.
     *
     * @return the journaled writes of the engine
     */
    private static JournaledWrites replayJournaled(ActorSystem<EngineGuardian.Command> system,
            EngineGuardian.Parts parts, String deviceId, MetadataCommitter committer, PagePool pool, Executor callbacks) {
        Config config = system.settings().config();
        ActorRef<JournaledFiles.Command> entities = system.systemActorOf(
                JournaledFiles.create(deviceId, PersistenceSettings.fromConfig(config)), "journaled-data", Props.empty());
        JournaledWrites journaled = new JournaledWrites(entities, committer, pool, system.scheduler(),
                config.getDuration(ASK_TIMEOUT), callbacks);
        Namespace.Listing listing = AskPattern.<Namespace.Command, Namespace.Listing>ask(parts.namespace(),
                Namespace.List::new, START_TIMEOUT, system.scheduler()).toCompletableFuture().join();
        int changes = 0;
        for (long inode : new TreeSet<>(listing.entries().values())) {
            JournaledData.State state = journaled.untrimmed(inode, START_TIMEOUT).toCompletableFuture().join();
            if (state.entries().isEmpty()) {
                continue;
            }
            ActorRef<InodeActor.Command> file = AskPattern.<EngineGuardian.Command, ActorRef<InodeActor.Command>>ask(
                    system, replyTo -> new EngineGuardian.GetInode(inode, replyTo), START_TIMEOUT, system.scheduler())
                    .toCompletableFuture().join();
            AskPattern.<InodeActor.Command, Done>askWithStatus(file,
                    replyTo -> new InodeActor.OpenHandle(REPLAY_HANDLE, replyTo), START_TIMEOUT, system.scheduler())
                    .thenCompose(open -> journaled.replay(inode, file, REPLAY_HANDLE, state))
                    .thenCompose(replayed -> AskPattern.<InodeActor.Command, Done>askWithStatus(file,
                            replyTo -> new InodeActor.CloseHandle(REPLAY_HANDLE, replyTo), START_TIMEOUT,
                            system.scheduler()))
                    .toCompletableFuture().join();
            changes += state.entries().size();
        }
        if (changes > 0) {
            log.info("Replayed {} journaled changes of device {} into the page cache", changes, deviceId);
        }
        return journaled;
    }

    /**
     * Pairs the journal in {@code dataDir} with the device: the first start records the device's
     * id there; later starts refuse a device with another id, so a journal is never applied to the
     * wrong device.
     */
    private static void pairWithDataDir(DeviceHeader header, Path dataDir) {
        Path idFile = dataDir.resolve(DEVICE_ID_FILE);
        try {
            if (Files.exists(idFile)) {
                String recorded = Files.readString(idFile, StandardCharsets.UTF_8).strip();
                if (!recorded.equals(header.id().toString())) {
                    throw new ErrnoException(Errno.EINVAL, "the journal in " + dataDir + " belongs to device " + recorded
                            + ", not to device " + header.id());
                }
                return;
            }
            Files.createDirectories(dataDir);
            Path temporary = dataDir.resolve(DEVICE_ID_FILE + ".new");
            Files.writeString(temporary, header.id() + "\n", StandardCharsets.UTF_8);
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(temporary, idFile, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot pair the journal in " + dataDir + " with device " + header.id(), e);
        }
    }

    private static DeviceHeader header(BlockDevice device, String layout) {
        try {
            return DeviceHeader.read(device).expectLayout(layout);
        } catch (DeviceHeaderException e) {
            if (e.kind() != DeviceHeaderException.Kind.BLANK) {
                throw e;
            }
            DeviceHeader fresh = DeviceHeader.create(device, layout);
            fresh.write(device);
            return fresh;
        }
    }

    // ---- files and handles -----------------------------------------------------------------------

    /**
     * Opens file {@code name}; with {@code create}, creates it if it does not exist.
     *
     * @return the handle; fails with ENOENT if the file does not exist and {@code create} is false,
     *     EINVAL or ENAMETOOLONG for an invalid name
     */
    public CompletionStage<Handle> open(String name, boolean create) {
        ErrnoException invalid = refusedWhileShuttingDown("open");
        if (invalid == null) {
            invalid = FileNames.problem(name).orElse(null);
        }
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        CompletionStage<Long> inode = create
                ? this.<Namespace.Command, Namespace.Created>askWithStatus(parts.namespace(),
                        replyTo -> new Namespace.Create(name, replyTo)).thenApply(Namespace.Created::inode)
                : this.<Namespace.Command, Namespace.Entry>askWithStatus(parts.namespace(),
                        replyTo -> new Namespace.Lookup(name, replyTo)).thenApply(Namespace.Entry::inode);
        return deliver(inode.thenCompose(number -> this.<EngineGuardian.Command, ActorRef<InodeActor.Command>>ask(system,
                        replyTo -> new EngineGuardian.GetInode(number, replyTo))
                .thenCompose(file -> {
                    Handle handle = new Handle(this, nextHandle.incrementAndGet(), name, number, file);
                    return this.<InodeActor.Command, Done>askWithStatus(file,
                                    replyTo -> new InodeActor.OpenHandle(handle.id(), replyTo))
                            .thenApply(done -> {
                                handles.put(handle.id(), handle);
                                return handle;
                            });
                })));
    }

    /** The largest file the device's layout can map, in bytes: a write or truncate beyond it fails with EFBIG. */
    public long maxFileBytes() {
        return maxFileBytes;
    }

    /**
     * The open handle numbered {@code id} (see {@link Handle#id()}), for callers that name handles
     * by number, such as the HTTP API; empty if no such handle is open.
     */
    public java.util.Optional<Handle> handle(long id) {
        return stopped ? java.util.Optional.empty() : java.util.Optional.ofNullable(handles.get(id));
    }

    /**
     * Every file by name, in name order, with its inode and its size now (cached writes included).
     *
     * @return the files; ESHUTDOWN once the engine has stopped
     */
    public CompletionStage<List<FileInfo>> files() {
        if (stopped) {
            return CompletableFuture.failedFuture(shutDown());
        }
        return deliver(this.<Namespace.Command, Namespace.Listing>ask(parts.namespace(), Namespace.List::new)
                .thenApply(listing -> listing.entries().entrySet().stream()
                        .map(entry -> new FileInfo(entry.getKey(), entry.getValue(), layout.size(entry.getValue())))
                        .toList()));
    }

    /**
     * The inode file {@code name} names now, or empty if there is no such file or the name is not
     * valid: for callers outside the engine that scope something to a file by name, such as fault
     * rules ({@code FileResolver}).
     *
     * @return the inode; ESHUTDOWN once the engine has stopped
     */
    public CompletionStage<java.util.OptionalLong> inodeOf(String name) {
        requireNonNull(name, "name");
        if (stopped) {
            return CompletableFuture.failedFuture(shutDown());
        }
        if (FileNames.problem(name).isPresent()) {
            return CompletableFuture.completedFuture(java.util.OptionalLong.empty());
        }
        CompletionStage<java.util.OptionalLong> inode = this.<Namespace.Command, Namespace.Entry>askWithStatus(
                parts.namespace(), replyTo -> new Namespace.Lookup(name, replyTo))
                .handle((entry, failure) -> {
                    if (failure == null) {
                        return java.util.OptionalLong.of(entry.inode());
                    }
                    Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure;
                    if (cause instanceof ErrnoException e && e.errno() == Errno.ENOENT) {
                        return java.util.OptionalLong.empty();
                    }
                    throw failure instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(failure);
                });
        return deliver(inode);
    }

    /** Closes {@code handle}; EBADF if it is not open. */
    public CompletionStage<Void> close(Handle handle) {
        ErrnoException invalid = checkHandle(handle);
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        handles.remove(handle.id());
        return deliver(this.<InodeActor.Command, Done>askWithStatus(handle.file(),
                replyTo -> new InodeActor.CloseHandle(handle.id(), replyTo)).thenApply(done -> null));
    }

    /** Removes name {@code name}; the file's data goes once its last handle is closed. */
    public CompletionStage<Void> unlink(String name) {
        ErrnoException invalid = refusedWhileShuttingDown("unlink");
        if (invalid == null) {
            invalid = FileNames.problem(name).orElse(null);
        }
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        return deliver(this.<Namespace.Command, Namespace.Entry>askWithStatus(parts.namespace(),
                replyTo -> new Namespace.Unlink(name, replyTo)).thenApply(entry -> {
                    system.tell(new EngineGuardian.DeleteFile(entry.inode()));
                    if (journaled != null) {
                        journaled.discard(entry.inode());
                    }
                    return null;
                }));
    }

    /** Renames {@code from} to {@code to}, replacing {@code to} if it exists, like rename(2). */
    public CompletionStage<Void> rename(String from, String to) {
        ErrnoException invalid = refusedWhileShuttingDown("rename");
        if (invalid == null) {
            invalid = FileNames.problem(from).or(() -> FileNames.problem(to)).orElse(null);
        }
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        return deliver(this.<Namespace.Command, Namespace.Renamed>askWithStatus(parts.namespace(),
                replyTo -> new Namespace.Rename(from, to, replyTo)).thenApply(renamed -> {
                    renamed.replaced().ifPresent(inode -> {
                        system.tell(new EngineGuardian.DeleteFile(inode));
                        if (journaled != null) {
                            journaled.discard(inode);
                        }
                    });
                    return null;
                }));
    }

    // ---- data ------------------------------------------------------------------------------------

    /** Writes {@code data}'s remaining bytes at {@code offset}, with the configured durability. */
    public CompletionStage<WriteResult> write(Handle handle, long offset, ByteBuffer data) {
        return write(handle, offset, data, policy.writeback().durability());
    }

    /**
     * Writes {@code data}'s remaining bytes at {@code offset} ({@code data} is not consumed).
     *
     * @param durability {@code cached}: answered at once, or later when the throttle slows the
     *     writer; {@code synced}: answered once the bytes are written back and the device flushed;
     *     {@code journaled}: answered once the bytes are persisted in the journal (and taken into
     *     the cache), surviving a killed process without fsync; ENOTSUP without a data directory
     *     or with the {@code ext2} layout
     * @return the bytes written and their durable future; ESHUTDOWN once shutdown has begun
     */
    public CompletionStage<WriteResult> write(Handle handle, long offset, ByteBuffer data, Durability durability) {
        ErrnoException invalid = refusedWhileShuttingDown("write");
        if (invalid == null) {
            invalid = checkHandle(handle);
        }
        if (invalid == null && (data == null || durability == null)) {
            invalid = new ErrnoException(Errno.EINVAL, data == null ? "no data to write" : "no durability");
        }
        if (invalid == null) {
            invalid = checkRange(offset, data.remaining(), true);
        }
        if (invalid == null && durability == Durability.JOURNALED && journaled == null) {
            invalid = new ErrnoException(Errno.ENOTSUP, "journaled durability needs a data directory"
                    + " (PersistenceConfig.prepare) and the extent layout; this engine keeps file metadata in memory"
                    + (settings.layout() == Layout.EXT2 ? " (ext2 layout)" : ""));
        }
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        if (!data.hasRemaining()) {
            return CompletableFuture.completedFuture(new WriteResult(0, CompletableFuture.completedFuture(null)));
        }
        // completed by the file's actor with the engine's own errors; the caller's callbacks run on the pool
        CompletableFuture<Void> durable = tracked(durables, new CallbackStage<>(callbacks));
        CompletionStage<InodeActor.Written> answer;
        if (durability == Durability.JOURNALED) {
            byte[] bytes = new byte[data.remaining()]; // the one copy, before any message
            data.duplicate().get(bytes);
            answer = sameThread(journaled.write(handle.inode(), handle.file(), handle.id(), offset, bytes, durable));
        } else if (journaled == null) {
            return queueWrite(handle, offset, data, durability, durable);
        } else if (journaled.enterDirect()) { // no journaled change was ever made: none can overlap this write
            try {
                return queueWrite(handle, offset, data, durability, durable);
            } finally {
                journaled.exitDirect();
            }
        } else {
            answer = sameThread(journaled.write(handle.inode(), handle.file(), handle.id(), offset, data, durability,
                    durable, () -> sendWrite(handle, offset, data, durability, durable)));
        }
        return deliver(answer.thenApply(written -> new WriteResult(written.bytes(), durable)));
    }

    /**
     * The write path of {@code cached} and {@code synced} writes: the bytes are copied into pool
     * pages and queued to the file's actor, which answers the caller's stage itself ({@link
     * CallerWrite}) — one stage and one durable future per write, nothing chained on either.
     */
    private CompletionStage<WriteResult> queueWrite(Handle handle, long offset, ByteBuffer data, Durability durability,
            CompletableFuture<Void> durable) {
        CompletableFuture<WriteResult> result = new CallbackStage<>(callbacks);
        calls.add(result, System.nanoTime() + askTimeout.toNanos());
        if (halted) {
            result.completeExceptionally(new ErrnoException(Errno.ESHUTDOWN, "the engine was halted"));
            return result;
        }
        WriteData staged = WriteData.copyOf(pool, offset, data); // the one copy, before any message
        handle.writes().offer(new CallerWrite(handle.id(), staged, durability, durable, result));
        return result;
    }

    /** A write sent while journaled changes may overlap it (under the file's lock in {@link JournaledWrites}). */
    private CompletionStage<InodeActor.Written> sendWrite(Handle handle, long offset, ByteBuffer data,
            Durability durability, CompletableFuture<Void> durable) {
        WriteData staged = WriteData.copyOf(pool, offset, data); // the one copy, before any message
        CompletableFuture<InodeActor.Written> answer = new CompletableFuture<>();
        handle.writes().offer(new WriteQueue.Entry(handle.id(), staged, durability, durable, answer));
        return answer.orTimeout(askTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Reads up to {@code length} bytes at {@code offset}: short at the end of the file, zeros in holes. */
    public CompletionStage<ByteBuffer> read(Handle handle, long offset, int length) {
        ErrnoException invalid = checkHandle(handle);
        if (invalid == null) {
            invalid = checkRange(offset, length, false);
        }
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        return deliver(askWithStatus(handle.file(), replyTo -> new InodeActor.Read(handle.id(), offset, length, replyTo)));
    }

    /** Changes the file's size to {@code size}: shrinking drops the data past it, growing reads as zeros. */
    public CompletionStage<Void> truncate(Handle handle, long size) {
        ErrnoException invalid = refusedWhileShuttingDown("truncate");
        if (invalid == null) {
            invalid = checkHandle(handle);
        }
        if (invalid == null && size < 0) {
            invalid = new ErrnoException(Errno.EINVAL, "negative size " + size);
        }
        if (invalid == null && size > maxFileBytes) {
            invalid = new ErrnoException(Errno.EFBIG, "size " + size + " beyond the largest file, " + maxFileBytes);
        }
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        Supplier<CompletionStage<Done>> direct = () -> this.<InodeActor.Command, Done>askWithStatus(handle.file(),
                replyTo -> new InodeActor.Truncate(size, replyTo));
        CompletionStage<Done> truncated = journaled == null ? direct.get()
                : journaled.truncate(handle.inode(), handle.file(), size, direct);
        return deliver(truncated.thenApply(done -> null));
    }

    // ---- durability ------------------------------------------------------------------------------

    /**
     * fsync (E1): writes the file's dirty pages, waits for all its writeback, reports the handle's
     * unseen write error once (EIO, ENOSPC …), else flushes the device and commits the metadata.
     */
    public CompletionStage<Void> fsync(Handle handle) {
        ErrnoException invalid = checkHandle(handle);
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        return deliver(this.<InodeActor.Command, Done>askWithStatus(handle.file(),
                replyTo -> new InodeActor.Fsync(handle.id(), replyTo)).thenApply(done -> null));
    }

    /** sync (E6): writes back every dirty page of every file, waits, flushes, commits; never fails. */
    public CompletionStage<Void> sync() {
        if (stopped) {
            return CompletableFuture.completedFuture(null);
        }
        return deliver(syncAll(askTimeout).handle((ok, failure) -> {
            if (failure != null) {
                log.warn("sync did not finish", failure);
            }
            return null;
        }));
    }

    /** syncfs (E6): a sync, then the device's write errors that this handle has not seen, once. */
    public CompletionStage<Void> syncfs(Handle handle) {
        ErrnoException invalid = checkHandle(handle);
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        return deliver(syncAll(askTimeout).exceptionally(failure -> null).thenCompose(ok ->
                this.<InodeActor.Command, Done>askWithStatus(handle.file(),
                        replyTo -> new InodeActor.CheckDeviceError(handle.id(), replyTo))).thenApply(done -> null));
    }

    /** The engine's counters now. */
    public CompletionStage<EngineStats> stats() {
        if (stopped) {
            return CompletableFuture.failedFuture(shutDown());
        }
        CompletionStage<List<InodeActor.FileState>> files = states(false, askTimeout);
        CompletionStage<BioDispatcher.Stats> bios = ask(parts.bios(), BioDispatcher.GetStats::new);
        CompletionStage<CompletionActor.Stats> writes = ask(parts.completions(), CompletionActor.GetStats::new);
        CompletionStage<WritebackCoordinator.Stats> passes = ask(parts.coordinator(),
                WritebackCoordinator.GetStats::new);
        CompletionStage<CommitActor.Stats> commits = ask(parts.commits(), CommitActor.GetStats::new);
        return deliver(files.thenCompose(states -> bios.thenCombine(writes, (b, w) -> {
            // Writeback first: a page leaves the dirty count before it joins the writeback count, so
            // this order never counts a page twice (the other may, by a whole chunk).
            long writeback = ledger.writebackPages();
            return new EngineStats(ledger.dirtyPages(), writeback, ledger.heldPages(), ledger.cachedPages(),
                ledger.backgroundThreshPages(), ledger.dirtyThreshPages(), b.biosSubmitted(), w.pagesWritten(), w.writeErrors(),
                states.stream().mapToLong(InodeActor.FileState::throttledWriters).sum(), handles.size(),
                states.size(), 0, 0, 0, 0, 0);
        }))
                .thenCombine(passes, (stats, p) -> withPasses(stats, p))
                .thenCombine(commits, (stats, c) -> withCommits(stats, c)));
    }

    // ---- run-time policy -------------------------------------------------------------------------

    /** The policy in force: the writeback policy and queue depth as started or last changed. */
    public RuntimePolicy policy() {
        return policy;
    }

    /**
     * Changes the policy while the engine runs ({@link RuntimePolicy#with}: camelCase keys to values).
     * The dirty thresholds, intervals and minimum chunk go to the writeback coordinator (the
     * thresholds apply at once, the rest from the next pass); the error policy and retry limit to
     * the completion actor, for the next failed write; the queue depth to the bio actor; the
     * commit interval to the commit actor, whose next periodic round waits the new interval; the
     * default durability to the next write that names none. The stage completes once each of them
     * has taken the change.
     *
     * @return the new policy; fails with EINVAL, naming the key and changing nothing, for an
     *     unknown key, an invalid value, {@code maxBioSegments} (fixed while the engine runs:
     *     restart with the configuration instead) or durability {@code journaled} on an engine
     *     without a data directory or with the {@code ext2} layout; ESHUTDOWN once shutdown has
     *     begun
     */
    public CompletionStage<RuntimePolicy> changePolicy(Map<String, ?> changes) {
        requireNonNull(changes, "changes");
        ErrnoException refused = refusedWhileShuttingDown("policy change");
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        RuntimePolicy next;
        synchronized (policyLock) { // one change at a time, told to the actors in the order they are made
            RuntimePolicy before = policy;
            try {
                next = before.with(changes);
            } catch (SettingsException e) {
                return CompletableFuture.failedFuture(new ErrnoException(Errno.EINVAL, e.getMessage()));
            }
            Set<String> changed = before.changedKeys(next);
            if (changed.contains("maxBioSegments")) {
                return CompletableFuture.failedFuture(new ErrnoException(Errno.EINVAL, "maxBioSegments = "
                        + next.toMap().get("maxBioSegments") + " is invalid: maxBioSegments"
                        + " cannot change while the engine runs yet; set it in the configuration and restart"));
            }
            if (changed.contains("durability") && next.writeback().durability() == Durability.JOURNALED
                    && journaled == null) {
                return CompletableFuture.failedFuture(new ErrnoException(Errno.EINVAL, "durability = \"journaled\""
                        + " is invalid: journaled durability needs a data directory and the extent layout"));
            }
            policy = next;
            parts.coordinator().tell(new WritebackCoordinator.SetPolicy(next.writeback()));
            parts.completions().tell(new CompletionActor.SetPolicy(next.writeback()));
            if (changed.contains("queueDepth")) {
                parts.bios().tell(new BioDispatcher.SetQueueDepth(next.queueDepth()));
            }
            if (changed.contains("commitIntervalMs")) {
                parts.commits().tell(new CommitActor.SetInterval(next.writeback().commitInterval()));
            }
        }
        log.info("Policy changed: {}", changes);
        // each actor answers after the change it was told before
        CompletionStage<?> coordinator = ask(parts.coordinator(), WritebackCoordinator.GetStats::new);
        CompletionStage<?> completions = ask(parts.completions(), CompletionActor.GetStats::new);
        CompletionStage<?> bios = ask(parts.bios(), BioDispatcher.GetStats::new);
        CompletionStage<?> commits = ask(parts.commits(), CommitActor.GetStats::new);
        return deliver(CompletableFuture.allOf(coordinator.toCompletableFuture(), completions.toCompletableFuture(),
                bios.toCompletableFuture(), commits.toCompletableFuture()).thenApply(ok -> next));
    }

    /**
     * The counters kept for observation since start (bio sizes, write errors by errno, throttle
     * pauses, journal events); read at once, without asking the actors.
     */
    public EngineCounters.Snapshot counters() {
        return counters.snapshot();
    }

    /** The current write-bandwidth estimate in bytes per second (the initial estimate until measured). */
    public long bandwidthBytesPerSec() {
        return ledger.bandwidthPagesPerSec() * settings.pageCache().pageSize();
    }

    /** The id of the engine's device, from its header. */
    public String deviceId() {
        return deviceId;
    }

    /**
     * The layout's consistency check now ({@link BlockLayout#checkConsistency()}): no block mapped
     * twice, none mapped but free, none allocated that no file maps or reserves. The start-up check
     * runs it on the restored maps; a crash checker runs it again on a quiet engine.
     *
     * @return the problems found, empty when the block maps and the allocator agree
     * @throws dev.writebackd.layout.MetadataNeededException on the {@code ext2} layout when a file's
     *     map block is not in the metadata cache
     */
    public List<ConsistencyProblem> checkConsistency() {
        return layout.checkConsistency();
    }

    // ---- shutdown --------------------------------------------------------------------------------

    /** {@link #shutdown(Duration)} with {@code writebackd.engine.shutdown-timeout}. */
    public CompletionStage<Void> shutdown() {
        return shutdown(shutdownTimeout);
    }

    /**
     * Stops the engine without losing dirty data: new writes (and opens, truncates, renames,
     * unlinks) fail with ESHUTDOWN; journaled writes being persisted enter the cache; every dirty
     * page is written back, the device flushed and the metadata committed; the journaled data so
     * made durable is trimmed (waiting at most 5 s for that); then the actors stop. Fails — after stopping all the same — with
     * ETIMEDOUT naming every file and byte range still not on the device if that takes longer than
     * {@code timeout}, with EIO naming the ranges held after failed writes ({@code sticky}), or with
     * EIO if writes failed while draining. A second call answers like the first.
     */
    public CompletionStage<Void> shutdown(Duration timeout) {
        requireNonNull(timeout, "timeout");
        CompletableFuture<Void> result = new CompletableFuture<>();
        if (!shutdown.compareAndSet(null, result)) {
            return deliver(shutdown.get());
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        CompletionStage<Void> journaledApplied = journaled == null ? CompletableFuture.completedFuture(null)
                : journaled.quiet(false, deadline);
        journaledApplied.thenCompose(applied -> ask(parts.completions(), CompletionActor.GetStats::new))
                .thenCompose(before -> drain(deadline, timeout, before.writeErrors()))
                .thenCompose(drained -> settleDurable(Duration.ofNanos(Math.max(1, deadline - System.nanoTime()))))
                .thenCompose(drained -> journaled == null ? CompletableFuture.<Void>completedFuture(null)
                        : journaled.quiet(true, Math.min(deadline, System.nanoTime() + TRIM_WAIT.toNanos())))
                .whenComplete((ok, failure) -> {
                    if (journaled != null) {
                        journaled.stop();
                    }
                    handles.clear();
                    stopped = true;
                    system.terminate();
                    system.getWhenTerminated().whenComplete((terminated, error) -> {
                        if (failure == null) {
                            log.info("Engine shut down; everything was written back");
                            result.complete(null);
                        } else {
                            Throwable cause = translate(failure);
                            log.error("Engine shut down without writing everything back: {}", cause.getMessage());
                            result.completeExceptionally(cause);
                        }
                    });
                });
        return deliver(result);
    }

    /**
     * Stops the engine at once, as a power cut or a killed process would: nothing more is written
     * back, flushed or committed. From the call on, no bio of this engine reaches the device (a bio
     * already inside the device is waited for, at most 10 s); every
     * call still pending — and every durable future handed out and not yet complete — fails with
     * ESHUTDOWN, as does every later call; every handle is closed. The device is not closed, and
     * the journal is released: once this returns, {@link #start} on the same device and data
     * directory restores what was committed, as after a crash. Idempotent; blocks until the actor
     * system has terminated (at most 10 s more); a second call returns at once.
     */
    public void halt() {
        if (!halting.compareAndSet(false, true)) {
            return;
        }
        halted = true;
        fence.shut();
        shutdown.compareAndSet(null, CompletableFuture.failedFuture(
                new ErrnoException(Errno.ESHUTDOWN, "the engine was halted")));
        stopped = true;
        if (journaled != null) {
            journaled.stop();
        }
        handles.clear();
        failDelivered();
        system.terminate();
        Duration wait = Duration.ofSeconds(HALT_IO_WAIT_SECONDS);
        try {
            system.getWhenTerminated().toCompletableFuture().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            if (!fence.awaitIdle(wait)) {
                log.warn("Halted; {} bios are still inside the device (stalled?) and may yet change it",
                        fence.inFlight());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("Halted; the actor system did not terminate within {}: {}", wait, e.toString());
        }
        failDelivered();
        log.info("Engine halted: nothing written back, flushed or committed");
    }

    private void failDelivered() {
        calls.failAll(() -> new ErrnoException(Errno.ESHUTDOWN, "the engine was halted"));
        durables.failAll(() -> new ErrnoException(Errno.ESHUTDOWN, "the engine was halted"));
    }

    /** One round: sync everything, then stop if all is clean, fail if it can never be, else go again. */
    private CompletionStage<Void> drain(long deadline, Duration timeout, long errorsBefore) {
        Duration left = Duration.ofNanos(deadline - System.nanoTime());
        if (left.isNegative() || left.isZero()) {
            return notDrained(Errno.ETIMEDOUT, "shutdown could not write everything back within " + timeout);
        }
        return syncAll(left).thenCompose(ok -> states(false, left)).thenCompose(states -> {
            boolean dirty = states.stream().anyMatch(s -> s.dirtyPages() + s.writebackPages() + s.retryPages() > 0);
            if (dirty) {
                return drain(deadline, timeout, errorsBefore);
            }
            if (states.stream().anyMatch(s -> s.heldPages() > 0)) {
                return notDrained(Errno.EIO, "pages whose writes failed are held (sticky error policy)");
            }
            return this.<CompletionActor.Command, CompletionActor.Stats>ask(parts.completions(),
                    CompletionActor.GetStats::new).thenCompose(after -> {
                        long lost = after.writeErrors() - errorsBefore;
                        return lost == 0 ? CompletableFuture.<Void>completedFuture(null)
                                : CompletableFuture.<Void>failedFuture(new ErrnoException(Errno.EIO, lost
                                        + " writes failed while shutdown wrote back; their data is lost"));
                    });
        }).exceptionallyCompose(failure -> translate(failure) instanceof ErrnoException e
                && e.errno() == Errno.ETIMEDOUT
                ? notDrained(Errno.ETIMEDOUT, "shutdown could not write everything back within " + timeout)
                : CompletableFuture.failedFuture(failure));
    }

    /**
     * After the drain: one more commit round answers the durable futures that asked for a flush
     * while the last round ran, and a round trip to every file lets it take that answer before the
     * actors stop.
     */
    private CompletionStage<Void> settleDurable(Duration timeout) {
        return commitAll(List.of(), timeout).thenCompose(ok -> states(false, timeout)).thenApply(states -> null);
    }

    /** Fails with {@code errno}, naming every file and byte range still not clean. */
    private CompletionStage<Void> notDrained(Errno errno, String why) {
        CompletionStage<Namespace.Listing> names = ask(parts.namespace(), Namespace.List::new, REPORT_TIMEOUT);
        return states(true, REPORT_TIMEOUT).thenCombine(names, (states, listing) -> {
            Map<Long, List<String>> byInode = new HashMap<>();
            listing.entries().forEach((name, inode) -> byInode.computeIfAbsent(inode, i -> new ArrayList<>()).add(name));
            StringBuilder message = new StringBuilder(why).append("; not on the device:");
            for (InodeActor.FileState state : states) {
                if (state.notClean().isEmpty()) {
                    continue;
                }
                message.append(' ').append(byInode.getOrDefault(state.inode(), List.of("(inode " + state.inode() + ")")));
                for (InodeActor.Range range : state.notClean()) {
                    message.append(" [").append(range.offset()).append(", ").append(range.offset() + range.length())
                            .append(')');
                }
                message.append(';');
            }
            return message.toString();
        }).handle((message, failure) -> {
            String text = failure == null ? message : why + " (and the dirty ranges could not be listed)";
            throw new CompletionException(new ErrnoException(errno, text));
        });
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /**
     * sync's steps (E6): a sync work through the flusher (F1: queued works run first, in FIFO
     * order) writes back every dirty page of every file; then every active file waits for its
     * writeback to end (writing what was dirtied meanwhile); then one commit round flushes the
     * device and commits the active files and every file changed since the last commit.
     *
     * @return fails only when the metadata could not be committed or an answer timed out; a
     *     failed flush is recorded in the device's errseq for syncfs
     */
    private CompletionStage<Void> syncAll(Duration timeout) {
        return this.<Flushing.CoordinatorCommand, Flushing.SyncDone>ask(parts.coordinator(),
                replyTo -> new Flushing.SyncAll(WritebackReason.SYNC, replyTo), timeout)
                .thenCompose(done -> askActive(InodeActor.SyncFile::new, Done.getInstance(), timeout))
                .thenCompose(synced -> commitAll(synced.keySet(), timeout));
    }

    /** One commit round: the device flushed, then {@code active} and every changed file committed. */
    private CompletionStage<Void> commitAll(Collection<Long> active, Duration timeout) {
        return this.<CommitActor.Command, CommitActor.Committed>ask(parts.commits(),
                replyTo -> new CommitActor.CommitAll(Set.copyOf(active), replyTo), timeout).thenAccept(committed -> {
                    if (committed.commitFailure() != null) {
                        throw new CompletionException(committed.commitFailure());
                    }
                });
    }

    private static EngineStats withPasses(EngineStats s, WritebackCoordinator.Stats p) {
        return new EngineStats(s.dirtyPages(), s.writebackPages(), s.heldPages(), s.cachedPages(),
                s.backgroundThresholdPages(), s.dirtyThresholdPages(), s.biosSubmitted(), s.pagesWritten(),
                s.writeErrors(), s.throttledWriters(), s.openHandles(), s.activeFiles(), p.periodicPasses(),
                p.backgroundPasses(), s.commitRounds(), s.periodicCommits(), s.filesCommitted());
    }

    private static EngineStats withCommits(EngineStats s, CommitActor.Stats c) {
        return new EngineStats(s.dirtyPages(), s.writebackPages(), s.heldPages(), s.cachedPages(),
                s.backgroundThresholdPages(), s.dirtyThresholdPages(), s.biosSubmitted(), s.pagesWritten(),
                s.writeErrors(), s.throttledWriters(), s.openHandles(), s.activeFiles(), s.periodicPasses(),
                s.backgroundPasses(), c.rounds(), c.periodicRounds(), c.filesCommitted());
    }

    private CompletionStage<List<InodeActor.FileState>> states(boolean withRanges, Duration timeout) {
        return this.<InodeActor.FileState>askActive(replyTo -> new InodeActor.GetState(withRanges, replyTo), STOPPED,
                timeout).thenApply(states -> states.values().stream().filter(state -> state != STOPPED).toList());
    }

    /**
     * Asks every active file actor, through the guardian ({@link EngineGuardian.Forward}), so that
     * an idle actor stopping meanwhile is answered for with {@code gone} instead of leaving the ask
     * to time out.
     *
     * @return the answers by inode, in no particular order
     */
    private <R> CompletionStage<Map<Long, R>> askActive(Function<ActorRef<R>, InodeActor.Command> message, R gone,
            Duration timeout) {
        return this.<EngineGuardian.Command, Map<Long, ActorRef<InodeActor.Command>>>ask(system,
                EngineGuardian.ActiveInodes::new, timeout).thenCompose(files -> {
                    Map<Long, CompletableFuture<R>> answers = new HashMap<>();
                    files.forEach((inode, file) -> answers.put(inode, this.<EngineGuardian.Command, R>ask(system,
                            replyTo -> new EngineGuardian.Forward(inode, file, message.apply(replyTo),
                                    () -> replyTo.tell(gone)), timeout).toCompletableFuture()));
                    return CompletableFuture.allOf(answers.values().toArray(CompletableFuture[]::new))
                            .thenApply(ok -> {
                                Map<Long, R> done = new HashMap<>();
                                answers.forEach((inode, answer) -> done.put(inode, answer.join()));
                                return done;
                            });
                });
    }

    private ErrnoException checkHandle(Handle handle) {
        if (handle == null) {
            return new ErrnoException(Errno.EBADF, "no handle");
        }
        if (handle.engine() != this) {
            return new ErrnoException(Errno.ESTALE, handle + " belongs to another engine");
        }
        if (stopped) {
            return shutDown();
        }
        if (handles.get(handle.id()) != handle) {
            return new ErrnoException(Errno.EBADF, handle + " is not open");
        }
        return null;
    }

    /** EINVAL for a negative offset or length or an overflowing end; for writes, EFBIG past the largest file. */
    private ErrnoException checkRange(long offset, long length, boolean write) {
        if (offset < 0 || length < 0) {
            return new ErrnoException(Errno.EINVAL, "negative " + (offset < 0 ? "offset " + offset : "length " + length));
        }
        if (offset > Long.MAX_VALUE - length) {
            return new ErrnoException(Errno.EINVAL, "offset " + offset + " + length " + length + " overflows");
        }
        if (write && offset + length > maxFileBytes) {
            return new ErrnoException(Errno.EFBIG, "a write up to byte " + (offset + length)
                    + " goes beyond the largest file, " + maxFileBytes + " bytes");
        }
        return null;
    }

    private ErrnoException refusedWhileShuttingDown(String what) {
        return shutdown.get() == null ? null : new ErrnoException(Errno.ESHUTDOWN, "the engine is shutting down: no "
                + what + " accepted");
    }

    private static ErrnoException shutDown() {
        return new ErrnoException(Errno.ESHUTDOWN, "the engine is shut down");
    }

    private <Q, R> CompletionStage<R> ask(RecipientRef<Q> target,
            org.apache.pekko.japi.function.Function<ActorRef<R>, Q> message) {
        return ask(target, message, askTimeout);
    }

    private <Q, R> CompletionStage<R> ask(RecipientRef<Q> target,
            org.apache.pekko.japi.function.Function<ActorRef<R>, Q> message, Duration timeout) {
        return sameThread(AskPattern.ask(target, message, timeout, system.scheduler()));
    }

    private <Q, R> CompletionStage<R> askWithStatus(RecipientRef<Q> target,
            org.apache.pekko.japi.function.Function<ActorRef<StatusReply<R>>, Q> message) {
        return sameThread(AskPattern.askWithStatus(target, message, askTimeout, system.scheduler()));
    }

    /**
     * {@code stage}'s outcome as a plain future completed on the thread that completes
     * {@code stage}. The stages Pekko's Java ask answers with run even their non-async dependents
     * on CompletableFuture's default executor — on a machine with at most 2 CPUs, a new thread per
     * stage — so the engine's own short continuations (building a result, sending the next
     * message) run where the answer arrives instead, and only the caller's are handed to the
     * engine's executor, once, by {@link #deliver}.
     */
    @SuppressWarnings("unchecked")
    private static <T> CompletableFuture<T> sameThread(CompletionStage<T> stage) {
        if (stage.getClass() == CompletableFuture.class) {
            return (CompletableFuture<T>) stage; // a plain future already runs its dependents where it completes
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        stage.whenCompleteAsync((value, failure) -> {
            if (failure == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(failure);
            }
        }, SAME_THREAD);
        return result;
    }

    /**
     * The stage's outcome with the engine's errors unwrapped, as a {@link CallbackStage}: a caller
     * that waits is woken at once; the caller's dependent actions run on the engine's executor.
     */
    private <T> CompletionStage<T> deliver(CompletionStage<T> stage) {
        CompletableFuture<T> result = tracked(calls, new CallbackStage<>(callbacks));
        if (result.isDone()) {
            return result; // halted
        }
        stage.whenCompleteAsync((value, failure) -> {
            if (failure == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(translate(failure));
            }
        }, SAME_THREAD);
        return result;
    }

    /** {@code future}, kept in {@code pending} so that a halt fails it; failed at once if the engine was halted. */
    private <T> CompletableFuture<T> tracked(PendingCalls pending, CompletableFuture<T> future) {
        pending.add(future);
        if (halted) {
            future.completeExceptionally(new ErrnoException(Errno.ESHUTDOWN, "the engine was halted"));
        }
        return future;
    }

    private Throwable translate(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof TimeoutException) {
            return new ErrnoException(Errno.ETIMEDOUT, "the engine did not answer in time: " + cause.getMessage());
        }
        return cause;
    }

    /** Allocates and touches {@code bytes} of page memory now, on the starting thread (no actor runs yet). */
    private static void pretouch(PagePool pool, long bytes) {
        if (bytes <= 0) {
            return;
        }
        long start = System.nanoTime();
        long touched = pool.prefill(bytes);
        log.info("page pool: {} MiB of page memory allocated and touched at start in {} ms", touched >> 20,
                (System.nanoTime() - start) / 1_000_000);
    }
}
