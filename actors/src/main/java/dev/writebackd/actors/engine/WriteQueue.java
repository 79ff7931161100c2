package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.config.Durability;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Writes on their way to one file's {@link InodeActor}, queued by the callers' threads and taken by
 * the actor in batches: a caller adds its write and tells the actor {@link InodeActor.DrainWrites}
 * only when no such message is on its way, and the actor takes everything queued when it gets one.
 * So a stream of writes costs one message per batch rather than one per write, and each write is
 * answered through its own future, without a temporary actor.
 *
 * <p>Order: when {@link #offer} returns, a {@code DrainWrites} that will take the write is in the
 * actor's mailbox or being handled, so any message the caller sends afterwards (an fsync, a read)
 * reaches the actor after the write, as if the write had been a message of its own.
 *
 * <p>Thread-safe.
 */
public final class WriteQueue {
    private static final int IDLE = 0;
    private static final int SENDING = 1;
    private static final int SENT = 2;

    /**
     * One queued write and where its answer goes. By default the answer completes {@link #answer()};
     * the engine's own entries override {@link #answered(int)} and {@link #refused(Throwable)} to
     * complete the caller's stage directly, with no future in between.
     */
    public static class Entry {
        private final long handleId;
        private final WriteData data;
        private final Durability durability;
        private final CompletableFuture<Void> durable;
        private final CompletableFuture<InodeActor.Written> answer;

        /**
         * An entry answered through {@code answer}.
         *
         * @param handleId the handle it goes through
         * @param data its bytes, already copied
         * @param durability when to answer it
         * @param durable completes once the bytes are on stable storage
         * @param answer completes with the bytes taken, or fails with the write's error
         */
        public Entry(long handleId, WriteData data, Durability durability, CompletableFuture<Void> durable,
                CompletableFuture<InodeActor.Written> answer) {
            this.handleId = handleId;
            this.data = requireNonNull(data, "data");
            this.durability = requireNonNull(durability, "durability");
            this.durable = requireNonNull(durable, "durable");
            this.answer = requireNonNull(answer, "answer");
        }

        /** An entry whose subclass answers it ({@link #answered}, {@link #refused}, {@link #isAnswered}). */
        protected Entry(long handleId, WriteData data, Durability durability, CompletableFuture<Void> durable) {
            this.handleId = handleId;
            this.data = requireNonNull(data, "data");
            this.durability = requireNonNull(durability, "durability");
            this.durable = requireNonNull(durable, "durable");
            this.answer = null;
        }

        /** The handle it goes through. */
        public long handleId() {
            return handleId;
        }

        /** Its bytes, already copied. */
        public WriteData data() {
            return data;
        }

        /** When to answer it. */
        public Durability durability() {
            return durability;
        }

        /** Completes once the bytes are on stable storage, or fails with the error that lost them. */
        public CompletableFuture<Void> durable() {
            return durable;
        }

        /** The answer of an entry made with one ({@code null} for a subclass that answers itself). */
        public CompletableFuture<InodeActor.Written> answer() {
            return answer;
        }

        /** The write took {@code bytes} bytes into the cache. Called once, on the file's actor. */
        protected void answered(int bytes) {
            answer.complete(new InodeActor.Written(bytes));
        }

        /** The write failed with {@code error}. */
        protected void refused(Throwable error) {
            answer.completeExceptionally(error);
        }

        /** Whether the writer has had its answer. */
        protected boolean isAnswered() {
            return answer.isDone();
        }
    }

    private final ActorRef<InodeActor.Command> file;
    private final InodeActor.DrainWrites signal = new InodeActor.DrainWrites(this);
    private final ConcurrentLinkedQueue<Entry> entries = new ConcurrentLinkedQueue<>();
    private final AtomicInteger state = new AtomicInteger(IDLE);

    /** A queue of writes to the file of actor {@code file}. */
    public WriteQueue(ActorRef<InodeActor.Command> file) {
        this.file = requireNonNull(file, "file");
    }

    /** Queues {@code entry}; tells the actor unless a message that will take it is already on its way. */
    public void offer(Entry entry) {
        entries.add(requireNonNull(entry, "entry"));
        while (true) {
            int now = state.get();
            if (now == SENT) {
                return;
            }
            if (now == IDLE) {
                if (state.compareAndSet(IDLE, SENDING)) {
                    file.tell(signal);
                    state.compareAndSet(SENDING, SENT); // unless the actor has already taken it
                    return;
                }
            } else {
                Thread.yield(); // another caller is sending the message: return only once it is sent
            }
        }
    }

    /** The actor got the message: later writes need another. Called before taking the entries. */
    void taking() {
        state.set(IDLE);
    }

    /** The next queued write, or {@code null}. */
    Entry poll() {
        return entries.poll();
    }
}
