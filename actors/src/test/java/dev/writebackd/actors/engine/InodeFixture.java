package dev.writebackd.actors.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.actors.engine.Flushing.ChunkWritten;
import dev.writebackd.actors.engine.Flushing.CoordinatorCommand;
import dev.writebackd.actors.engine.Flushing.InodeDirtied;
import dev.writebackd.actors.engine.Flushing.WritePages;
import dev.writebackd.actors.engine.InodeActor.FileState;
import dev.writebackd.actors.engine.InodeActor.Written;
import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.config.Durability;
import dev.writebackd.config.ErrorPolicy;
import dev.writebackd.config.Settings;
import dev.writebackd.config.WritebackPolicy;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import dev.writebackd.layout.BlockAllocator;
import dev.writebackd.layout.BlockLayout;
import dev.writebackd.layout.MapResult;
import dev.writebackd.mpage.Errseq;
import dev.writebackd.mpage.SyncMode;
import dev.writebackd.mpage.WritePagesRequest;
import dev.writebackd.mpage.WritebackReason;
import dev.writebackd.page.DirtyLedger;
import dev.writebackd.page.PagePool;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * One file's inode actor on a recording memory device, with the real bio and completion actors
 * and a probe standing in for the writeback coordinator; helpers that speak the inode's protocol
 * the way the engine does.
 */
final class InodeFixture {
    static final int PAGE = 4096;
    static final long INODE = 1;
    static final Duration WAIT = Duration.ofSeconds(10);

    final ActorTestKit testKit;
    final MemoryDevice memory = new MemoryDevice(PAGE, 64L << 20);
    final HoldingDevice device = new HoldingDevice(memory);
    final PagePool pool = new PagePool(PAGE, 16L << 20, 1 << 20);
    final DirtyLedger ledger = new DirtyLedger();
    final SharedLayout layout = new SharedLayout(
            BlockLayout.create(BlockLayout.EXTENT, new BlockAllocator(memory.sizeBytes() / PAGE), PAGE, null));
    final Errseq deviceErrseq = new Errseq();
    /** Requests the device had performed when each commit ran. */
    final List<Integer> commits = new CopyOnWriteArrayList<>();
    /** Commits still to fail. */
    final AtomicInteger failCommits = new AtomicInteger();
    /** Whether a commit throws inside the inode actor (an unexpected failure). */
    final java.util.concurrent.atomic.AtomicBoolean crashCommits = new java.util.concurrent.atomic.AtomicBoolean();
    final TestProbe<CoordinatorCommand> coordinator;
    final ActorRef<BioDispatcher.Command> bios;
    final ActorRef<CompletionActor.Command> completions;
    final DeviceContext context;
    ActorRef<InodeActor.Command> file;
    private ActorRef<WritePages> writer;

    InodeFixture(ActorTestKit testKit, ErrorPolicy errorPolicy) {
        this(testKit, errorPolicy, 0);
    }

    /** A file whose device has a cache budget of {@code budgetPages} ({@code 0}: the whole pool). */
    InodeFixture(ActorTestKit testKit, ErrorPolicy errorPolicy, long budgetPages) {
        this.testKit = testKit;
        this.coordinator = testKit.createTestProbe();
        this.bios = testKit.spawn(BioDispatcher.create(device, 4));
        this.completions = testKit.spawn(CompletionActor.create(bios, deviceErrseq, policy(errorPolicy)));
        MetadataCommitter committer = inode -> {
            commits.add(memory.requests().size());
            if (crashCommits.get()) {
                throw new IllegalStateException("injected failure");
            }
            return failCommits.getAndUpdate(n -> Math.max(0, n - 1)) > 0
                    ? CompletableFuture.failedFuture(new IllegalStateException("commit refused"))
                    : CompletableFuture.completedFuture(null);
        };
        this.context = new DeviceContext(pool, ledger, layout, null, deviceErrseq, committer, bios,
                completions, coordinator.ref(), 32, 256, new EngineCounters(), null,
                new CacheBudget(ledger, budgetPages > 0 ? budgetPages : pool.capacityPages(), 0, null));
        this.file = testKit.spawn(InodeActor.create(INODE, context));
    }

    static WritebackPolicy policy(ErrorPolicy errorPolicy) {
        return Settings.defaults().writeback().withErrorPolicy(errorPolicy)
                .withRedirtyBackoffInitial(Duration.ofMillis(100)).withRetryLimit(2);
    }

    /** Stops the file's actor and starts a new one on the same layout: its cache starts empty. */
    void restart() {
        testKit.stop(file, WAIT);
        file = testKit.spawn(InodeActor.create(INODE, context));
        writer = null;
    }

    // ---- the protocol ----------------------------------------------------------------------------

    void open(long handle) {
        TestProbe<StatusReply<Done>> probe = testKit.createTestProbe();
        file.tell(new InodeActor.OpenHandle(handle, probe.ref()));
        assertThat(probe.receiveMessage(WAIT).isSuccess()).isTrue();
    }

