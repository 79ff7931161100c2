package dev.writebackd.actors.engine;

import static dev.writebackd.actors.engine.InodeFixture.PAGE;
import static dev.writebackd.actors.engine.InodeFixture.filled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.writebackd.config.Durability;
import dev.writebackd.config.ErrorPolicy;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Writes that reach a file's actor through a {@link WriteQueue}, many per {@link InodeActor.DrainWrites}. */
class InodeWriteQueueTest {
    private static final ActorTestKit testKit = ActorTestKit.create(dev.writebackd.actors.io.BioDispatcher.config());

    @AfterAll
    static void shutDown() {
        testKit.shutdownTestKit();
    }

    private static WriteQueue.Entry entry(InodeFixture f, long handle, long offset, byte[] bytes) {
        return new WriteQueue.Entry(handle, WriteData.copyOf(f.pool, offset, ByteBuffer.wrap(bytes)),
                Durability.CACHED, new CompletableFuture<>(), new CompletableFuture<>());
    }

    @Test
    @DisplayName("queued writes are applied in the order queued, each answered through its own future, "
            + "before a read sent after them")
    void queuedWritesApplyInOrderBeforeLaterCommands() throws Exception {
        InodeFixture f = new InodeFixture(testKit, ErrorPolicy.LINUX);
        f.open(1);
        WriteQueue queue = new WriteQueue(f.file);
        List<WriteQueue.Entry> entries = new ArrayList<>();
        for (int i = 0; i < 50; i++) { // page 0 rewritten 50 times, plus one new page each time
            entries.add(entry(f, 1, 0, filled(PAGE, i + 1)));
            entries.add(entry(f, 1, (long) (i + 1) * PAGE, filled(PAGE, 100 + i)));
        }
        entries.forEach(queue::offer);

        byte[] first = f.read(1, 0, PAGE); // sent after the writes were queued: answered after them
        assertThat(first).isEqualTo(filled(PAGE, 50));
        for (WriteQueue.Entry e : entries) {
            assertThat(e.answer().get(InodeFixture.WAIT.toMillis(), TimeUnit.MILLISECONDS).bytes()).isEqualTo(PAGE);
        }
        assertThat(f.read(1, 50L * PAGE, PAGE)).isEqualTo(filled(PAGE, 149));
        assertThat(f.pool.usedPages()).as("the staged copies went back to the pool").isEqualTo(51);
    }

    @Test
    @DisplayName("a queued write through a handle the file does not know fails with EBADF and changes nothing")
    void queuedWriteThroughUnknownHandleFails() {
        InodeFixture f = new InodeFixture(testKit, ErrorPolicy.LINUX);
        f.open(1);
        WriteQueue queue = new WriteQueue(f.file);
        WriteQueue.Entry bad = entry(f, 7, 0, filled(PAGE, 9));

        queue.offer(bad);

        assertThatThrownBy(() -> bad.answer().get(InodeFixture.WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
        assertThat(bad.durable()).isCompletedExceptionally();
        assertThat(f.read(1, 0, PAGE)).isEmpty();
        assertThat(f.pool.usedPages()).isZero();
    }

    @Test
    @DisplayName("writes queued as the file's actor stops are answered, applied or refused, never left waiting")
    void writesQueuedAsTheActorStopsAreAnswered() throws Exception {
        InodeFixture f = new InodeFixture(testKit, ErrorPolicy.LINUX);
        f.open(1);
        WriteQueue queue = new WriteQueue(f.file);
        WriteQueue.Entry applied = entry(f, 1, 0, filled(PAGE, 1));
        queue.offer(applied);
        assertThat(applied.answer().get(InodeFixture.WAIT.toMillis(), TimeUnit.MILLISECONDS).bytes()).isEqualTo(PAGE);
        List<WriteQueue.Entry> late = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            late.add(entry(f, 1, (long) i * PAGE, filled(PAGE, 2)));
        }

        late.forEach(queue::offer);
        testKit.stop(f.file, InodeFixture.WAIT); // a stop overtakes the queue's message or follows it

        for (WriteQueue.Entry e : late) {
            await().atMost(InodeFixture.WAIT).until(() -> e.answer().isDone());
            if (e.answer().isCompletedExceptionally()) {
                assertThatThrownBy(() -> e.answer().get()).cause().isInstanceOfSatisfying(ErrnoException.class,
                        error -> assertThat(error.errno()).isEqualTo(Errno.ENOENT));
                assertThat(e.durable()).isCompletedExceptionally();
            }
        }
    }
}
