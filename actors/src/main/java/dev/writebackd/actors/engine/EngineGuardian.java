package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.actors.persist.Namespace;
import dev.writebackd.actors.persist.PersistenceSettings;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.config.PageCacheSettings;
import dev.writebackd.config.WritebackPolicy;
import dev.writebackd.layout.MetadataCache;
import dev.writebackd.mpage.Errseq;
import dev.writebackd.page.DirtyLedger;
import dev.writebackd.page.PagePool;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The guardian of one engine's actor system: spawns the device's bio actor, completion actor,
 * namespace, writeback coordinator (which publishes the dirty thresholds at once) and commit actor at start, and an inode actor for a file the first time it is
 * used; it forgets an inode actor once it stops (a deleted file, or an idle one).
 *
 * <p>An idle inode actor asks to stop ({@link InodeActor.Idle}); the guardian agrees only if every
 * address of it that it handed out has been used for its {@code OpenHandle} (so none is on its
 * way), then lists it no more and keeps the file's lookups until it has stopped, when a fresh actor
 * answers them.
 */
public final class EngineGuardian extends AbstractBehavior<EngineGuardian.Command> {

    /** What the guardian accepts. */
    public interface Command {}

    /** Asks for the device's actors. */
    public record GetParts(ActorRef<Parts> replyTo) implements Command {}

    /**
     * The device's actors.
     *
     * @param bios the bio actor
     * @param completions the completion actor
     * @param namespace the file names
     * @param coordinator the writeback coordinator
     * @param commits the metadata commits (periodic, sync's, durable futures')
     */
    public record Parts(ActorRef<BioDispatcher.Command> bios, ActorRef<CompletionActor.Command> completions,
            ActorRef<Namespace.Command> namespace, ActorRef<Flushing.CoordinatorCommand> coordinator,
            ActorRef<CommitActor.Command> commits) {}

    /** Answers the actor of file {@code inode}, spawning it if it is not active. */
    public record GetInode(long inode, ActorRef<ActorRef<InodeActor.Command>> replyTo) implements Command {}

    /** Answers the active inode actors, by inode. */
    public record ActiveInodes(ActorRef<Map<Long, ActorRef<InodeActor.Command>>> replyTo) implements Command {}

    /**
     * Sends {@code message} to {@code file}, the actor of {@code inode} that {@link ActiveInodes}
     * listed, if it is still listed; else runs {@code ifGone} (on the guardian's thread: it may only
     * tell actors). An idle actor stops only after the guardian has stopped listing it, and every
     * message the guardian sent before that reaches it first, so a message sent this way is never
     * lost to a stopping actor, unlike one sent straight to an address listed earlier.
     */
    public record Forward(long inode, ActorRef<InodeActor.Command> file, InodeActor.Command message, Runnable ifGone)
            implements Command {}

    /**
     * File {@code inode} lost its last name: its actor is no longer listed as active and drops the
     * file once no handle is open; a file without an active actor has its blocks freed at once.
     */
    public record DeleteFile(long inode) implements Command {}

    private record InodeStopped(long inode, ActorRef<InodeActor.Command> file) implements Command {}

    private record InodeIdle(InodeActor.Idle idle) implements Command {}

    /**
     * The device and the thread-safe objects its actors share.
     *
     * @param device the block device
     * @param deviceId the device header's id, naming the namespace's persistence id
     * @param queueDepth device requests in flight at most
     * @param policy the writeback policy at start
     * @param pageCache the page size and cache budget the dirty thresholds derive from
     * @param pool page memory
     * @param ledger the device's page counters
     * @param layout the block layout
     * @param metadataCache ext2's map-block cache, or {@code null}
     * @param deviceErrseq the device-wide errseq
     * @param committer fsync's metadata commit
     * @param readaheadPages the largest readahead window in pages
     * @param counters the engine's observed counters
     */
    public record Setup(BlockDevice device, String deviceId, int queueDepth, WritebackPolicy policy,
            PageCacheSettings pageCache, PagePool pool, DirtyLedger ledger, SharedLayout layout, MetadataCache metadataCache, Errseq deviceErrseq,
            MetadataCommitter committer, int readaheadPages, EngineCounters counters) {
        /** A setup whose counters nobody observes. */
        public Setup(BlockDevice device, String deviceId, int queueDepth, WritebackPolicy policy,
                PageCacheSettings pageCache, PagePool pool, DirtyLedger ledger, SharedLayout layout,
                MetadataCache metadataCache, Errseq deviceErrseq, MetadataCommitter committer, int readaheadPages) {
            this(device, deviceId, queueDepth, policy, pageCache, pool, ledger, layout, metadataCache, deviceErrseq,
                    committer, readaheadPages, new EngineCounters());
        }

        /** Validates. */
        public Setup {
            requireNonNull(device, "device");
            requireNonNull(deviceId, "deviceId");
            requireNonNull(policy, "policy");
            requireNonNull(pageCache, "pageCache");
            requireNonNull(pool, "pool");
            requireNonNull(ledger, "ledger");
            requireNonNull(layout, "layout");
            requireNonNull(deviceErrseq, "deviceErrseq");
            requireNonNull(committer, "committer");
            requireNonNull(counters, "counters");
        }
    }

    private final Setup setup;
    private final Parts parts;
    private final DeviceContext context;
    private final Map<Long, ActorRef<InodeActor.Command>> inodes = new HashMap<>();
    /** Addresses handed out per active inode actor: each is followed by one {@code OpenHandle}. */
    private final Map<Long, Long> handedOut = new HashMap<>();
    /** Inodes whose idle actor is stopping, with the lookups waiting for its successor. */
    private final Map<Long, List<ActorRef<ActorRef<InodeActor.Command>>>> passivating = new HashMap<>();
    private final ActorRef<InodeActor.Idle> idle;
    private long spawned;

