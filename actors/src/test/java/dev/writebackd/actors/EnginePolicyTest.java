package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.bytes;
import static dev.writebackd.actors.Engines.errno;
import static dev.writebackd.actors.Engines.failure;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.config.Durability;
import dev.writebackd.config.ErrorPolicy;
import dev.writebackd.config.RuntimePolicy;
import dev.writebackd.error.Errno;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Changing the policy while the engine runs: each key reaches the part that decides with it. */
class EnginePolicyTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private final MemoryDevice device = new MemoryDevice(PAGE, 64L << 20);
    // no periodic writeback: only a threshold or an explicit sync writes anything back
    private final Engine engine = Engines.start(device, "writebackd.writeback { writeback-interval = 0 s, "
            + "error-policy = redirty, redirty-backoff-initial = 10 ms, retry-limit = 3 }");

    @AfterEach
    void shutDown() {
        device.heal();
        Engines.stop(engine);
    }

    private long writeRequests() {
        return device.requests().stream().filter(r -> r.op() == BioOp.WRITE && r.inode() != 0).count();
    }

    @Test
    void thePolicyStartsAsConfigured() {
        assertThat(engine.policy().toMap()).containsEntry("writebackIntervalMs", 0L).containsEntry("errorPolicy", "redirty")
                .containsEntry("retryLimit", 3).containsEntry("queueDepth", 4);
    }

    @Test
    @DisplayName("T1 a lowered hard threshold is published for the next decision")
    void aChangedDirtyThresholdIsPublishedAtOnce() {
        RuntimePolicy changed = join(engine.changePolicy(Map.of("dirtyBytes", 64 * PAGE)));

        assertThat(changed.writeback().dirtyBytes()).isEqualTo(64L * PAGE);
        assertThat(engine.policy()).isEqualTo(changed);
        assertThat(join(engine.stats()).dirtyThresholdPages()).isEqualTo(64);
    }

    @Test
    @DisplayName("F1 a lowered background threshold starts background writeback at the next write")
    void aLoweredBackgroundThresholdStartsWritebackForTheNextWrite() {
        Handle file = join(engine.open("file", true));
        join(engine.write(file, 0, bytes(8 * PAGE, 1)));
        assertThat(join(engine.stats()).dirtyPages()).isEqualTo(8); // below 10 % of 16 MiB: stays dirty
        assertThat(writeRequests()).isZero();

        join(engine.changePolicy(Map.of("dirtyBackgroundBytes", 2 * PAGE)));
        join(engine.write(file, 8 * PAGE, bytes(PAGE, 2)));

        // background writeback runs while dirty data is over the threshold (F1): down to 2 pages at most
        await().atMost(WAIT).until(() -> join(engine.stats()).dirtyPages() <= 2);
        assertThat(writeRequests()).isPositive();
    }

    @Test
    @DisplayName("F2 a periodic pass switched on at run time writes expired data back")
    void periodicWritebackSwitchedOnWritesExpiredData() {
        Handle file = join(engine.open("file", true));
        join(engine.write(file, 0, bytes(PAGE, 1)));

        join(engine.changePolicy(Map.of("writebackIntervalMs", 20, "dirtyExpireMs", 0)));

        await().atMost(WAIT).until(() -> join(engine.stats()).dirtyPages() == 0);
        assertThat(writeRequests()).isPositive();
    }

    @Test
    void aChangedDefaultDurabilityAppliesToTheNextWrite() {
        Handle file = join(engine.open("file", true));

        join(engine.changePolicy(Map.of("durability", "synced")));
        WriteResult written = join(engine.write(file, 0, bytes(PAGE, 1)));

        assertThat(written.durable().toCompletableFuture()).isDone();
        assertThat(writeRequests()).isEqualTo(1);
        assertThat(engine.policy().writeback().durability()).isEqualTo(Durability.SYNCED);
    }

    @Test
    @DisplayName("E5 an error policy changed to sticky holds the next failed page")
    void aChangedErrorPolicyDecidesTheNextFailedWrite() {
        Handle file = join(engine.open("file", true));
        join(engine.changePolicy(Map.of("errorPolicy", "sticky")));
        join(engine.write(file, 0, bytes(PAGE, 1)));
        device.failWhen(bio -> bio.op() == BioOp.WRITE, Errno.EIO);
        join(engine.sync());
        device.heal();

        assertThat(errno(engine.fsync(file))).isEqualTo(Errno.EIO);
        assertThat(errno(engine.fsync(file))).isNotNull(); // held: fails until rewritten
        assertThat(join(engine.stats()).heldPages()).isEqualTo(1);
        assertThat(engine.policy().writeback().errorPolicy()).isEqualTo(ErrorPolicy.STICKY);
    }

    @Test
    @DisplayName("E5 a retry limit lowered to 0 loses the next failed page like linux")
    void aLoweredRetryLimitStopsRetries() {
        Handle file = join(engine.open("file", true));
        join(engine.changePolicy(Map.of("retryLimit", 0)));
        WriteResult lost = join(engine.write(file, 0, bytes(PAGE, 1)));
        device.failWhen(bio -> bio.op() == BioOp.WRITE, Errno.ENOSPC);
        join(engine.sync());
        device.heal();
        join(engine.sync());

        assertThat(errno(lost.durable())).isEqualTo(Errno.ENOSPC); // with retry-limit 3 it would land after healing
        assertThat(device.requests()).filteredOn(r -> r.op() == BioOp.WRITE && r.inode() != 0 && !r.failed()).isEmpty();
    }

    @Test
    void queueDepthAndMinimumChunkChange() {
        RuntimePolicy changed = join(engine.changePolicy(Map.of("queueDepth", 1, "minChunkBytes", 2 * PAGE)));

        assertThat(changed.queueDepth()).isEqualTo(1);
        assertThat(changed.writeback().minChunkBytes()).isEqualTo(2L * PAGE);
        Handle file = join(engine.open("file", true));
        join(engine.write(file, 0, bytes(4 * PAGE, 1)));
        join(engine.fsync(file)); // the bio actor works on at depth 1
        assertThat(join(engine.stats()).dirtyPages()).isZero();
    }

    @Test
    void keysThatCannotChangeAtRunTimeAreRefusedUnlessUnchanged() {
        RuntimePolicy before = engine.policy();

        assertThat(failure(engine.changePolicy(Map.of("maxBioSegments", 8))).getMessage())
                .contains("maxBioSegments").contains("cannot change while the engine runs");
        assertThat(failure(engine.changePolicy(Map.of("commitIntervalMs", 100))).getMessage())
                .contains("commitIntervalMs");
        assertThat(failure(engine.changePolicy(Map.of("durability", "journaled"))).errno()).isEqualTo(Errno.EINVAL);
        assertThat(join(engine.changePolicy(Map.of("maxBioSegments", 256, "commitIntervalMs", 5000)))).isEqualTo(before);
        assertThat(engine.policy()).isEqualTo(before);
    }

    @Test
    void anInvalidChangeNamesTheKeyAndChangesNothing() {
        RuntimePolicy before = engine.policy();
        long threshold = join(engine.stats()).dirtyThresholdPages();

        var refused = failure(engine.changePolicy(Map.of("dirtyBytes", 4096, "dirtyRatio", 300)));
        var unknown = failure(engine.changePolicy(Map.of("dirtyness", 1)));

        assertThat(refused.errno()).isEqualTo(Errno.EINVAL);
        assertThat(refused.getMessage()).contains("dirtyRatio = 300");
        assertThat(unknown.getMessage()).contains("dirtyness");
        assertThat(engine.policy()).isEqualTo(before);
        assertThat(join(engine.stats()).dirtyThresholdPages()).isEqualTo(threshold);
    }
}
