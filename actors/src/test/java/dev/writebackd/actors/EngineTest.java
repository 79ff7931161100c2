package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.array;
import static dev.writebackd.actors.Engines.bytes;
import static dev.writebackd.actors.Engines.errno;
import static dev.writebackd.actors.Engines.filled;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.writebackd.actors.engine.HoldingDevice;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.MemoryDevice.Request;
import dev.writebackd.config.Durability;
import dev.writebackd.error.Errno;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class EngineTest {
    private final MemoryDevice memory = new MemoryDevice(PAGE, 64L << 20);
    private final HoldingDevice device = new HoldingDevice(memory);
    private final Engine engine = Engines.start(device, "");

    @AfterEach
    void shutDown() {
        device.release();
        Engines.stop(engine);
    }

    @Test
    void writtenBytesReadBackAcrossPagesWithHolesAndShortAtTheEnd() {
        Handle file = join(engine.open("file", true));

        WriteResult written = join(engine.write(file, 100, ByteBuffer.wrap("across a page".getBytes())
                .position(0)));
        join(engine.write(file, 3 * PAGE - 4, ByteBuffer.wrap("boundary".getBytes())));

        assertThat(written.bytesWritten()).isEqualTo(13);
        assertThat(array(join(engine.read(file, 100, 13)))).isEqualTo("across a page".getBytes());
        assertThat(array(join(engine.read(file, 3 * PAGE - 4, 100)))).isEqualTo("boundary".getBytes());
        assertThat(array(join(engine.read(file, PAGE, 8)))).isEqualTo(new byte[8]);
        assertThat(join(engine.read(file, 10 * PAGE, 8)).remaining()).isZero();
    }

    @Test
    void theCallersBufferIsCopiedAndNotConsumed() {
        Handle file = join(engine.open("file", true));
        byte[] source = filled(PAGE, 1);
        ByteBuffer buffer = ByteBuffer.wrap(source);

        CompletionStage<WriteResult> write = engine.write(file, 0, buffer);
        java.util.Arrays.fill(source, (byte) 2); // reused at once: the write already has its copy
        join(write);

        assertThat(buffer.remaining()).isEqualTo(PAGE);
        assertThat(array(join(engine.read(file, 0, PAGE)))).isEqualTo(filled(PAGE, 1));
    }

    @Test
    void handlesOfOneNameShareTheFileAndNamesSurviveRenameAndGoWithUnlink() {
        Handle a = join(engine.open("a", true));
        join(engine.write(a, 0, bytes(10, 1)));
        Handle again = join(engine.open("a", false));

        join(engine.rename("a", "b"));

        assertThat(again.inode()).isEqualTo(a.inode());
        assertThat(errno(engine.open("a", false))).isEqualTo(Errno.ENOENT);
        Handle b = join(engine.open("b", false));
        assertThat(b.inode()).isEqualTo(a.inode());
        assertThat(array(join(engine.read(b, 0, 10)))).isEqualTo(filled(10, 1));
        join(engine.unlink("b"));
        assertThat(errno(engine.open("b", false))).isEqualTo(Errno.ENOENT);
        assertThat(array(join(engine.read(b, 0, 10)))).isEqualTo(filled(10, 1)); // open handles keep it
        Handle fresh = join(engine.open("b", true));
        assertThat(fresh.inode()).isNotEqualTo(a.inode());
        assertThat(join(engine.read(fresh, 0, 10)).remaining()).isZero();
    }

    @Test
    void durableFutureCompletesOnceTheDataIsWrittenAndFlushed() {
        Handle file = join(engine.open("file", true));
        WriteResult result = join(engine.write(file, 0, bytes(2 * PAGE, 3)));
        assertThat(result.durable().toCompletableFuture()).isNotDone();

        join(engine.sync());

        assertThat(errno(result.durable())).isNull();
        assertThat(memory.requests()).filteredOn(r -> r.op() == BioOp.WRITE && r.inode() == file.inode())
                .singleElement().satisfies(r -> assertThat(r.dataBytes()).isEqualTo(filled(2 * PAGE, 3)));
    }

    @Test
    void syncedWriteIsAnsweredOnceOnStableStorage() {
        Handle file = join(engine.open("file", true));
        memory.clearRequests();

        WriteResult result = join(engine.write(file, 0, bytes(PAGE, 8), Durability.SYNCED));

        assertThat(result.durable().toCompletableFuture()).isDone();
        assertThat(memory.requests()).extracting(Request::op).containsExactly(BioOp.WRITE, BioOp.FLUSH);
    }

    @Test
    void answersArriveOnPoolThreadsNeverOnActorThreads() {
        Handle file = join(engine.open("file", true));

        String thread = join(engine.write(file, 0, bytes(10, 1)).thenApply(r -> Thread.currentThread().getName()));

        assertThat(thread).doesNotContain("pekko");
    }

    @Test
    void writesNotWaitedForAreCoveredByTheFsyncSentAfterThem() {
        Handle file = join(engine.open("file", true));
        java.util.List<CompletionStage<WriteResult>> writes = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) {
            writes.add(engine.write(file, (long) i * PAGE, bytes(PAGE, i)));
        }

        join(engine.fsync(file)); // sent before the writes were answered

        assertThat(join(engine.stats()).dirtyPages()).isZero();
        for (int i = 0; i < writes.size(); i++) {
            WriteResult written = join(writes.get(i));
            assertThat(written.bytesWritten()).isEqualTo(PAGE);
            assertThat(written.durable().toCompletableFuture()).isCompleted();
        }
        assertThat(array(join(engine.read(file, 299L * PAGE, PAGE)))).isEqualTo(array(bytes(PAGE, 299)));
    }

    @Test
    void truncateShrinksAndGrowsTheFile() {
        Handle file = join(engine.open("file", true));
        join(engine.write(file, 0, bytes(3 * PAGE, 5)));

        join(engine.truncate(file, PAGE + 10));
        assertThat(array(join(engine.read(file, 0, 4 * PAGE)))).isEqualTo(filled(PAGE + 10, 5));
        join(engine.truncate(file, 2 * PAGE));

        byte[] grown = new byte[2 * PAGE];
        System.arraycopy(filled(PAGE + 10, 5), 0, grown, 0, PAGE + 10);
        assertThat(array(join(engine.read(file, 0, 4 * PAGE)))).isEqualTo(grown);
    }

    @Test
    void statsCountPagesHandlesAndBios() {
        Handle file = join(engine.open("file", true));
        join(engine.write(file, 0, bytes(3 * PAGE, 1)));

        EngineStats dirty = join(engine.stats());
        join(engine.sync());
        EngineStats clean = join(engine.stats());

        assertThat(dirty.dirtyPages()).isEqualTo(3);
        assertThat(dirty.openHandles()).isEqualTo(1);
        assertThat(dirty.activeFiles()).isEqualTo(1);
        assertThat(dirty.dirtyThresholdPages()).isEqualTo(16 * 256 / 5); // 20 % of a 16 MiB cache
        assertThat(dirty.backgroundThresholdPages()).isEqualTo(16 * 256 / 10);
        assertThat(clean.dirtyPages()).isZero();
        assertThat(clean.pagesWritten()).isEqualTo(3);
        assertThat(clean.biosSubmitted()).isGreaterThan(dirty.biosSubmitted());
    }

    @Test
    @DisplayName("C2 an fsync completes while another writer keeps dirtying the same file")
    void fsyncCompletesWhileAnotherWriterKeepsDirtyingTheFile() {
        Handle fsyncer = join(engine.open("file", true));
        Handle writer = join(engine.open("file", false));
        join(engine.write(writer, 0, bytes(8 * PAGE, 1)));
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger writes = new AtomicInteger();
        CompletableFuture<Void> writerDone = new CompletableFuture<>();
        device.hold();

        CompletionStage<Void> fsync = engine.fsync(fsyncer);
        await().until(() -> device.waiting() > 0); // the fsync's pages are in the device
        keepWriting(writer, writing, writes, writerDone);
        await().until(() -> writes.get() >= 50); // the writer is not held up by the fsync
        assertThat(fsync.toCompletableFuture()).isNotDone();
        int before = writes.get();
        device.release();

        assertThat(errno(fsync)).isNull();
        await().until(() -> writes.get() > before + 50); // still writing after the fsync ended
        writing.set(false);
        join(writerDone);
        assertThat(memory.requests()).filteredOn(r -> r.op() == BioOp.WRITE && r.inode() == fsyncer.inode())
                .first().satisfies(r -> assertThat(r.dataBytes()).isEqualTo(filled(8 * PAGE, 1)));
        assertThat(join(engine.stats()).dirtyPages()).isPositive(); // pages dirtied after the fsync began
    }

    /** Writes page after page of the file until {@code writing} turns false, one write at a time. */
    private void keepWriting(Handle handle, AtomicBoolean writing, AtomicInteger writes, CompletableFuture<Void> done) {
        if (!writing.get()) {
            done.complete(null);
            return;
        }
        int n = writes.get();
        engine.write(handle, (long) (n % 8) * PAGE, bytes(PAGE, 2 + n % 100)).whenComplete((result, failure) -> {
            if (failure != null) {
                done.completeExceptionally(failure);
            } else {
                writes.incrementAndGet();
                keepWriting(handle, writing, writes, done);
            }
        });
    }
}
