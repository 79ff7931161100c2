package dev.writebackd.actors.io;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import dev.writebackd.block.Bio;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.DeviceRequest;
import dev.writebackd.block.RequestQueue;
import dev.writebackd.error.Errno;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The bio actor of one device (step 5 of the path of a write): queues bios through a
 * {@link RequestQueue} (one plug per {@link Submit}, so a chunk's adjacent bios merge), keeps at
 * most {@code queueDepth} device requests in flight, and performs each on the blocking-I/O
 * dispatcher {@value #DISPATCHER_ID}, the result piped back as a message. No device call runs on
 * the default dispatcher or on this actor's thread.
 *
 * <p>Completions are batched: when a device request finishes, each {@link Submit}'s
 * {@code replyTo} among the bios it carried gets one {@link Completed} with a {@link BioResult} per
 * original bio (a merged request's error applies to each). Every submitted bio is answered exactly
 * once, also after {@link Stop}.
 *
 * <p>Requests in flight together may complete in any order; only a FLUSH orders them (a barrier,
 * see {@link RequestQueue}). Callers therefore never have two writes of the same sectors in flight
 * at once, as the page cache guarantees: a page under writeback is not submitted again.
 *
 * <p>The dispatcher is defined in {@link #config()}, which the actor system's config must layer in;
 * creating the actor without it fails rather than fall back to the default dispatcher.
 */
public final class BioDispatcher extends AbstractBehavior<BioDispatcher.Command> {
    /** The config path and id of the blocking-I/O dispatcher that performs device requests. */
    public static final String DISPATCHER_ID = "writebackd.blocking-io-dispatcher";

    /** What the bio actor accepts. */
    public interface Command {}

    /**
     * Queues the bios of one chunk together (one plug) and performs them.
     *
     * @param bios the bios, in the order they should reach the device
     * @param replyTo gets the {@link Completed} batches for these bios
     */
    public record Submit(List<Bio> bios, ActorRef<Completed> replyTo) implements Command {
        /** Validates and freezes the message. */
        public Submit {
            bios = List.copyOf(requireNonNull(bios, "bios"));
            requireNonNull(replyTo, "replyTo");
        }
    }

    /**
     * Finished bios of one {@link Submit}'s target, from one device request.
     *
     * @param results one per original bio, in submission order
     */
    public record Completed(List<BioResult> results) {
        /** Freezes the results. */
        public Completed {
            results = List.copyOf(requireNonNull(results, "results"));
        }
    }

    /**
     * Changes how many device requests may be in flight; lowering it lets the excess finish.
     *
     * @param queueDepth at least 1
     */
    public record SetQueueDepth(int queueDepth) implements Command {
        /** Validates the depth. */
        public SetQueueDepth {
            checkQueueDepth(queueDepth);
        }
    }

    /** Asks for the counters. */
    public record GetStats(ActorRef<Stats> replyTo) implements Command {}

    /**
     * The bio actor's counters, since it started.
     *
     * @param biosSubmitted bios received in {@link Submit}s
     * @param requestsIssued device requests performed or being performed
     * @param bytesIssued bytes of those requests
     * @param biosCompleted bios answered, successfully or not
     * @param biosFailed bios answered with an error
     * @param inFlight device requests being performed now
     * @param queued device requests waiting for a slot or a barrier
     * @param queueDepth the current cap on {@code inFlight}
     */
    public record Stats(long biosSubmitted, long requestsIssued, long bytesIssued, long biosCompleted,
            long biosFailed, int inFlight, int queued, int queueDepth) {}

    /** Answers {@code replyTo} once nothing is queued or in flight. */
    public record Drain(ActorRef<Done> replyTo) implements Command {}

    /**
     * Stops after the requests in flight finish and are answered; queued bios and later submits
     * are answered with ESHUTDOWN without reaching the device.
     */
    public enum Stop implements Command {
        /** The only instance. */
        INSTANCE
    }

    /** A device request finished; {@code failure} is set if the device threw. */
    private record RequestDone(DeviceRequest request, Errno error, Throwable failure) implements Command {}

    private final BlockDevice device;
    private final Executor blockingIo;
    private final RequestQueue queue;
    // A bio's reply targets, oldest submit first: the same instance may be queued more than once.
    private final Map<Bio, Deque<ActorRef<Completed>>> replyTargets = new IdentityHashMap<>();
    private final List<ActorRef<Done>> drainWaiters = new ArrayList<>();
    private int queueDepth;
    private boolean stopping;
    private long biosSubmitted;
    private long requestsIssued;
    private long bytesIssued;
    private long biosCompleted;
    private long biosFailed;

    /** The bio actor of {@code device}, merging requests up to the default 1 MiB. */
    public static Behavior<Command> create(BlockDevice device, int queueDepth) {
        return create(device, queueDepth, RequestQueue.DEFAULT_MAX_REQUEST_BYTES);
    }

    /**
     * The bio actor of {@code device}.
     *
     * @param queueDepth device requests in flight at most, at least 1
     * @param maxRequestBytes the merge limit (see {@link RequestQueue})
     */
    public static Behavior<Command> create(BlockDevice device, int queueDepth, long maxRequestBytes) {
        requireNonNull(device, "device");
        checkQueueDepth(queueDepth);
        return Behaviors.setup(context ->
                new BioDispatcher(context, device, queueDepth, new RequestQueue(maxRequestBytes)));
    }

    /** The definition of {@value #DISPATCHER_ID}, to layer into the actor system's config. */
    public static Config config() {
        return ConfigFactory.parseResources(BioDispatcher.class, "dispatcher.conf",
                ConfigParseOptions.defaults().setAllowMissing(false));
    }

    private BioDispatcher(ActorContext<Command> context, BlockDevice device, int queueDepth, RequestQueue queue) {
        super(context);
        if (!context.getSystem().settings().config().hasPath(DISPATCHER_ID)) {
            throw new IllegalStateException(DISPATCHER_ID + " is not configured: layer in BioDispatcher.config()");
        }
        this.device = device;
        this.blockingIo = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(DISPATCHER_ID));
        this.queue = queue;
        this.queueDepth = queueDepth;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Submit.class, this::onSubmit)
                .onMessage(RequestDone.class, this::onRequestDone)
                .onMessage(SetQueueDepth.class, this::onSetQueueDepth)
                .onMessage(GetStats.class, this::onGetStats)
                .onMessage(Drain.class, this::onDrain)
                .onMessage(Stop.class, this::onStop)
                .build();
    }

    private Behavior<Command> onSubmit(Submit submit) {
        biosSubmitted += submit.bios().size();
        if (stopping) {
            List<BioResult> refused = submit.bios().stream().map(bio -> new BioResult(bio, Errno.ESHUTDOWN)).toList();
            countCompleted(refused.size(), Errno.ESHUTDOWN);
            submit.replyTo().tell(new Completed(refused));
            return this;
        }
        queue.plug();
        for (Bio bio : submit.bios()) {
            replyTargets.computeIfAbsent(bio, b -> new ArrayDeque<>(1)).addLast(submit.replyTo());
            queue.submit(bio);
        }
        queue.unplug();
        issue();
        return this;
    }

    private Behavior<Command> onRequestDone(RequestDone done) {
        Errno error = done.error();
        if (done.failure() != null) {
            getContext().getLog().error("Device request {} at sector {} threw; its {} bios fail with EIO",
                    done.request().bio().op(), done.request().bio().startSector(), done.request().carried().size(),
                    done.failure());
            error = Errno.EIO;
        }
        queue.complete(done.request());
        answer(done.request(), error);
        if (stopping && queue.inFlight() == 0) {
            answerDrainWaiters();
            return Behaviors.stopped();
        }
        issue();
        if (queue.isIdle()) {
            answerDrainWaiters();
        }
        return this;
    }

    private Behavior<Command> onSetQueueDepth(SetQueueDepth command) {
        getContext().getLog().debug("Queue depth {} -> {}", queueDepth, command.queueDepth());
        queueDepth = command.queueDepth();
        issue();
        return this;
    }

    private Behavior<Command> onGetStats(GetStats command) {
        command.replyTo().tell(new Stats(biosSubmitted, requestsIssued, bytesIssued, biosCompleted, biosFailed,
                queue.inFlight(), queue.queued(), queueDepth));
        return this;
    }

    private Behavior<Command> onDrain(Drain command) {
        if (queue.isIdle()) {
            command.replyTo().tell(Done.getInstance());
        } else {
            drainWaiters.add(command.replyTo());
        }
        return this;
    }

    private Behavior<Command> onStop(Stop command) {
        stopping = true;
        for (DeviceRequest cancelled : queue.cancelQueued()) {
            answer(cancelled, Errno.ESHUTDOWN);
        }
        if (queue.inFlight() == 0) {
            answerDrainWaiters();
            return Behaviors.stopped();
        }
        return this;
    }

    /** Starts queued requests while the queue depth and the barriers allow. */
    private void issue() {
        while (queue.inFlight() < queueDepth) {
            DeviceRequest request = queue.poll();
            if (request == null) {
                return;
            }
            requestsIssued++;
            bytesIssued += request.bio().lengthBytes();
            CompletableFuture<Errno> result = CompletableFuture.supplyAsync(() -> device.submit(request.bio()), blockingIo);
            getContext().pipeToSelf(result, (error, failure) -> new RequestDone(request, error, unwrap(failure)));
        }
    }

    /** Sends each reply target among the request's bios one batch of their results. */
    private void answer(DeviceRequest request, Errno error) {
        Map<ActorRef<Completed>, List<BioResult>> batches = new LinkedHashMap<>();
        for (Bio bio : request.carried()) {
            batches.computeIfAbsent(takeReplyTarget(bio), target -> new ArrayList<>()).add(new BioResult(bio, error));
        }
        batches.forEach((target, results) -> target.tell(new Completed(results)));
        countCompleted(request.carried().size(), error);
    }

    private ActorRef<Completed> takeReplyTarget(Bio bio) {
        Deque<ActorRef<Completed>> targets = replyTargets.get(bio);
        ActorRef<Completed> target = targets.removeFirst();
        if (targets.isEmpty()) {
            replyTargets.remove(bio);
        }
        return target;
    }

    private void countCompleted(int bios, Errno error) {
        biosCompleted += bios;
        if (error != null) {
            biosFailed += bios;
        }
    }

    private void answerDrainWaiters() {
        drainWaiters.forEach(waiter -> waiter.tell(Done.getInstance()));
        drainWaiters.clear();
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    private static void checkQueueDepth(int queueDepth) {
        if (queueDepth < 1) {
            throw new IllegalArgumentException("queue depth " + queueDepth + " is below 1");
        }
    }
}
