package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.actors.io.BioResult;
import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.error.Errno;
import dev.writebackd.mpage.Errseq;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The metadata commits of one device (DESIGN "Batched commits", ordered mode): the mappings of
 * completed writes are persisted together, at most one commit interval after they became
 * committable, by sync, and when a durable future waits for them.
 *
 * <p>A commit <em>round</em> marks the writes completed so far, submits one device flush through
 * the bio actor (the device call itself runs on the blocking-I/O dispatcher), and only once that
 * flush has succeeded makes the marked writes committable and commits every file with changes
 * ({@link SharedLayout#takeTouched()}) through the {@link MetadataCommitter}, all files of the
 * round together. So a mapping is never persisted before its data is written and a flush has
 * covered it. One round runs at a time; requests arriving meanwhile are served by the next.
 *
 * <p>Rounds start:
 * <ul>
 *   <li>every commit interval, when the layout's metadata is persisted (a {@link SharedLayout}
 *       with a journal) and something waits to be committed — nothing is flushed or committed
 *       when nothing changed;
 *   <li>at once for an urgent {@link AwaitDurable} (a {@code synced} write) and for
 *       {@link CommitAll} (sync, shutdown);
 *   <li>at once for every {@link AwaitDurable} when metadata is not persisted: a flush is all
 *       that makes data durable there.
 * </ul>
 * A non-urgent {@link AwaitDurable} (the durable futures of {@code cached} writes) waits for the
 * next periodic round: those writes become durable together, at most one interval later.
 *
 * <p>Never blocks: the flush is a message to the bio actor, the commits are stages piped back.
 */
public final class CommitActor extends AbstractBehavior<CommitActor.Command> {

    /** What the commit actor accepts. */
    public interface Command {}

    /**
     * An inode's durable futures wait for a flush submitted after this request and the commit of
     * what it made durable; answered with {@link CompletionActor.Flushed} (its error, or that of
     * the commit, or {@code null}). A second request from the same {@code replyTo} while one is
     * pending adds nothing; with {@code urgent} it hurries the pending one.
     *
     * @param urgent a writer waits for the answer ({@code synced}): start a round now
     */
    public record AwaitDurable(boolean urgent, ActorRef<CompletionActor.Flushed> replyTo) implements Command {
        /** Validates the message. */
        public AwaitDurable {
            requireNonNull(replyTo, "replyTo");
        }
    }

    /**
     * sync's last steps (E6): a device flush submitted after this request, then the commit of
     * {@code inodes} and of every file with changes; starts a round at once. Answered with
     * {@link Committed}.
     */
    public record CommitAll(Set<Long> inodes, ActorRef<Committed> replyTo) implements Command {
        /** Validates and freezes the message. */
        public CommitAll {
            inodes = Set.copyOf(requireNonNull(inodes, "inodes"));
            requireNonNull(replyTo, "replyTo");
        }
    }

    /**
     * Answer to {@link CommitAll}.
     *
     * @param flushError the flush's error (recorded in the device's errseq), or {@code null}
     * @param commitFailure why the metadata was not committed, or {@code null}
     */
    public record Committed(Errno flushError, Throwable commitFailure) {
        /** Whether the flush and the commit both succeeded. */
        public boolean succeeded() {
            return flushError == null && commitFailure == null;
        }
    }

    /** Asks for the commit actor's {@link Stats}. */
    public record GetStats(ActorRef<Stats> replyTo) implements Command {
        /** Validates the message. */
        public GetStats {
            requireNonNull(replyTo, "replyTo");
        }
    }

    /**
     * The commit actor's counters since start.
     *
     * @param rounds commit rounds run (each one device flush)
     * @param periodicRounds rounds the commit interval started
     * @param filesCommitted file commits made by the rounds
     * @param failedRounds rounds whose flush or commit failed
     */
    public record Stats(long rounds, long periodicRounds, long filesCommitted, long failedRounds) {}

    /** From now on, periodic rounds start every {@code interval} (a run-time policy change). */
    public record SetInterval(Duration interval) implements Command {
        /** Validates the message. */
        public SetInterval {
            requireNonNull(interval, "interval");
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("commit interval " + interval + " is not above 0");
            }
        }
    }

    private enum Tick implements Command { INSTANCE }

    private record FlushDone(BioDispatcher.Completed completed) implements Command {}

    private record CommitsDone(Set<Long> inodes, Throwable failure) implements Command {}

    private static final String TICK_TIMER = "commit-interval";

    private final TimerScheduler<Command> timers;
    private final SharedLayout layout;
    private final MetadataCommitter committer;
    private final ActorRef<BioDispatcher.Command> bios;
    private final Errseq deviceErrseq;
    private final boolean persistent;
    private final ActorRef<BioDispatcher.Completed> flushDone;

    private List<ActorRef<CompletionActor.Flushed>> durableNext = new ArrayList<>();
    private List<ActorRef<Committed>> syncNext = new ArrayList<>();
    private Set<Long> inodesNext = new TreeSet<>();
    private boolean startNext;
    private boolean periodicDue;

    private boolean running;
    private List<ActorRef<CompletionActor.Flushed>> durableNow = List.of();
    private List<ActorRef<Committed>> syncNow = List.of();
    private Set<Long> inodesNow = Set.of();
    private long mark;

    private long rounds;
    private long periodicRounds;
    private long filesCommitted;
    private long failedRounds;

    /**
     * The commit actor of one device.
     *
     * @param layout the device's layout; periodic rounds run only when it has a mapping journal
     * @param committer makes each file's metadata durable
     * @param bios the device's bio actor, where the flushes go
     * @param deviceErrseq where a failed flush is recorded (syncfs reports it, E6)
     * @param commitInterval the longest time a committable mapping waits for its commit
     */
    public static Behavior<Command> create(SharedLayout layout, MetadataCommitter committer,
            ActorRef<BioDispatcher.Command> bios, Errseq deviceErrseq, Duration commitInterval) {
        requireNonNull(layout, "layout");
        requireNonNull(committer, "committer");
        requireNonNull(bios, "bios");
        requireNonNull(deviceErrseq, "deviceErrseq");
        requireNonNull(commitInterval, "commitInterval");
        if (commitInterval.isNegative() || commitInterval.isZero()) {
            throw new IllegalArgumentException("commit interval " + commitInterval + " is not above 0");
        }
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new CommitActor(context, timers, layout, committer, bios, deviceErrseq, commitInterval)));
    }

    private CommitActor(ActorContext<Command> context, TimerScheduler<Command> timers, SharedLayout layout,
            MetadataCommitter committer, ActorRef<BioDispatcher.Command> bios, Errseq deviceErrseq,
            Duration commitInterval) {
        super(context);
        this.timers = timers;
        this.layout = layout;
        this.committer = committer;
        this.bios = bios;
        this.deviceErrseq = deviceErrseq;
        this.persistent = layout.journal().isPresent();
        this.flushDone = context.messageAdapter(BioDispatcher.Completed.class, FlushDone::new);
        if (persistent) {
            timers.startTimerWithFixedDelay(TICK_TIMER, Tick.INSTANCE, commitInterval);
        }
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(AwaitDurable.class, this::onAwaitDurable)
                .onMessage(CommitAll.class, this::onCommitAll)
                .onMessage(GetStats.class, this::onGetStats)
                .onMessage(SetInterval.class, this::onSetInterval)
                .onMessage(Tick.class, this::onTick)
                .onMessage(FlushDone.class, this::onFlushDone)
                .onMessage(CommitsDone.class, this::onCommitsDone)
                .build();
    }

    private Behavior<Command> onSetInterval(SetInterval change) {
        if (persistent) {
            timers.startTimerWithFixedDelay(TICK_TIMER, Tick.INSTANCE, change.interval()); // replaces the old timer
        }
        return this;
    }

    private Behavior<Command> onAwaitDurable(AwaitDurable request) {
        boolean urgent = request.urgent() || !persistent;
        if (running && durableNow.contains(request.replyTo())) {
            // Answered by the running round; the inode asks again for what that flush did not cover.
            return this;
        }
        if (!durableNext.contains(request.replyTo())) {
            durableNext.add(request.replyTo());
        }
        startNext |= urgent;
        startIfDue();
        return this;
    }

    private Behavior<Command> onCommitAll(CommitAll request) {
        syncNext.add(request.replyTo());
        inodesNext.addAll(request.inodes());
        startNext = true;
        startIfDue();
        return this;
    }

    private Behavior<Command> onGetStats(GetStats request) {
        request.replyTo().tell(new Stats(rounds, periodicRounds, filesCommitted, failedRounds));
        return this;
    }

    private Behavior<Command> onTick(Tick tick) {
        periodicDue = true;
        startIfDue();
        return this;
    }

    private void startIfDue() {
        if (running) {
            return;
        }
        boolean waiting = !durableNext.isEmpty() || !syncNext.isEmpty();
        if (startNext) {
            start(false);
        } else if (periodicDue) {
            periodicDue = false;
            if (waiting || layout.hasUncommitted()) {
                start(true);
            }
        }
    }

    private void start(boolean periodic) {
        running = true;
        durableNow = durableNext;
        syncNow = syncNext;
        inodesNow = inodesNext;
        durableNext = new ArrayList<>();
        syncNext = new ArrayList<>();
        inodesNext = new TreeSet<>();
        startNext = false;
        rounds++;
        if (periodic) {
            periodicRounds++;
        }
        mark = layout.takeWritten(); // the flush below makes every write completed so far durable
        bios.tell(new BioDispatcher.Submit(List.of(Bio.flush(Set.of(BioFlag.SYNC))), flushDone));
    }

    private Behavior<Command> onFlushDone(FlushDone done) {
        Errno error = null;
        for (BioResult result : done.completed().results()) {
            if (!result.succeeded()) {
                error = result.error() == null ? Errno.EIO : result.error();
            }
        }
        layout.flushed(mark, error == null);
        if (error != null) {
            deviceErrseq.set(Errno.EIO); // syncfs reports it (E2, E6)
            getContext().getLog().warn("Device flush of a commit round failed: {}", error);
            finish(error, null);
            return this;
        }
        Set<Long> inodes = new TreeSet<>(inodesNow);
        if (persistent || !syncNow.isEmpty()) {
            inodes.addAll(layout.takeTouched());
        }
        if (inodes.isEmpty()) {
            finish(null, null);
            return this;
        }
        CompletableFuture<?>[] commits = inodes.stream()
                .map(inode -> committer.commit(inode).toCompletableFuture())
                .toArray(CompletableFuture[]::new);
        getContext().pipeToSelf(CompletableFuture.allOf(commits), (ok, failure) -> new CommitsDone(inodes, failure));
        return this;
    }

    private Behavior<Command> onCommitsDone(CommitsDone done) {
        if (done.failure() != null) {
            layout.touch(done.inodes()); // what did not commit goes with the next round
            getContext().getLog().warn("Metadata commit of {} files failed", done.inodes().size(), done.failure());
            finish(Errno.EIO, done.failure());
        } else {
            filesCommitted += done.inodes().size();
            finish(null, null);
        }
        return this;
    }

    /** Answers the round's waiters, then starts the next round if one is due. */
    private void finish(Errno flushError, Throwable commitFailure) {
        if (flushError != null || commitFailure != null) {
            failedRounds++;
        }
        Errno durableError = flushError != null ? flushError : commitFailure != null ? Errno.EIO : null;
        durableNow.forEach(waiter -> waiter.tell(new CompletionActor.Flushed(durableError)));
        Committed committed = new Committed(flushError, commitFailure);
        syncNow.forEach(waiter -> waiter.tell(committed));
        durableNow = List.of();
        syncNow = List.of();
        inodesNow = Set.of();
        running = false;
        startIfDue();
    }
}