    /** The guardian of an engine on {@code setup}'s device. */
    public static Behavior<Command> create(Setup setup) {
        requireNonNull(setup, "setup");
        return Behaviors.setup(context -> new EngineGuardian(context, setup));
    }

    private EngineGuardian(ActorContext<Command> context, Setup setup) {
        super(context);
        this.setup = setup;
        ActorRef<BioDispatcher.Command> bios = context.spawn(BioDispatcher.create(setup.device(), setup.queueDepth()), "bios");
        ActorRef<CompletionActor.Command> completions =
                context.spawn(CompletionActor.create(bios, setup.deviceErrseq(), setup.policy(), setup.counters()), "completions");
        PersistenceSettings persistence = PersistenceSettings.fromConfig(context.getSystem().settings().config());
        ActorRef<Namespace.Command> namespace = context.spawn(Namespace.create(setup.deviceId(), persistence), "namespace");
        ActorRef<Flushing.CoordinatorCommand> coordinator = context.spawn(WritebackCoordinator.create(setup.ledger(),
                setup.policy(), setup.pageCache(), System::nanoTime), "coordinator");
        ActorRef<CommitActor.Command> commits = context.spawn(CommitActor.create(setup.layout(), setup.committer(),
                bios, setup.deviceErrseq(), setup.policy().commitInterval()), "commits");
        this.parts = new Parts(bios, completions, namespace, coordinator, commits);
        this.idle = context.messageAdapter(InodeActor.Idle.class, InodeIdle::new);
        long budgetPages = Math.min(setup.pool().capacityPages(),
                setup.pageCache().cacheBudgetBytes() / setup.pool().pageSize());
        this.context = new DeviceContext(setup.pool(), setup.ledger(), setup.layout(), setup.metadataCache(),
                setup.deviceErrseq(), setup.committer(), bios, completions, coordinator, setup.readaheadPages(),
                setup.policy().maxBioSegments(), setup.counters(), commits, new CacheBudget(setup.ledger(),
                budgetPages, 2L * setup.readaheadPages(), setup.metadataCache()));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(GetParts.class, this::onGetParts)
                .onMessage(GetInode.class, this::onGetInode)
                .onMessage(ActiveInodes.class, this::onActiveInodes)
                .onMessage(Forward.class, this::onForward)
                .onMessage(DeleteFile.class, this::onDeleteFile)
                .onMessage(InodeStopped.class, this::onInodeStopped)
                .onMessage(InodeIdle.class, this::onInodeIdle)
                .build();
    }

    private Behavior<Command> onGetParts(GetParts command) {
        command.replyTo().tell(parts);
        return this;
    }

    private Behavior<Command> onGetInode(GetInode command) {
        List<ActorRef<ActorRef<InodeActor.Command>>> waiting = passivating.get(command.inode());
        if (waiting != null) {
            waiting.add(command.replyTo()); // answered by the successor once the idle actor has stopped
            return this;
        }
        command.replyTo().tell(inodes.computeIfAbsent(command.inode(), this::spawnInode));
        handedOut.merge(command.inode(), 1L, Long::sum);
        return this;
    }

    private Behavior<Command> onInodeIdle(InodeIdle message) {
        InodeActor.Idle request = message.idle();
        boolean approved = request.file().equals(inodes.get(request.inode()))
                && handedOut.getOrDefault(request.inode(), 0L) == request.opens();
        if (approved) {
            inodes.remove(request.inode());
            handedOut.remove(request.inode());
            passivating.put(request.inode(), new ArrayList<>());
        }
        request.file().tell(new InodeActor.PassivationAnswer(approved));
        return this;
    }

    private Behavior<Command> onActiveInodes(ActiveInodes command) {
        command.replyTo().tell(Map.copyOf(inodes));
        return this;
    }

    private Behavior<Command> onForward(Forward command) {
        if (command.file().equals(inodes.get(command.inode()))) {
            command.file().tell(command.message());
        } else {
            command.ifGone().run();
        }
        return this;
    }

    private Behavior<Command> onDeleteFile(DeleteFile command) {
        // Forgotten now: a nameless file needs no sync, and its actor stops once its last handle closes.
        ActorRef<InodeActor.Command> file = inodes.remove(command.inode());
        handedOut.remove(command.inode());
        if (file != null) {
            file.tell(InodeActor.Unlink.INSTANCE);
        } else {
            setup.layout().deleteFile(command.inode());
            if (setup.layout().journal().isPresent()) {
                setup.committer().commit(command.inode()); // the record's delete; a failure is logged by the committer
            }
        }
        return this;
    }

    private Behavior<Command> onInodeStopped(InodeStopped stopped) {
        if (inodes.remove(stopped.inode(), stopped.file())) {
            handedOut.remove(stopped.inode());
        }
        List<ActorRef<ActorRef<InodeActor.Command>>> waiting = passivating.remove(stopped.inode());
        if (waiting != null && !waiting.isEmpty()) {
            ActorRef<InodeActor.Command> successor = inodes.computeIfAbsent(stopped.inode(), this::spawnInode);
            waiting.forEach(replyTo -> replyTo.tell(successor));
            handedOut.merge(stopped.inode(), (long) waiting.size(), Long::sum);
        }
        return this;
    }

    private ActorRef<InodeActor.Command> spawnInode(long inode) {
        // Numbered: an open racing an unlink may need a new actor while the old one is still stopping.
        ActorRef<InodeActor.Command> file =
                getContext().spawn(InodeActor.create(inode, context, setup.pageCache().inodeIdleTimeout(), idle),
                        "inode-" + inode + "-" + ++spawned);
        getContext().watchWith(file, new InodeStopped(inode, file));
        return file;
    }
}
