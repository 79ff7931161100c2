package dev.writebackd.actors;

import static java.util.Objects.requireNonNull;

import dev.writebackd.actors.engine.InodeActor;
import dev.writebackd.actors.engine.MetadataCommitter;
import dev.writebackd.actors.engine.WriteData;
import dev.writebackd.actors.persist.JournaledData;
import dev.writebackd.actors.persist.JournaledData.Change;
import dev.writebackd.actors.persist.JournaledFiles;
import dev.writebackd.config.Durability;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import dev.writebackd.page.PagePool;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's side of {@code journaled} durability: each file's changes go to its
 * {@link JournaledData} first and into the page cache only once persisted; they are trimmed once
 * their data is written back, flushed and its mapping committed.
 *
 * <p><b>Order.</b> Per file, appends run one at a time; what queues meanwhile goes together in the
 * next one ({@code persistAll}, at most {@link #MAX_BATCH_CHANGES} events), and the persisted
 * changes are sent to the file's inode actor in their sequence order, so the page cache and a
 * later replay see them in the same order. With at most one append and one trim outstanding per
 * file, an entity's stash never comes near its capacity: no command is dropped.
 *
 * <p><b>Later writes win after a crash.</b> A replay writes the untrimmed changes over what the
 * device holds. A change that is not journaled but overlaps an untrimmed (or queued) journaled
 * change of the same file — a {@code cached} or {@code synced} write over a journaled range, a
 * truncate while anything is untrimmed — is therefore journaled as well, behind it, so a replay
 * applies both in order and never puts older journaled bytes over newer data that reached the
 * device. The check and the send into the inode actor happen under the file's lock, so the cache
 * sees the changes in the order the journal has them.
 *
 * <p><b>Trimming.</b> A write's changes become trimmable when its durable future completes (its
 * pages are written and the device flushed; the inode actor makes the mapping committable first)
 * and a metadata commit of the file started after that completes. Trims delete a prefix: up to the
 * change before the oldest one not trimmable. A change whose writeback failed stays until the next
 * start replays it, holding back the trim of the file's later changes.
 *
 * <p>Thread-safe: each file's state is guarded by its own monitor.
 */
final class JournaledWrites {
    private static final Logger LOG = LoggerFactory.getLogger(JournaledWrites.class);
    /** The most events one append persists. */
    static final int MAX_BATCH_CHANGES = 64;
    /** The pause before a failed metadata commit of trimmable changes is tried again. */
    private static final Duration COMMIT_RETRY = Duration.ofSeconds(1);
    /** How often {@link #quiet} looks. */
    private static final Duration POLL = Duration.ofMillis(10);
    /** Stripes of the count of writes sent without the file's lock, and ints per stripe (a cache line). */
    private static final int DIRECT_STRIPES = 8;
    private static final int DIRECT_PAD = 16;

    private final ActorRef<JournaledFiles.Command> entities;
    private final MetadataCommitter committer;
    private final PagePool pool;
    private final Scheduler scheduler;
    private final Duration askTimeout;
    private final Executor callbacks;
    private final Map<Long, FileLog> files = new ConcurrentHashMap<>();
    private volatile boolean stopped;
    /** Set for good once a journaled change is made or replayed: from then on every write takes its file's lock. */
    private volatile boolean used;
    /** Writes being sent without the file's lock ({@link #enterDirect}), striped by thread, one per cache line. */
    private final AtomicIntegerArray direct = new AtomicIntegerArray(DIRECT_STRIPES * DIRECT_PAD);

    JournaledWrites(ActorRef<JournaledFiles.Command> entities, MetadataCommitter committer, PagePool pool,
            Scheduler scheduler, Duration askTimeout, Executor callbacks) {
        this.entities = requireNonNull(entities, "entities");
        this.committer = requireNonNull(committer, "committer");
        this.pool = requireNonNull(pool, "pool");
        this.scheduler = requireNonNull(scheduler, "scheduler");
        this.askTimeout = requireNonNull(askTimeout, "askTimeout");
        this.callbacks = requireNonNull(callbacks, "callbacks");
    }

    /** Splits {@code bytes} at {@code offset} into write changes of at most {@link JournaledData#MAX_CHUNK_BYTES}. */
    static List<Change> chunks(long offset, byte[] bytes) {
        List<Change> changes = new ArrayList<>(bytes.length / JournaledData.MAX_CHUNK_BYTES + 1);
        for (int from = 0; from < bytes.length; from += JournaledData.MAX_CHUNK_BYTES) {
            int to = Math.min(bytes.length, from + JournaledData.MAX_CHUNK_BYTES);
            changes.add(Change.write(offset + from, Arrays.copyOfRange(bytes, from, to)));
        }
        return changes;
    }

    /**
     * Lets a write that is not journaled skip the file's lock and the overlap check while no
     * journaled change was ever made or replayed by this engine (then none can overlap it). If this
     * returns {@code true}, the caller sends the write and then calls {@link #exitDirect}; the first
     * journaled change waits for such sends to end, so none of them can reach the cache after it.
     *
     * @return whether the write may be sent directly; if {@code false}, it goes through
     *     {@link #write(long, ActorRef, long, long, ByteBuffer, Durability, CompletableFuture, Supplier)}
     */
    boolean enterDirect() {
        if (used) {
            return false;
        }
        int stripe = directStripe();
        direct.incrementAndGet(stripe);
        if (used) {
            direct.decrementAndGet(stripe);
            return false;
        }
        return true;
    }

    /** The write {@link #enterDirect} let through has been sent. */
    void exitDirect() {
        direct.decrementAndGet(directStripe());
    }

    private static int directStripe() {
        return ((int) Thread.currentThread().getId() & (DIRECT_STRIPES - 1)) * DIRECT_PAD;
    }

    /** A journaled change is about to be made: from now on no write skips the lock; waits for those that did. */
    private void markUsed() {
        if (used) {
            return;
        }
        used = true;
        for (int i = 0; i < DIRECT_STRIPES; i++) {
            while (direct.get(i * DIRECT_PAD) != 0) {
                Thread.onSpinWait();
            }
        }
    }

    /**
     * A journaled write of {@code bytes} at {@code offset} through handle {@code handleId}: answered
     * once its events are persisted and the inode actor has taken it.
     */
    CompletionStage<InodeActor.Written> write(long inode, ActorRef<InodeActor.Command> file, long handleId, long offset,
            byte[] bytes, CompletableFuture<Void> durable) {
        markUsed();
        FileLog fileLog = file(inode);
        synchronized (fileLog) {
            return fileLog.enqueue(chunks(offset, bytes), offset, offset + bytes.length,
                    (first, last) -> applyWrite(fileLog, file, handleId, offset, bytes, Durability.CACHED, durable,
                            first, last));
        }
    }

    /**
     * A write that is not journaled: journaled all the same when it overlaps untrimmed journaled
     * changes of the file, else {@code direct} is called (under the file's lock) to send it.
     */
    CompletionStage<InodeActor.Written> write(long inode, ActorRef<InodeActor.Command> file, long handleId, long offset,
            ByteBuffer data, Durability durability, CompletableFuture<Void> durable, Supplier<CompletionStage<InodeActor.Written>> direct) {
        FileLog fileLog = file(inode);
        synchronized (fileLog) {
            long end = offset + data.remaining();
            if (!fileLog.overlaps(offset, end)) {
                return direct.get();
            }
            byte[] bytes = new byte[data.remaining()];
            data.duplicate().get(bytes);
            return fileLog.enqueue(chunks(offset, bytes), offset, end,
                    (first, last) -> applyWrite(fileLog, file, handleId, offset, bytes, durability, durable, first,
                            last));
        }
    }

    /** A truncate: journaled while the file has untrimmed journaled changes, else sent by {@code direct}. */
    CompletionStage<Done> truncate(long inode, ActorRef<InodeActor.Command> file, long size,
            Supplier<CompletionStage<Done>> direct) {
        FileLog fileLog = file(inode);
        synchronized (fileLog) {
            if (!fileLog.hasChanges()) {
                return direct.get();
            }
            return fileLog.enqueue(List.of(Change.truncate(size)), size, Long.MAX_VALUE,
                    (first, last) -> applyTruncate(fileLog, file, size, first));
        }
    }

    /**
     * File {@code inode} is unlinked: its journaled changes are dropped after those queued, and
     * later writes through handles still open are no longer journaled.
     */
    void discard(long inode) {
        FileLog fileLog = file(inode);
        synchronized (fileLog) {
            fileLog.discarded = true;
            fileLog.pump();
        }
    }

    /** At start-up: file {@code inode}'s untrimmed changes, as its entity recovered them. */
    CompletionStage<JournaledData.State> untrimmed(long inode, Duration timeout) {
        return AskPattern.ask(entities, replyTo -> new JournaledFiles.Deliver(inode, new JournaledData.Get(replyTo)),
                timeout, scheduler);
    }

    /**
     * At start-up: applies {@code state}'s untrimmed changes of file {@code inode} to its inode actor
     * through handle {@code handleId}, in order; they are then trimmed like new ones.
     *
     * @return completes when the inode actor has taken every change
     */
    CompletionStage<Void> replay(long inode, ActorRef<InodeActor.Command> file, long handleId,
            JournaledData.State state) {
        if (!state.entries().isEmpty()) {
            markUsed();
        }
        FileLog fileLog = file(inode);
        List<CompletableFuture<?>> applied = new ArrayList<>();
        synchronized (fileLog) {
            for (JournaledData.Entry entry : state.entries()) {
                Change change = entry.change();
                long seq = entry.seq();
                if (change.kind() == JournaledData.Kind.WRITE) {
                    fileLog.track(seq, seq, change.offset(), change.offset() + change.bytes().length);
                    applied.add(applyWrite(fileLog, file, handleId, change.offset(), change.bytes(), Durability.CACHED,
                            new CompletableFuture<>(), seq, seq).toCompletableFuture());
                } else {
                    fileLog.track(seq, seq, change.offset(), Long.MAX_VALUE);
                    applied.add(applyTruncate(fileLog, file, change.offset(), seq).toCompletableFuture());
                }
            }
            fileLog.trimmedUpTo = state.trimmedUpTo();
        }
        return CompletableFuture.allOf(applied.toArray(CompletableFuture[]::new));
    }

    /**
     * Completes once every file's journaled writes are in its page cache ({@code trimmed} false),
     * or also trimmed as far as they can be ({@code trimmed} true), or at {@code deadline}
     * ({@link System#nanoTime()}), whichever comes first; checks every {@link #POLL}.
     */
    CompletionStage<Void> quiet(boolean trimmed, long deadline) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        poll(trimmed, deadline, result);
        return result;
    }

    private void poll(boolean trimmed, long deadline, CompletableFuture<Void> result) {
        boolean quiet = files.values().stream().allMatch(f -> trimmed ? f.settled() : f.applied());
        if (quiet || System.nanoTime() - deadline >= 0) {
            result.complete(null);
            return;
        }
        CompletableFuture.delayedExecutor(POLL.toMillis(), TimeUnit.MILLISECONDS, callbacks)
                .execute(() -> poll(trimmed, deadline, result));
    }

    /** The engine stopped: failed commits are not tried again. */
    void stop() {
        stopped = true;
    }

    private FileLog file(long inode) {
        return files.computeIfAbsent(inode, FileLog::new);
    }

    /** Sends a persisted write to the inode actor (under the file's lock) and wires its trim. */
    private CompletionStage<InodeActor.Written> applyWrite(FileLog fileLog, ActorRef<InodeActor.Command> file, long handleId,
            long offset, byte[] bytes, Durability durability, CompletableFuture<Void> durable, long first, long last) {
        WriteData staged = WriteData.copyOf(pool, offset, ByteBuffer.wrap(bytes));
        Runnable settled = fileLog.begin();
        CompletionStage<InodeActor.Written> answer = AskPattern.askWithStatus(file,
                replyTo -> new InodeActor.Write(handleId, staged, durability, durable, replyTo), askTimeout, scheduler);
        answer.whenCompleteAsync((written, failure) -> {
            if (failure != null) {
                fileLog.ready(first, last); // nothing was applied: nothing to keep
                settled.run();
            }
        }, callbacks);
        durable.whenCompleteAsync((ok, failure) -> {
            if (failure == null) {
                commitThenReady(fileLog, first, last, settled);
            } else {
                settled.run();
                LOG.warn("journaled changes {}..{} of inode {} were not written back ({}); they stay in"
                        + " the journal for the next start", first, last, fileLog.inode, failure.toString());
            }
        }, callbacks);
        return answer;
    }

    private CompletionStage<Done> applyTruncate(FileLog fileLog, ActorRef<InodeActor.Command> file, long size, long seq) {
        Runnable settled = fileLog.begin();
        CompletionStage<Done> answer = AskPattern.askWithStatus(file, replyTo -> new InodeActor.Truncate(size, replyTo),
                askTimeout, scheduler);
        answer.whenCompleteAsync((done, failure) -> {
            if (failure == null) {
                commitThenReady(fileLog, seq, seq, settled);
            } else {
                fileLog.ready(seq, seq);
                settled.run();
            }
        }, callbacks);
        return answer;
    }

    private void commitThenReady(FileLog fileLog, long first, long last, Runnable settled) {
        committer.commit(fileLog.inode).whenCompleteAsync((ok, failure) -> {
            if (failure == null) {
                fileLog.ready(first, last);
                settled.run();
            } else if (stopped) {
                settled.run();
            } else {
                fileLog.retryLater(first, last, settled);
            }
        }, callbacks);
    }

    private <T> CompletionStage<T> ask(long inode,
            org.apache.pekko.japi.function.Function<ActorRef<StatusReply<T>>, JournaledData.Command> command) {
        return AskPattern.askWithStatus(entities, replyTo -> new JournaledFiles.Deliver(inode, command.apply(replyTo)),
                askTimeout, scheduler);
    }

    /** What to do with a change once persisted, given its sequence numbers; called under the file's lock. */
    @FunctionalInterface
    private interface Apply<T> {
        CompletionStage<T> apply(long firstSeq, long lastSeq);
    }

    /** A queued change: its events, the byte range it touches, and what to do once persisted. */
    private record Request<T>(List<Change> changes, long start, long end, Apply<T> apply, CompletableFuture<T> result) {
        void applied(long first, long last) {
            apply.apply(first, last).whenComplete((value, failure) -> {
                if (failure == null) {
                    result.complete(value);
                } else {
                    result.completeExceptionally(failure);
                }
            });
        }
    }

    /** A persisted change not yet trimmed: the bytes it touches and whether it may be trimmed. */
    private static final class Tracked {
        final long start;
        final long end;
        boolean ready;

        Tracked(long start, long end) {
            this.start = start;
            this.end = end;
        }
    }

    /** One file's queue and untrimmed changes; guarded by its monitor. */
    private final class FileLog {
        final long inode;
        final ArrayDeque<Request<?>> queue = new ArrayDeque<>();
        final TreeMap<Long, Tracked> tracked = new TreeMap<>();
        /** The requests of the append in flight. */
        List<Request<?>> sending = List.of();
        boolean appending;
        boolean trimming;
        boolean discarded;
        boolean discardSent;
        long trimmedUpTo;

        FileLog(long inode) {
            this.inode = inode;
        }

        /** Changes sent to the inode actor whose trim is not decided yet. */
        int inProgress;

        /** A change is sent to the inode actor; the answer runs once it is trimmable or never will be. */
        Runnable begin() {
            inProgress++;
            AtomicBoolean once = new AtomicBoolean();
            return () -> {
                if (once.compareAndSet(false, true)) {
                    synchronized (this) {
                        inProgress--;
                    }
                }
            };
        }

        /** Nothing queued, persisting, in progress or left to trim that could be trimmed now. */
        synchronized boolean settled() {
            return queue.isEmpty() && !appending && !trimming && inProgress == 0 && trimTarget() <= trimmedUpTo;
        }

        /** Nothing queued or being persisted. */
        synchronized boolean applied() {
            return queue.isEmpty() && !appending;
        }

        boolean hasChanges() {
            return !queue.isEmpty() || !tracked.isEmpty() || appending;
        }

        boolean overlaps(long start, long end) {
            for (Request<?> request : queue) {
                if (request.start() < end && start < request.end()) {
                    return true;
                }
            }
            for (Request<?> request : sending) {
                if (request.start() < end && start < request.end()) {
                    return true;
                }
            }
            for (Tracked t : tracked.values()) {
                if (t.start < end && start < t.end) {
                    return true;
                }
            }
            return false;
        }

        <T> CompletionStage<T> enqueue(List<Change> changes, long start, long end, Apply<T> apply) {
            if (discarded) {
                // The file is unlinked and will not be replayed: a write through a handle still open
                // goes to the cache unjournaled (a handle may write to an unlinked file).
                return apply.apply(-1, -1);
            }
            CompletableFuture<T> result = new CompletableFuture<>();
            queue.add(new Request<>(changes, start, end, apply, result));
            pump();
            return result;
        }

        void track(long first, long last, long start, long end) {
            for (long seq = first; seq <= last; seq++) {
                tracked.put(seq, new Tracked(start, end));
            }
        }

        /** Sends the next append, or the discard once nothing is queued. */
        void pump() {
            if (appending) {
                return;
            }
            if (queue.isEmpty()) {
                if (discarded && !trimming && !discardSent) {
                    discardSent = true;
                    appending = true;
                    JournaledWrites.this.<JournaledData.Trimmed>ask(inode, JournaledData.Discard::new)
                            .whenCompleteAsync((trimmed, failure) -> discardDone(failure), callbacks);
                }
                return;
            }
            List<Request<?>> batch = new ArrayList<>();
            List<Change> changes = new ArrayList<>();
            while (!queue.isEmpty() && (batch.isEmpty()
                    || changes.size() + queue.peek().changes().size() <= MAX_BATCH_CHANGES)) {
                Request<?> request = queue.poll();
                batch.add(request);
                changes.addAll(request.changes());
            }
            appending = true;
            sending = batch;
            JournaledWrites.this.<JournaledData.Appended>ask(inode, replyTo -> new JournaledData.Append(changes, replyTo))
                    .whenCompleteAsync((appended, failure) -> appendDone(batch, appended, failure), callbacks);
        }

        synchronized void appendDone(List<Request<?>> batch, JournaledData.Appended appended, Throwable failure) {
            appending = false;
            sending = List.of();
            if (failure != null) {
                ErrnoException error = new ErrnoException(Errno.EIO, "the journaled write was not persisted: " + failure);
                batch.forEach(request -> request.result().completeExceptionally(error));
            } else {
                long seq = appended.firstSeq();
                for (Request<?> request : batch) {
                    long last = seq + request.changes().size() - 1;
                    for (Change change : request.changes()) {
                        long end = change.kind() == JournaledData.Kind.WRITE
                                ? change.offset() + change.bytes().length : Long.MAX_VALUE;
                        tracked.put(seq++, new Tracked(change.offset(), end));
                    }
                    try {
                        request.applied(last - request.changes().size() + 1, last);
                    } catch (RuntimeException e) {
                        request.result().completeExceptionally(e);
                    }
                }
            }
            pump();
        }

        synchronized void discardDone(Throwable failure) {
            appending = false;
            if (failure == null) {
                tracked.clear(); // the log stays, discarded, for writes through handles still open
            } else {
                LOG.warn("the journaled changes of deleted inode {} were not dropped: {}", inode,
                        failure.toString());
            }
        }

        synchronized void ready(long first, long last) {
            for (Tracked t : tracked.subMap(first, true, last, true).values()) {
                t.ready = true;
            }
            trim();
        }

        /** A commit failed: tried again after {@link #COMMIT_RETRY}. */
        void retryLater(long first, long last, Runnable settled) {
            if (stopped) {
                settled.run();
                return;
            }
            LOG.warn("inode {}: metadata commit failed, changes {}..{} are not trimmed yet", inode, first, last);
            CompletableFuture.delayedExecutor(COMMIT_RETRY.toMillis(), TimeUnit.MILLISECONDS, callbacks)
                    .execute(() -> commitThenReady(this, first, last, settled));
        }

        private void trim() {
            if (trimming || discarded) {
                return;
            }
            long upTo = trimTarget();
            if (upTo <= trimmedUpTo) {
                return;
            }
            long target = upTo;
            trimming = true;
            JournaledWrites.this.<JournaledData.Trimmed>ask(inode, replyTo -> new JournaledData.Trim(target, replyTo))
                    .whenCompleteAsync((trimmed, failure) -> trimDone(target, failure), callbacks);
        }

        /** The last change of the prefix of trimmable changes, -1 if there is none. */
        private long trimTarget() {
            long upTo = -1;
            for (Map.Entry<Long, Tracked> entry : tracked.entrySet()) {
                if (!entry.getValue().ready) {
                    break;
                }
                upTo = entry.getKey();
            }
            return upTo;
        }

        synchronized void trimDone(long target, Throwable failure) {
            trimming = false;
            if (failure == null) {
                trimmedUpTo = Math.max(trimmedUpTo, target);
                for (Iterator<Long> it = tracked.headMap(target, true).keySet().iterator(); it.hasNext(); ) {
                    it.next();
                    it.remove();
                }
            } else {
                LOG.warn("inode {}: trimming journaled changes up to {} failed: {}", inode, target,
                        failure.toString());
            }
            if (discarded) {
                pump();
            } else {
                trim();
            }
        }
    }
}
