package dev.writebackd.actors.persist;

import static java.util.Objects.requireNonNull;

import dev.writebackd.layout.MappingJournal;
import dev.writebackd.layout.MappingJournal.Batch;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.LongConsumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a file's metadata durable: fsync's last step (E1) and the periodic commit, in ordered
 * mode. {@link #commit(long)} drains the file's batch from the {@link MappingJournal}, persists
 * it in the file's {@link FileRecord} (one {@link FileRecord.Commit}, or {@link FileRecord.Delete}
 * after an unlink), forces the journal database to disk ({@link JournalSync}), and only then tells
 * the journal the batch is committed, which makes its freed blocks reusable.
 *
 * <p>Per file, one commit runs at a time. Commits asked for while one runs share the next one,
 * which picks up everything that became committable meanwhile: a group commit, and the
 * back-pressure of {@link Namespace}'s Javadoc, since no record ever has more than one command of
 * this committer outstanding. Forces of the journal are shared the same way across files: while
 * one runs, the requests that arrive wait for a single next one.
 *
 * <p>When the record's answer does not come (a timeout, a journal failure that restarts the
 * record), whether the batch was persisted is unknown. The batch then stays <em>in doubt</em>, and
 * the file's next commit first reads the record back: if the record holds the batch, it is forced
 * and committed; if not, it goes back to the journal ({@link MappingJournal#failed}) and is sent
 * again with the changes made since. A batch the record refuses persisted nothing and goes back at
 * once.
 *
 * <p>Same contract as the engine's metadata committer: thread-safe, never blocks the caller, and
 * the stage fails with a {@link FileError} (EIO) when the metadata is not known to be durable.
 */
public final class PersistentCommitter {
    private static final Logger log = LoggerFactory.getLogger(PersistentCommitter.class);

    /**
     * One file's commits. {@code running} and {@code next} are guarded by the slot's monitor;
     * {@code inDoubt} and {@code unforced} belong to the one commit that runs at a time.
     */
    private static final class Slot {
        boolean running;
        boolean retired;
        CompletableFuture<Void> next;
        Batch inDoubt;
        Batch unforced;
    }

    private final MappingJournal journal;
    private final ActorRef<FileRecords.Command> records;
    private final Executor blockingExecutor;
    private final Scheduler scheduler;
    private final Duration askTimeout;
    private final JournalForce force;
    private final LongConsumer eventsPersisted;
    private final ConcurrentHashMap<Long, Slot> slots = new ConcurrentHashMap<>();

    /**
     * A committer of {@code journal}'s batches into the device's {@code records}.
     *
     * @param sync forces the journal database
     * @param blockingExecutor runs the forced syncs (a blocking dispatcher)
     * @param askTimeout how long a record may take to answer
     */
    public PersistentCommitter(MappingJournal journal, ActorRef<FileRecords.Command> records, JournalSync sync,
            Executor blockingExecutor, Scheduler scheduler, Duration askTimeout) {
        this(journal, records, sync, blockingExecutor, scheduler, askTimeout, events -> { });
    }

    /**
     * A committer of {@code journal}'s batches into the device's {@code records} that tells
     * {@code eventsPersisted} how many events each persisted batch added to the journal (one).
     */
    public PersistentCommitter(MappingJournal journal, ActorRef<FileRecords.Command> records, JournalSync sync,
            Executor blockingExecutor, Scheduler scheduler, Duration askTimeout, LongConsumer eventsPersisted) {
        this.eventsPersisted = requireNonNull(eventsPersisted, "eventsPersisted");
        this.journal = requireNonNull(journal, "journal");
        this.records = requireNonNull(records, "records");
        this.blockingExecutor = requireNonNull(blockingExecutor, "blockingExecutor");
        this.scheduler = requireNonNull(scheduler, "scheduler");
        this.askTimeout = requireNonNull(askTimeout, "askTimeout");
        this.force = new JournalForce(requireNonNull(sync, "sync"));
    }

    /**
     * Makes the metadata of file {@code inode} durable: every change the journal holds as
     * committable when this is called (or later) is persisted and forced before the stage
     * completes. Returns at once.
     *
     * @return completes when the metadata is durable; fails with a {@link FileError} (EIO)
     */
    public CompletionStage<Void> commit(long inode) {
        while (true) {
            Slot slot = slots.computeIfAbsent(inode, i -> new Slot());
            synchronized (slot) {
                if (slot.retired) {
                    continue;
                }
                if (slot.running) {
                    if (slot.next == null) {
                        slot.next = new CompletableFuture<>();
                    }
                    return slot.next;
                }
                slot.running = true;
            }
            CompletableFuture<Void> result = new CompletableFuture<>();
            run(inode, slot, result);
            return result;
        }
    }

    private void run(long inode, Slot slot, CompletableFuture<Void> result) {
        CompletionStage<Void> round;
        try {
            round = resolveInDoubt(inode, slot)
                    .thenCompose(resolved -> forceAndRelease(slot))
                    .thenCompose(forced -> commitNext(inode, slot));
        } catch (RuntimeException e) {
            round = CompletableFuture.failedFuture(e);
        }
        round.whenComplete((done, failure) -> {
            CompletableFuture<Void> next;
            synchronized (slot) {
                next = slot.next;
                slot.next = null;
                if (next == null) {
                    slot.running = false;
                    if (slot.inDoubt == null && slot.unforced == null) {
                        slot.retired = true;
                        slots.remove(inode, slot);
                    }
                }
            }
            CommitOutcome.settle(result, inode, failure, log);
            if (next != null) {
                run(inode, slot, next);
            }
        });
    }

    /** Reads the record back when the previous commit's outcome is unknown, and settles the batch. */
    private CompletionStage<Void> resolveInDoubt(long inode, Slot slot) {
        Batch batch = slot.inDoubt;
        if (batch == null) {
            return CompletableFuture.completedFuture(null);
        }
        return AskPattern.<FileRecords.Command, FileRecord.State>ask(records,
                        replyTo -> new FileRecords.Deliver(inode, new FileRecord.Get(replyTo)), askTimeout, scheduler)
                .thenAccept(state -> {
                    slot.inDoubt = null;
                    if (state.holds(batch)) {
                        slot.unforced = batch;
                    } else {
                        journal.failed(batch);
                    }
                });
    }

    /** Forces the journal for a persisted batch, then makes its frees reusable. */
    private CompletionStage<Void> forceAndRelease(Slot slot) {
        Batch batch = slot.unforced;
        if (batch == null) {
            return CompletableFuture.completedFuture(null);
        }
        return force.request().thenRun(() -> {
            slot.unforced = null;
            journal.committed(batch);
        });
    }

    private CompletionStage<Void> commitNext(long inode, Slot slot) {
        Optional<Batch> drained = journal.drain(inode);
        if (drained.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        Batch batch = drained.get();
        return persist(batch).handle((committed, failure) -> {
            if (failure == null) {
                eventsPersisted.accept(1); // a record persists one event per batch
                slot.unforced = batch;
                return forceAndRelease(slot);
            }
            Throwable cause = CommitOutcome.unwrap(failure);
            if (cause instanceof FileError) {
                journal.failed(batch);
            } else {
                slot.inDoubt = batch;
            }
            return CompletableFuture.<Void>failedFuture(cause);
        }).thenCompose(stage -> stage);
    }

    private CompletionStage<FileRecord.Committed> persist(Batch batch) {
        return AskPattern.askWithStatus(records, replyTo -> new FileRecords.Deliver(batch.inode(), batch.deleted()
                        ? new FileRecord.Delete(replyTo)
                        : new FileRecord.Commit(batch.size(), batch.mapped(), batch.freed(), replyTo)),
                askTimeout, scheduler);
    }

    /**
     * Forced syncs of the journal database shared between callers: at most one runs; requests
     * arriving meanwhile wait together for one more, which starts after them and so covers
     * everything they persisted. Thread-safe; the fields are guarded by its monitor.
     */
    private final class JournalForce {
        private final JournalSync sync;
        private CompletableFuture<Void> running;
        private CompletableFuture<Void> queued;

        JournalForce(JournalSync sync) {
            this.sync = sync;
        }

        synchronized CompletableFuture<Void> request() {
            if (running == null) {
                CompletableFuture<Void> first = new CompletableFuture<>();
                running = first;
                start(first);
                return first;
            }
            if (queued == null) {
                queued = new CompletableFuture<>();
            }
            return queued;
        }

        private void start(CompletableFuture<Void> target) {
            sync.forceAsync(blockingExecutor).whenComplete((done, failure) -> {
                synchronized (this) {
                    running = queued;
                    queued = null;
                    if (running != null) {
                        start(running);
                    }
                }
                if (failure == null) {
                    target.complete(null);
                } else {
                    target.completeExceptionally(failure);
                }
            });
        }
    }
}
