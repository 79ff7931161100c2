package dev.writebackd.actors.engine;

import static dev.writebackd.actors.engine.InodeFixture.PAGE;
import static dev.writebackd.actors.engine.InodeFixture.filled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.writebackd.actors.engine.Flushing.ChunkWritten;
import dev.writebackd.actors.engine.Flushing.InodeClean;
import dev.writebackd.actors.engine.Flushing.InodeDirtied;
import dev.writebackd.actors.engine.Flushing.WakeUp;
import dev.writebackd.actors.engine.Flushing.WritebackEnded;
import dev.writebackd.actors.engine.InodeFixture.Pending;
import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice.Request;
import dev.writebackd.config.Durability;
import dev.writebackd.config.ErrorPolicy;
import dev.writebackd.error.Errno;
import dev.writebackd.mpage.Errseq;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class InodeActorTest {
    private static final ActorTestKit testKit =
            ActorTestKit.create(ManualTime.config().withFallback(BioDispatcher.config()));
    private static final ManualTime manualTime = ManualTime.get(testKit.system());
    private static final Duration QUIET = Duration.ofMillis(300);

    @AfterAll
    static void shutDown() {
        testKit.shutdownTestKit();
    }

    private static InodeFixture file() {
        return new InodeFixture(testKit, ErrorPolicy.LINUX);
    }

    // ---- writes, reads, the coordinator ------------------------------------------------------------

    @Test
    @DisplayName("F2 the first dirtying of a clean file tells the coordinator once, with where to send WritePages")
    void firstDirtyingTellsTheCoordinatorOnce() {
        InodeFixture f = file();
        f.open(1);

        f.write(1, 0, filled(PAGE, 1));
        f.write(1, PAGE, filled(PAGE, 2));

        assertThat(f.expect(InodeDirtied.class).inode()).isEqualTo(InodeFixture.INODE);
        f.coordinator.expectNoMessage(QUIET);
        assertThat(f.state().dirtyPages()).isEqualTo(2);
    }

    @Test
    void writesAreReadBackFromTheCacheWithHolesAsZerosAndShortAtEof() {
        InodeFixture f = file();
        f.open(1);
        f.write(1, 10, "hello".getBytes());
        f.write(1, 3 * PAGE, "tail".getBytes());

        assertThat(f.read(1, 10, 5)).isEqualTo("hello".getBytes());
        assertThat(f.read(1, PAGE, PAGE)).isEqualTo(new byte[PAGE]);
        assertThat(f.read(1, 3 * PAGE, 100)).isEqualTo("tail".getBytes());
        assertThat(f.read(1, 5 * PAGE, 100)).isEmpty();
    }

    @Test
    @DisplayName("F4 F5 a WritePages chunk is written, answered with ChunkWritten, and its end reported")
    void writePagesWritesTheChunkAndReportsItsEnd() {
        InodeFixture f = file();
        f.open(1);
        for (int page = 0; page < 3; page++) {
            f.write(1, (long) page * PAGE, filled(PAGE, page + 1));
        }

        ChunkWritten chunk = f.writeChunk();

        assertThat(chunk.inode()).isEqualTo(InodeFixture.INODE);
        assertThat(chunk.reply().pagesWritten()).isEqualTo(3);
        assertThat(chunk.reply().stillDirty()).isFalse();
        f.expect(InodeClean.class);
        assertThat(f.expect(WritebackEnded.class).pages()).isEqualTo(3);
        assertThat(f.memory.requests()).filteredOn(r -> r.op() == BioOp.WRITE).hasSize(1); // one merged bio
        for (int page = 0; page < 3; page++) {
            assertThat(f.onDevice(page)).isEqualTo(filled(PAGE, page + 1));
        }
    }

    @Test
    void commandsForUnknownHandlesFailWithEbadfAndJournaledWritesWithEnotsup() {
        InodeFixture f = file();
        f.open(1);

        Pending unknown = f.writeAsync(9, 0, filled(10, 1), Durability.CACHED);
        Pending journaled = f.writeAsync(1, 0, filled(10, 1), Durability.JOURNALED);

        assertThat(InodeFixture.errno(unknown.reply().receiveMessage(InodeFixture.WAIT))).isEqualTo(Errno.EBADF);
        assertThat(InodeFixture.errno(unknown.durable())).isEqualTo(Errno.EBADF);
        assertThat(InodeFixture.errno(journaled.reply().receiveMessage(InodeFixture.WAIT))).isEqualTo(Errno.ENOTSUP);
        assertThat(f.fsync(9)).isEqualTo(Errno.EBADF);
        assertThat(f.state().size()).isZero();
        assertThat(f.pool.usedPages()).isZero(); // the staged bytes went back to the pool
    }

    // ---- fsync (E1) --------------------------------------------------------------------------------

    @Test
    @DisplayName("E1 fsync writes the file in its own request, then flushes the device, then commits the metadata")
    void fsyncWritesThenFlushesThenCommits() {
        InodeFixture f = file();
        f.open(1);
        f.write(1, 0, filled(2 * PAGE, 3));

        assertThat(f.fsync(1)).isNull();

        List<Request> requests = f.memory.requests();
        assertThat(requests).extracting(Request::op).containsExactly(BioOp.WRITE, BioOp.FLUSH);
        assertThat(f.commits).containsExactly(2); // after the flush
        assertThat(f.onDevice(1)).isEqualTo(filled(PAGE, 3));
        assertThat(f.coordinator.receiveMessage(InodeFixture.WAIT)).isInstanceOf(InodeDirtied.class);
    }

    @Test
    @DisplayName("E1 fsync waits for writeback the flusher started before it flushes")
    void fsyncWaitsForTheFlushersWriteback() {
        InodeFixture f = file();
        f.open(1);
        f.write(1, 0, filled(PAGE, 1));
        f.device.hold();
        f.writeChunk();
        await().until(() -> f.device.waiting() == 1);

        TestProbe<StatusReply<Done>> fsync = f.fsyncAsync(1);
        fsync.expectNoMessage(QUIET);
        f.device.release();

        assertThat(InodeFixture.errno(fsync.receiveMessage(InodeFixture.WAIT))).isNull();
        assertThat(f.memory.requests()).extracting(Request::op).containsExactly(BioOp.WRITE, BioOp.FLUSH);
    }

    @Test
    @DisplayName("E1 a failed device flush fails fsync with EIO, skips the commit, and every handle learns of it once")
    void failedFlushFailsFsyncAndIsSeenByOtherHandles() {
        InodeFixture f = file();
        f.open(1);
        f.open(2);
        f.write(1, 0, filled(PAGE, 1));
        f.memory.failNext(BioOp.FLUSH, Errno.EIO, 1);

        assertThat(f.fsync(1)).isEqualTo(Errno.EIO);
        assertThat(f.commits).isEmpty();
        assertThat(f.fsync(1)).isNull();
        assertThat(f.fsync(2)).isEqualTo(Errno.EIO);
        assertThat(f.fsync(2)).isNull();
    }

    @Test
    @DisplayName("E1 a failed metadata commit fails fsync with EIO")
    void failedCommitFailsFsync() {
        InodeFixture f = file();
        f.open(1);
        f.write(1, 0, filled(PAGE, 1));
        f.failCommits.set(1);

        assertThat(f.fsync(1)).isEqualTo(Errno.EIO);
        assertThat(f.fsync(1)).isNull();
    }

    @Test
    @DisplayName("C2 fsync ends while a writer keeps dirtying the file; the later writes stay dirty")
    void fsyncEndsWhileWritesKeepComing() {
        InodeFixture f = file();
        f.open(1);
        f.write(1, 0, filled(4 * PAGE, 1));
        f.device.hold();
        TestProbe<StatusReply<Done>> fsync = f.fsyncAsync(1);
        await().until(() -> f.device.waiting() == 1);

        for (int round = 0; round < 5; round++) {
            f.write(1, (long) (round % 4) * PAGE, filled(PAGE, 10 + round)); // answered at once (S5)
        }
        fsync.expectNoMessage(QUIET);
        f.device.release();

        assertThat(InodeFixture.errno(fsync.receiveMessage(InodeFixture.WAIT))).isNull();
        assertThat(f.onDevice(0)).isEqualTo(filled(PAGE, 1)); // the fsync's copy, not the later ones
        assertThat(f.state().dirtyPages()).isEqualTo(4);
        assertThat(f.read(1, 0, PAGE)).isEqualTo(filled(PAGE, 14));
    }

    // ---- errors (E2–E5) ----------------------------------------------------------------------------

    @Test
    @DisplayName("E2 a failed write is recorded in the file's errseq and in the device's")
    void failedWriteIsRecordedForTheFileAndTheDevice() {
        InodeFixture f = file();
        f.open(1);
        f.write(1, 0, filled(PAGE, 1));
        f.memory.failNext(BioOp.WRITE, Errno.EIO, 1);

        assertThat(f.fsync(1)).isEqualTo(Errno.EIO);
        assertThat(f.checkDeviceError(1)).isEqualTo(Errno.EIO);
        assertThat(f.checkDeviceError(1)).isNull();
        assertThat(Errseq.errnoOf(f.deviceErrseq.current())).isEqualTo(Errno.EIO);
    }

    @Test
    @DisplayName("E4 each handle reports an error once; one opened after it was seen does not; sync reports nothing")
    void eachHandleReportsTheErrorOnce() {
        InodeFixture f = file();
        f.open(1);
        f.open(2);
        f.write(1, 0, filled(PAGE, 1));
        f.memory.failNext(BioOp.WRITE, Errno.EIO, 1);
        f.syncFile(); // E6: writes back, reports nothing
        f.open(3);

        assertThat(f.fsync(1)).isEqualTo(Errno.EIO);
        assertThat(f.fsync(1)).isNull();
        assertThat(f.fsync(2)).isEqualTo(Errno.EIO);
        assertThat(f.fsync(3)).isEqualTo(Errno.EIO);
        f.open(4);
        assertThat(f.fsync(4)).isNull();
    }

    @Test
    @DisplayName("E5 linux: a failed page ends clean and uptodate, reads still return the lost data, the durable future fails")
    void linuxPolicyDropsTheFailedPage() {
        InodeFixture f = file();
        f.open(1);
        Pending write = f.write(1, 0, filled(PAGE, 5));
        f.memory.failNext(BioOp.WRITE, Errno.EIO, 1);

        assertThat(f.fsync(1)).isEqualTo(Errno.EIO);

        assertThat(f.state().dirtyPages()).isZero();
        assertThat(f.state().heldPages()).isZero();
        assertThat(f.read(1, 0, PAGE)).isEqualTo(filled(PAGE, 5));
        assertThat(InodeFixture.errno(write.durable())).isEqualTo(Errno.EIO);
        assertThat(f.fsync(1)).isNull(); // never retried
        assertThat(f.memory.requests()).filteredOn(r -> r.op() == BioOp.WRITE).hasSize(1);
    }

    @Test
    @DisplayName("E5 redirty: a failed page waits out its backoff, is dirtied again, and lands once the device heals")
    void redirtyPolicyRetriesAfterTheBackoff() {
        InodeFixture f = new InodeFixture(testKit, ErrorPolicy.REDIRTY);
        f.open(1);
        Pending write = f.write(1, 0, filled(PAGE, 6));
        f.memory.failNext(BioOp.WRITE, Errno.EIO, 1);
        f.writeChunk();
        await().until(() -> f.state().retryPages() == 1);
        assertThat(f.state().dirtyPages()).isZero();
        f.expect(WritebackEnded.class);

        manualTime.timePasses(Duration.ofMillis(100));

        await().until(() -> f.state().dirtyPages() == 1);
        f.expect(InodeDirtied.class);
        f.writeChunk();
        await().until(() -> write.durable().isDone());
        assertThat(InodeFixture.errno(write.durable())).isNull();
        assertThat(f.onDevice(0)).isEqualTo(filled(PAGE, 6));
        assertThat(f.state().retryPages()).isZero();
    }

    @Test
    @DisplayName("E5 redirty: after the retry limit the page is dropped as under linux and its durable future fails")
    void redirtyPolicyGivesUpAfterTheRetryLimit() {
        InodeFixture f = new InodeFixture(testKit, ErrorPolicy.REDIRTY);
        f.open(1);
        Pending write = f.write(1, 0, filled(PAGE, 6));
        f.memory.failWhen(bio -> bio.op() == BioOp.WRITE, Errno.EIO);

        for (int attempt = 0; attempt < 3; attempt++) { // the write, then retry-limit (2) retries
            f.syncFile(); // sync does not wait for backoffs
        }

        assertThat(InodeFixture.errno(write.durable())).isEqualTo(Errno.EIO);
        assertThat(f.state().retryPages()).isZero();
        assertThat(f.state().dirtyPages()).isZero();
        assertThat(f.memory.requests()).filteredOn(r -> r.op() == BioOp.WRITE).hasSize(3);
    }

    @Test
    @DisplayName("E5 sticky: a failed page is held, every fsync fails until it is rewritten")
    void stickyPolicyHoldsTheFailedPageUntilRewritten() {
        InodeFixture f = new InodeFixture(testKit, ErrorPolicy.STICKY);
        f.open(1);
        Pending lost = f.write(1, 0, filled(PAGE, 1));
        f.memory.failNext(BioOp.WRITE, Errno.EIO, 1);

        assertThat(f.fsync(1)).isEqualTo(Errno.EIO);
        assertThat(f.fsync(1)).isEqualTo(Errno.EIO);
        assertThat(f.state().heldPages()).isEqualTo(1);
        assertThat(f.ledger.heldPages()).isEqualTo(1);
        assertThat(InodeFixture.errno(lost.durable())).isEqualTo(Errno.EIO);
        f.syncFile();
        assertThat(f.memory.requests()).filteredOn(r -> r.op() == BioOp.WRITE).hasSize(1); // never chosen again

        Pending rewrite = f.write(1, 0, filled(PAGE, 2));
        assertThat(f.fsync(1)).isNull();
        assertThat(InodeFixture.errno(rewrite.durable())).isNull();
        assertThat(f.onDevice(0)).isEqualTo(filled(PAGE, 2));
    }

    // ---- durability ----------------------------------------------------------------------------------

    @Test
    void durableFutureCompletesOnceTheDataIsWrittenAndFlushed() {
        InodeFixture f = file();
        f.open(1);
        Pending write = f.write(1, 0, filled(PAGE, 9));
        assertThat(write.durable()).isNotDone();

        f.writeChunk();

        await().until(() -> write.durable().isDone());
        assertThat(InodeFixture.errno(write.durable())).isNull();
        List<BioOp> ops = f.memory.requests().stream().map(Request::op).toList();
        assertThat(ops).containsExactly(BioOp.WRITE, BioOp.FLUSH);
    }

    @Test
    void syncedWriteIsAnsweredOnceWrittenAndFlushed() {
        InodeFixture f = file();
        f.open(1);

        Pending write = f.writeAsync(1, 0, filled(PAGE, 4), Durability.SYNCED);

        assertThat(write.written().bytes()).isEqualTo(PAGE);
        assertThat(write.durable()).isDone();
        assertThat(f.memory.requests()).extracting(Request::op).containsExactly(BioOp.WRITE, BioOp.FLUSH);
    }

    // ---- throttling (T2, T5, T6) -------------------------------------------------------------------

    @Test
    @DisplayName("T6 a throttled writer is answered later by a timer, while the actor goes on serving others")
    void throttledWriterIsAnsweredByATimer() {
        InodeFixture f = file();
        f.open(1);
        f.ledger.publishThresholds(100, 50); // freerun 75, setpoint 87
        f.ledger.publishBandwidth(100); // pages/s: 80 pages owe far more than the longest pause

        Pending write = f.writeAsync(1, 0, filled(80 * PAGE, 1), Durability.CACHED);

        write.reply().expectNoMessage(QUIET);
        assertThat(f.read(1, 0, 4)).isEqualTo(filled(4, 1)); // not blocked
        assertThat(f.state().throttledWriters()).isEqualTo(1);
        manualTime.timePasses(Duration.ofMillis(200));
        assertThat(write.written().bytes()).isEqualTo(80 * PAGE);
    }

    @Test
    @DisplayName("T5 T2 at the hard limit the writer waits until writeback brings dirty down, and the flusher is woken")
    void writerAtTheHardLimitWaitsForWriteback() {
        InodeFixture f = file();
        f.open(1);
        f.ledger.publishThresholds(100, 50);

        Pending write = f.writeAsync(1, 0, filled(120 * PAGE, 1), Durability.CACHED);

        f.expect(WakeUp.class);
        manualTime.timePasses(Duration.ofMillis(200));
        write.reply().expectNoMessage(QUIET);
        f.writeChunk();
        await().until(() -> f.ledger.writebackPages() == 0);
        manualTime.timePasses(Duration.ofMillis(200));
        assertThat(write.written().bytes()).isEqualTo(120 * PAGE);
    }

    // ---- truncate ------------------------------------------------------------------------------------

    @Test
    @DisplayName("U2 a truncate waits for the writeback in flight, later commands wait for it, pages past the end go")
    void truncateWaitsForWritebackAndLaterCommandsWaitForTruncate() {
        InodeFixture f = file();
        f.open(1);
        f.write(1, 0, filled(4 * PAGE, 1));
        f.device.hold();
        f.writeChunk();
        await().until(() -> f.device.waiting() == 1);

        TestProbe<StatusReply<Done>> truncate = f.testKit.createTestProbe();
        f.file.tell(new InodeActor.Truncate(PAGE + 10, truncate.ref()));
        TestProbe<StatusReply<ByteBuffer>> read = f.testKit.createTestProbe();
        f.file.tell(new InodeActor.Read(1, 0, 4 * PAGE, read.ref()));
        truncate.expectNoMessage(QUIET);
        read.expectNoMessage(Duration.ZERO);
        f.device.release();

        assertThat(truncate.receiveMessage(InodeFixture.WAIT).isSuccess()).isTrue();
        assertThat(read.receiveMessage(InodeFixture.WAIT).getValue().remaining()).isEqualTo(PAGE + 10);
        assertThat(f.state().size()).isEqualTo(PAGE + 10);
        assertThat(f.state().cachedPages()).isEqualTo(2);
    }

    @Test
    @DisplayName("U2 dirty pages truncated away are discarded, never written; their durable futures complete")
    void truncatedDirtyPagesAreNeverWritten() {
        InodeFixture f = file();
        f.open(1);
        Pending write = f.write(1, 0, filled(3 * PAGE, 1));

        assertThat(f.truncate(0)).isNull();
        assertThat(f.fsync(1)).isNull();

        assertThat(f.memory.requests()).extracting(Request::op).doesNotContain(BioOp.WRITE).contains(BioOp.FLUSH);
        await().until(() -> write.durable().isDone());
        assertThat(InodeFixture.errno(write.durable())).isNull();
        assertThat(f.state().dirtyPages()).isZero();
    }
}
