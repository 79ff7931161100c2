package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.actors.engine.FailedWritePolicy.Verdict;
import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.actors.io.BioResult;
import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.Segment;
import dev.writebackd.config.WritebackPolicy;
import dev.writebackd.error.Errno;
import dev.writebackd.mpage.Errseq;
import dev.writebackd.mpage.SubmittedBio;
import dev.writebackd.mpage.WriteCompletion;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The completion side of one device's writes (step 6 of the path of a write): inode actors submit
 * their write bios through it, and it receives their completions from the bio actor.
 *
 * <p>Per finished bio it records the error, if any, in the file's and the device's errseq (E2),
 * decides per the error policy what becomes of each failed page ({@link FailedWritePolicy}), and
 * counts completions; per batch from the bio actor it sends each inode one {@link WritesEnded}. The
 * inode actor, which owns the pages, then ends their writeback and applies the verdicts. The
 * errors are recorded before the inode learns that the writeback ended, so an fsync that waited for
 * it always sees them.
 *
 * <p>It also issues the device flushes that settle durable futures ({@link RequestFlush}): one at
 * a time, every request that arrives while one is in flight served by the next.
 */
public final class CompletionActor extends AbstractBehavior<CompletionActor.Command> {

    /** What the completion actor accepts. */
    public interface Command {}

    /**
     * Inode {@code inode}'s write completions go to {@code replyTo}; its errors are recorded in
     * {@code errseq}. Sent by the inode actor before it submits anything.
     */
    public record Register(long inode, Errseq errseq, ActorRef<WritesEnded> replyTo) implements Command {
        /** Validates the message. */
        public Register {
            requireNonNull(errseq, "errseq");
            requireNonNull(replyTo, "replyTo");
        }
    }

    /** Inode {@code inode} is gone: completions still in flight for it are dropped. */
    public record Unregister(long inode) implements Command {}

    /** Submits the write bios of one writeback step of inode {@code inode}, together (one plug). */
    public record SubmitWrites(long inode, List<SubmittedBio> bios) implements Command {
        /** Validates and freezes the message. */
        public SubmitWrites {
            bios = List.copyOf(requireNonNull(bios, "bios"));
        }
    }

    /** Asks for a device flush submitted after this request arrived; answered with {@link Flushed}. */
    public record RequestFlush(ActorRef<Flushed> replyTo) implements Command {
        /** Validates the message. */
        public RequestFlush {
            requireNonNull(replyTo, "replyTo");
        }
    }

    /** Decides failed pages per {@code policy} from now on. */
    public record SetPolicy(WritebackPolicy policy) implements Command {
        /** Validates the message. */
        public SetPolicy {
            requireNonNull(policy, "policy");
        }
    }

    /** Asks for the counters. */
    public record GetStats(ActorRef<Stats> replyTo) implements Command {}

    /** The inode's write bios that ended in one batch, each with its error and its failed pages' verdicts. */
    public record WritesEnded(List<EndedWrite> writes) {
        /** Freezes the message. */
        public WritesEnded {
            writes = List.copyOf(writes);
        }
    }

    /**
     * One ended write bio.
     *
     * @param bio the bio as submitted
     * @param error the device's error, or {@code null}
     * @param verdicts for a failed bio, what becomes of each of its pages
     */
    public record EndedWrite(SubmittedBio bio, Errno error, List<Verdict> verdicts) {
        /** Freezes the verdicts. */
        public EndedWrite {
            requireNonNull(bio, "bio");
            verdicts = List.copyOf(verdicts);
        }
    }

    /** Answer to {@link RequestFlush}: the flush's error, or {@code null}. */
    public record Flushed(Errno error) {}

    /**
     * The completion actor's counters since it started.
     *
     * @param biosCompleted write bios that ended
     * @param pagesWritten pages of multi-page bios written successfully
     * @param writeErrors write bios that failed
     * @param flushes flushes issued for durable futures
     */
    public record Stats(long biosCompleted, long pagesWritten, long writeErrors, long flushes) {}

    private record BiosCompleted(BioDispatcher.Completed completed) implements Command {}

    private record Tracked(long inode, SubmittedBio bio) {}

    private record Registration(Errseq errseq, ActorRef<WritesEnded> replyTo) {}

    private final ActorRef<BioDispatcher.Command> bios;
    private final Errseq deviceErrseq;
    private final FailedWritePolicy policy;
    private final EngineCounters counters;
    private final ActorRef<BioDispatcher.Completed> completions;
    private final Map<Long, Registration> inodes = new HashMap<>();
    private final Map<Bio, Tracked> inFlight = new IdentityHashMap<>();
    private List<ActorRef<Flushed>> flushing = List.of();
    private List<ActorRef<Flushed>> nextFlush = new ArrayList<>();
    private long biosCompleted;
    private long pagesWritten;
    private long writeErrors;
    private long flushes;

    /**
     * The completion actor of one device.
     *
     * @param bios the device's bio actor
     * @param deviceErrseq the device-wide errseq (syncfs)
     * @param policy the initial writeback policy (its error policy, backoff and retry limit)
     */
    public static Behavior<Command> create(ActorRef<BioDispatcher.Command> bios, Errseq deviceErrseq,
            WritebackPolicy policy) {
        return create(bios, deviceErrseq, policy, new EngineCounters());
    }