    /** A write in flight: its answer probe and its durable future. */
    record Pending(TestProbe<StatusReply<Written>> reply, CompletableFuture<Void> durable) {
        Written written() {
            StatusReply<Written> answer = reply.receiveMessage(WAIT);
            assertThat(answer.isSuccess()).as("write answered %s", answer).isTrue();
            return answer.getValue();
        }
    }

    Pending writeAsync(long handle, long offset, byte[] bytes, Durability durability) {
        TestProbe<StatusReply<Written>> probe = testKit.createTestProbe();
        CompletableFuture<Void> durable = new CompletableFuture<>();
        file.tell(new InodeActor.Write(handle, WriteData.copyOf(pool, offset, ByteBuffer.wrap(bytes)), durability,
                durable, probe.ref()));
        return new Pending(probe, durable);
    }

    Pending write(long handle, long offset, byte[] bytes) {
        Pending pending = writeAsync(handle, offset, bytes, Durability.CACHED);
        assertThat(pending.written().bytes()).isEqualTo(bytes.length);
        return pending;
    }

    byte[] read(long handle, long offset, int length) {
        TestProbe<StatusReply<ByteBuffer>> probe = testKit.createTestProbe();
        file.tell(new InodeActor.Read(handle, offset, length, probe.ref()));
        ByteBuffer data = probe.receiveMessage(WAIT).getValue();
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        return bytes;
    }

    TestProbe<StatusReply<Done>> fsyncAsync(long handle) {
        TestProbe<StatusReply<Done>> probe = testKit.createTestProbe();
        file.tell(new InodeActor.Fsync(handle, probe.ref()));
        return probe;
    }

    /** fsync's answer: {@code null} on success, else its errno. */
    Errno fsync(long handle) {
        return errno(fsyncAsync(handle).receiveMessage(WAIT));
    }

    Errno truncate(long size) {
        TestProbe<StatusReply<Done>> probe = testKit.createTestProbe();
        file.tell(new InodeActor.Truncate(size, probe.ref()));
        return errno(probe.receiveMessage(WAIT));
    }

    void syncFile() {
        TestProbe<Done> probe = testKit.createTestProbe();
        file.tell(new InodeActor.SyncFile(probe.ref()));
        probe.receiveMessage(WAIT);
    }

    Errno checkDeviceError(long handle) {
        TestProbe<StatusReply<Done>> probe = testKit.createTestProbe();
        file.tell(new InodeActor.CheckDeviceError(handle, probe.ref()));
        return errno(probe.receiveMessage(WAIT));
    }

    FileState state() {
        TestProbe<FileState> probe = testKit.createTestProbe();
        file.tell(new InodeActor.GetState(true, probe.ref()));
        return probe.receiveMessage(WAIT);
    }

    static Errno errno(StatusReply<?> reply) {
        if (reply.isSuccess()) {
            return null;
        }
        assertThat(reply.getError()).isInstanceOf(ErrnoException.class);
        return ((ErrnoException) reply.getError()).errno();
    }

    /** The errno a settled durable future failed with, or {@code null} if it completed. */
    static Errno errno(CompletionStage<Void> durable) {
        try {
            durable.toCompletableFuture().join();
            return null;
        } catch (java.util.concurrent.CompletionException e) {
            return ((ErrnoException) e.getCause()).errno();
        }
    }

    // ---- the coordinator's side ------------------------------------------------------------------

    /** The address the inode gave with its first {@link InodeDirtied}, waiting for it if needed. */
    ActorRef<WritePages> writer() {
        if (writer == null) {
            writer = expect(InodeDirtied.class).writer();
        }
        return writer;
    }

    /** Asks the inode for a background chunk, as the coordinator would, and returns its answer. */
    ChunkWritten writeChunk() {
        writer().tell(new WritePages(new WritePagesRequest(SyncMode.NONE, 1024, 0, WritePagesRequest.WHOLE_FILE_END,
                false, WritebackReason.BACKGROUND, false), coordinator.ref()));
        return expect(ChunkWritten.class);
    }

    /** The next coordinator message of {@code type}, skipping others (noting the writer address on the way). */
    <T extends CoordinatorCommand> T expect(Class<T> type) {
        List<CoordinatorCommand> found = coordinator.fishForMessage(WAIT, m -> {
            if (m instanceof InodeDirtied dirtied && writer == null) {
                writer = dirtied.writer();
            }
            return type.isInstance(m) ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore();
        });
        return type.cast(found.get(found.size() - 1));
    }

    // ---- data ------------------------------------------------------------------------------------

    static byte[] filled(int length, int fill) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) fill);
        return bytes;
    }

    /** The device's bytes of the file's page {@code page} (zeros where nothing is mapped). */
    byte[] onDevice(long page) {
        MapResult result = layout.map(INODE, page * (PAGE / layout.blockSize()), 1, false);
        if (!(result instanceof MapResult.Mapped mapped)) {
            return new byte[PAGE];
        }
        return memory.readBytes(mapped.physicalBlock() * layout.blockSize(), PAGE);
    }
}
