package dev.writebackd.actors.persist;

import static java.util.Objects.requireNonNull;

import dev.writebackd.actors.engine.MetadataCommitter;
import dev.writebackd.actors.engine.SharedLayout;
import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.actors.io.BioResult;
import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.Ext2Commits.Snapshot;
import dev.writebackd.layout.MetadataCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes an {@code ext2} file's metadata durable: the last step of its fsync, sync and shutdown. The
 * map blocks live on the device; the file's record holds its inode — size and pointers — and the
 * allocator is rebuilt at start-up from what the committed inodes reach ({@link Ext2Startup}).
 *
 * <p>fsync has written the data, waited, written the dirty map blocks, waited and flushed the device
 * (DESIGN.md "Persistence") when it asks for the commit. The commit then takes the file's snapshot
 * ({@link dev.writebackd.layout.Ext2Commits#take}) under the layout's lock, together with the state
 * of the file's map blocks: writers may have changed some since fsync wrote them. Map blocks of the
 * file still dirty are written in the same locked step (a consistent copy of the tree the snapshot
 * points into), writes of them already in flight are waited for, and the device is flushed — only
 * then is the inode persisted, so a committed inode never points at a map block that is not on the
 * device. A map block dirtied again while an older write of it was in flight needs another round.
 * After the record has persisted the inode and the journal database is forced ({@link JournalSync}),
 * the blocks the file freed before the snapshot become reusable; on any failure they stay pending
 * and go with the file's next commit.
 *
 * <p>Per file one commit runs at a time; commits asked for meanwhile share the next one. Each
 * commit persists the whole inode, so one that failed or timed out is simply superseded by the
 * next. Thread-safe, never blocks the caller; the stage fails with a {@link FileError} (EIO).
 */
public final class Ext2Committer implements MetadataCommitter {
    private static final Logger log = LoggerFactory.getLogger(Ext2Committer.class);
    private static final int MAX_ROUNDS = 64;
    private static final long POLL_MILLIS = 1;

    /** One file's commits: guarded by the slot's monitor. */
    private static final class Slot {
        boolean running;
        CompletableFuture<Void> next;
    }

    /** A snapshot, the map-block writes issued with it, and the map blocks whose writes were already in flight. */
    private record Prepared(Snapshot snapshot, List<Bio> writes, List<Long> inFlight, boolean rewrite) {}

    private final SharedLayout layout;
    private final MetadataCache cache;
    private final ActorRef<FileRecords.Command> records;
    private final ActorRef<BioDispatcher.Command> bios;
    private final JournalSync sync;
    private final Executor blockingExecutor;
    private final Scheduler scheduler;
    private final Duration askTimeout;
    private final ConcurrentHashMap<Long, Slot> slots = new ConcurrentHashMap<>();
    private final Set<Long> deleted = ConcurrentHashMap.newKeySet();

    /**
     * A committer of the persistent {@code ext2} {@code layout}'s files into {@code records}.
     *
     * @param cache the device's map-block cache
     * @param bios the device's bio actor: map-block writes and flushes
     * @param sync forces the journal database
     * @param blockingExecutor runs the forced syncs
     * @param askTimeout how long a record or the device may take to answer
     */
    public Ext2Committer(SharedLayout layout, MetadataCache cache, ActorRef<FileRecords.Command> records,
            ActorRef<BioDispatcher.Command> bios, JournalSync sync, Executor blockingExecutor, Scheduler scheduler,
            Duration askTimeout) {
        this.layout = requireNonNull(layout, "layout");
        this.cache = requireNonNull(cache, "cache");
        this.records = requireNonNull(records, "records");
        this.bios = requireNonNull(bios, "bios");
        this.sync = requireNonNull(sync, "sync");
        this.blockingExecutor = requireNonNull(blockingExecutor, "blockingExecutor");
        this.scheduler = requireNonNull(scheduler, "scheduler");
        this.askTimeout = requireNonNull(askTimeout, "askTimeout");
    }

    @Override
    public CompletionStage<Void> commit(long inode) {
        if (deleted.contains(inode)) {
            return CompletableFuture.completedFuture(null); // its record is deleted: nothing left to commit
        }
        Slot slot = slots.computeIfAbsent(inode, i -> new Slot());
        synchronized (slot) {
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

    private void run(long inode, Slot slot, CompletableFuture<Void> result) {
        CompletionStage<Void> once;
        try {
            once = prepare(inode, 0).thenCompose(this::persist);
        } catch (RuntimeException e) {
            once = CompletableFuture.failedFuture(e);
        }
        once.whenComplete((done, failure) -> {
            CompletableFuture<Void> next;
            synchronized (slot) {
                next = slot.next;
                slot.next = null;
                slot.running = next != null;
            }
            CommitOutcome.settle(result, inode, failure, log);
            if (next != null) {
                run(inode, slot, next);
            }
        });
    }

    /** Takes the snapshot once every map block it reaches is on the device (written and flushed). */
    private CompletionStage<Snapshot> prepare(long inode, int round) {
        if (round >= MAX_ROUNDS) {
            return CompletableFuture.failedFuture(new FileError(Errno.EIO,
                    "the map blocks of inode " + inode + " kept changing while they were written"));
        }
        Prepared prepared = layout.withExt2Commits(commits -> {
            Snapshot snapshot = commits.take(inode, layout.size(inode));
            List<Bio> writes = new ArrayList<>();
            List<Long> inFlight = new ArrayList<>();
            boolean rewrite = false;
            for (long block : snapshot.deleted() ? List.<Long>of() : commits.cachedMapBlocks(inode)) {
                if (cache.isWriteInFlight(block)) {
                    inFlight.add(block);
                    rewrite |= cache.isDirty(block);
                } else if (cache.isDirty(block)) {
                    writes.add(cache.writeIfDirty(block));
                }
            }
            return new Prepared(snapshot, writes, inFlight, rewrite);
        });
        Snapshot snapshot = prepared.snapshot();
        if (prepared.writes().isEmpty() && prepared.inFlight().isEmpty()) {
            return CompletableFuture.completedFuture(snapshot);
        }
        CompletionStage<Void> onDevice = write(prepared.writes())
                .thenCompose(written -> awaitWrites(prepared.inFlight(), System.nanoTime() + askTimeout.toNanos()));
        return onDevice.handle((written, failure) -> failure).thenCompose(failure -> {
            if (failure != null || prepared.rewrite()) {
                putBack(snapshot); // its frees go with the next round's snapshot, or the next commit
            }
            if (failure != null) {
                return CompletableFuture.failedFuture(failure);
            }
            if (prepared.rewrite()) {
                return prepare(inode, round + 1);
            }
            return flush().handle((flushed, flushFailure) -> {
                if (flushFailure != null) {
                    putBack(snapshot);
                    throw new CompletionException(CommitOutcome.unwrap(flushFailure));
                }
                return snapshot;
            });
        });
    }

    /** Persists {@code snapshot} in the file's record, forces the journal, then releases its frees. */
    private CompletionStage<Void> persist(Snapshot snapshot) {
        long inode = snapshot.inode();
        CompletionStage<FileRecord.Committed> persisted = AskPattern.askWithStatus(records,
                replyTo -> new FileRecords.Deliver(inode, snapshot.deleted()
                        ? new FileRecord.Delete(replyTo)
                        : new FileRecord.CommitInode(snapshot.size(), snapshot.pointers(), replyTo)),
                askTimeout, scheduler);
        return persisted.thenCompose(committed -> sync.forceAsync(blockingExecutor)).handle((forced, failure) -> {
            if (failure != null) {
                putBack(snapshot);
                throw new CompletionException(CommitOutcome.unwrap(failure));
            }
            layout.withExt2Commits(commits -> {
                commits.committed(snapshot);
                return null;
            });
            if (snapshot.deleted()) {
                deleted.add(inode);
            }
            return null;
        });
    }

    private void putBack(Snapshot snapshot) {
        layout.withExt2Commits(commits -> {
            commits.failed(snapshot);
            return null;
        });
    }

    /** Writes the map blocks, one request each; completes when all are written, fails on any error. */
    private CompletionStage<Void> write(List<Bio> writes) {
        List<CompletableFuture<BioDispatcher.Completed>> asks = new ArrayList<>();
        for (Bio bio : writes) {
            long block = bio.segments().get(0).metaBlock();
            asks.add(AskPattern.<BioDispatcher.Command, BioDispatcher.Completed>ask(bios,
                    replyTo -> new BioDispatcher.Submit(List.of(bio), replyTo), askTimeout, scheduler)
                    .whenComplete((completed, failure) -> cache.writeCompleted(block, failure == null
                            && completed.results().stream().allMatch(BioResult::succeeded)))
                    .toCompletableFuture());
        }
        return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).thenRun(() -> {
            for (CompletableFuture<BioDispatcher.Completed> ask : asks) {
                for (BioResult result : ask.join().results()) {
                    if (!result.succeeded()) {
                        throw new FileError(Errno.EIO, "a map block write failed: " + result.error());
                    }
                }
            }
        });
    }

    /** Completes once no write of {@code blocks} is in flight any more (they were issued by others). */
    private CompletionStage<Void> awaitWrites(List<Long> blocks, long deadline) {
        if (blocks.stream().noneMatch(cache::isWriteInFlight)) {
            return CompletableFuture.completedFuture(null);
        }
        if (System.nanoTime() > deadline) {
            return CompletableFuture.failedFuture(new FileError(Errno.EIO, "map block writes of others did not end"));
        }
        Executor later = CompletableFuture.delayedExecutor(POLL_MILLIS, TimeUnit.MILLISECONDS, blockingExecutor);
        return CompletableFuture.supplyAsync(() -> null, later).thenCompose(polled -> awaitWrites(blocks, deadline));
    }

    private CompletionStage<Void> flush() {
        return AskPattern.<BioDispatcher.Command, BioDispatcher.Completed>ask(bios,
                replyTo -> new BioDispatcher.Submit(List.of(Bio.flush(Set.of(BioFlag.SYNC))), replyTo), askTimeout,
                scheduler).thenAccept(completed -> {
                    for (BioResult result : completed.results()) {
                        if (!result.succeeded()) {
                            throw new FileError(Errno.EIO, "the device flush failed: " + result.error());
                        }
                    }
                });
    }
}