    /**
     * The completion actor of one device, counting each ended write bio's size and error in
     * {@code counters}.
     */
    public static Behavior<Command> create(ActorRef<BioDispatcher.Command> bios, Errseq deviceErrseq,
            WritebackPolicy policy, EngineCounters counters) {
        requireNonNull(bios, "bios");
        requireNonNull(deviceErrseq, "deviceErrseq");
        requireNonNull(policy, "policy");
        requireNonNull(counters, "counters");
        return Behaviors.setup(context -> new CompletionActor(context, bios, deviceErrseq, policy, counters));
    }

    private CompletionActor(ActorContext<Command> context, ActorRef<BioDispatcher.Command> bios, Errseq deviceErrseq,
            WritebackPolicy policy, EngineCounters counters) {
        super(context);
        this.bios = bios;
        this.deviceErrseq = deviceErrseq;
        this.policy = new FailedWritePolicy(policy);
        this.counters = counters;
        this.completions = context.messageAdapter(BioDispatcher.Completed.class, BiosCompleted::new);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Register.class, this::onRegister)
                .onMessage(Unregister.class, this::onUnregister)
                .onMessage(SubmitWrites.class, this::onSubmitWrites)
                .onMessage(RequestFlush.class, this::onRequestFlush)
                .onMessage(SetPolicy.class, this::onSetPolicy)
                .onMessage(GetStats.class, this::onGetStats)
                .onMessage(BiosCompleted.class, this::onBiosCompleted)
                .build();
    }

    private Behavior<Command> onRegister(Register command) {
        inodes.put(command.inode(), new Registration(command.errseq(), command.replyTo()));
        return this;
    }

    private Behavior<Command> onUnregister(Unregister command) {
        inodes.remove(command.inode());
        policy.forget(command.inode());
        return this;
    }

    private Behavior<Command> onSubmitWrites(SubmitWrites command) {
        if (command.bios().isEmpty()) {
            return this;
        }
        List<Bio> submit = new ArrayList<>(command.bios().size());
        for (SubmittedBio bio : command.bios()) {
            inFlight.put(bio.bio(), new Tracked(command.inode(), bio));
            submit.add(bio.bio());
        }
        bios.tell(new BioDispatcher.Submit(submit, completions));
        return this;
    }

    private Behavior<Command> onRequestFlush(RequestFlush command) {
        nextFlush.add(command.replyTo());
        if (flushing.isEmpty()) {
            issueFlush();
        }
        return this;
    }

    private Behavior<Command> onSetPolicy(SetPolicy command) {
        policy.setPolicy(command.policy());
        return this;
    }

    private Behavior<Command> onGetStats(GetStats command) {
        command.replyTo().tell(new Stats(biosCompleted, pagesWritten, writeErrors, flushes));
        return this;
    }

    private Behavior<Command> onBiosCompleted(BiosCompleted message) {
        Map<Long, List<EndedWrite>> byInode = new LinkedHashMap<>();
        for (BioResult result : message.completed().results()) {
            if (result.bio().op() == BioOp.FLUSH) {
                flushEnded(result.error());
                continue;
            }
            Tracked tracked = inFlight.remove(result.bio());
            if (tracked == null) {
                getContext().getLog().warn("Completion of a write nobody submitted through us: {}", result.bio());
                continue;
            }
            byInode.computeIfAbsent(tracked.inode(), i -> new ArrayList<>()).add(ended(tracked, result.error()));
        }
        byInode.forEach((inode, writes) -> {
            Registration registration = inodes.get(inode);
            if (registration == null) {
                getContext().getLog().debug("Inode {} is gone; {} write completions dropped", inode, writes.size());
            } else {
                registration.replyTo().tell(new WritesEnded(writes));
            }
        });
        return this;
    }

    /** Records one bio's outcome (E2) and decides its failed pages. */
    private EndedWrite ended(Tracked tracked, Errno error) {
        biosCompleted++;
        SubmittedBio bio = tracked.bio();
        counters.writeEnded(bio.bio().lengthBytes(), error);
        if (error == null) {
            if (bio.kind() == SubmittedBio.Kind.PAGES) {
                pagesWritten += bio.bio().segments().size();
            }
            for (Segment segment : bio.bio().segments()) {
                if (segment.pageIndex() != Segment.NO_PAGE) {
                    policy.succeeded(tracked.inode(), segment.pageIndex());
                }
            }
            return new EndedWrite(bio, null, List.of());
        }
        writeErrors++;
        Errno mappingError = WriteCompletion.mappingError(bio, error);
        Registration registration = inodes.get(tracked.inode());
        if (registration != null) {
            registration.errseq().set(mappingError);
        }
        deviceErrseq.set(mappingError);
        List<Verdict> verdicts = new ArrayList<>();
        long previous = Segment.NO_PAGE;
        for (Segment segment : bio.bio().segments()) {
            long page = segment.pageIndex();
            if (page != Segment.NO_PAGE && page != previous) {
                verdicts.add(policy.failed(tracked.inode(), page, mappingError));
                previous = page;
            }
        }
        return new EndedWrite(bio, error, verdicts);
    }

    private void issueFlush() {
        flushing = nextFlush;
        nextFlush = new ArrayList<>();
        flushes++;
        bios.tell(new BioDispatcher.Submit(List.of(Bio.flush(Set.of(BioFlag.SYNC))), completions));
    }

    private void flushEnded(Errno error) {
        if (error != null) {
            deviceErrseq.set(Errno.EIO);
        }
        flushing.forEach(waiter -> waiter.tell(new Flushed(error)));
        flushing = List.of();
        if (!nextFlush.isEmpty()) {
            issueFlush();
        }
    }
}
