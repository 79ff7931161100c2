package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.array;
import static dev.writebackd.actors.Engines.bytes;
import static dev.writebackd.actors.Engines.errno;
import static dev.writebackd.actors.Engines.filled;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.MemoryDevice.Request;
import dev.writebackd.error.Errno;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The three error policies, each on a device that fails writes and then heals. */
class EngineErrorPoliciesTest {
    private final MemoryDevice device = new MemoryDevice(PAGE, 64L << 20);
    private Engine engine;

    @AfterEach
    void shutDown() {
        device.heal();
        Engines.stop(engine);
    }

    private Handle start(String policy) {
        engine = Engines.start(device, "writebackd.writeback { error-policy = " + policy
                + ", redirty-backoff-initial = 10 ms, retry-limit = 3 }");
        return join(engine.open("file", true));
    }

    private void failWrites() {
        device.failWhen(bio -> bio.op() == BioOp.WRITE, Errno.ENOSPC);
    }

    private List<Request> successfulWrites() {
        return device.requests().stream().filter(r -> r.op() == BioOp.WRITE && !r.failed() && r.inode() != 0).toList();
    }

    @Test
    @DisplayName("E5 linux on a failing-then-healing device: the lost write's durable future fails with ENOSPC, "
            + "the page is not written after the device heals")
    void linuxLosesTheWrite() {
        Handle file = start("linux");
        WriteResult lost = join(engine.write(file, 0, bytes(PAGE, 1)));
        failWrites();
        join(engine.sync());
        device.heal();
        join(engine.sync());

        assertThat(errno(lost.durable())).isEqualTo(Errno.ENOSPC);
        assertThat(errno(engine.fsync(file))).isEqualTo(Errno.ENOSPC);
        assertThat(errno(engine.fsync(file))).isNull();
        assertThat(successfulWrites()).isEmpty();
        assertThat(array(join(engine.read(file, 0, PAGE)))).isEqualTo(filled(PAGE, 1));
    }

    @Test
    @DisplayName("E5 redirty on a failing-then-healing device: the page is retried and lands once the device heals; "
            + "its durable future completes, the failure was still reported once")
    void redirtyRetriesUntilTheDeviceHeals() {
        Handle file = start("redirty");
        WriteResult write = join(engine.write(file, 0, bytes(PAGE, 2)));
        failWrites();
        join(engine.sync()); // the first attempt fails; the page waits for its retry
        assertThat(write.durable().toCompletableFuture()).isNotDone();
        device.heal();

        join(engine.sync()); // sync does not wait for the backoff

        assertThat(errno(write.durable())).isNull();
        assertThat(successfulWrites()).singleElement()
                .satisfies(r -> assertThat(r.dataBytes()).isEqualTo(filled(PAGE, 2)));
        assertThat(errno(engine.fsync(file))).isEqualTo(Errno.ENOSPC); // recorded, as every policy does
        assertThat(errno(engine.fsync(file))).isNull();
        assertThat(join(engine.stats()).dirtyPages()).isZero();
    }

    @Test
    @DisplayName("E5 redirty past its retry limit loses the write like linux, failing its durable future")
    void redirtyGivesUpAfterTheRetryLimit() {
        Handle file = start("redirty");
        WriteResult lost = join(engine.write(file, 0, bytes(PAGE, 3)));
        failWrites();
        for (int attempt = 0; attempt < 4; attempt++) { // the write and three retries
            join(engine.sync());
        }
        device.heal();
        join(engine.sync());

        assertThat(errno(lost.durable())).isEqualTo(Errno.ENOSPC);
        assertThat(successfulWrites()).isEmpty();
        assertThat(device.requests()).filteredOn(r -> r.op() == BioOp.WRITE && r.failed()).hasSize(4);
    }

    @Test
    @DisplayName("E5 sticky on a failing-then-healing device: the page is held, every fsync fails until the range "
            + "is rewritten, then it is written")
    void stickyHoldsThePageUntilRewritten() {
        Handle file = start("sticky");
        WriteResult lost = join(engine.write(file, 0, bytes(PAGE, 4)));
        failWrites();
        join(engine.sync());
        device.heal();
        join(engine.sync());

        assertThat(errno(lost.durable())).isEqualTo(Errno.ENOSPC);
        assertThat(errno(engine.fsync(file))).isEqualTo(Errno.ENOSPC);
        assertThat(errno(engine.fsync(file))).isNotNull();
        assertThat(errno(engine.fsync(file))).isNotNull();
        assertThat(join(engine.stats()).heldPages()).isEqualTo(1);
        assertThat(successfulWrites()).isEmpty();

        WriteResult rewrite = join(engine.write(file, 0, bytes(PAGE, 5)));
        assertThat(errno(engine.fsync(file))).isNull();
        assertThat(errno(rewrite.durable())).isNull();
        assertThat(successfulWrites()).singleElement()
                .satisfies(r -> assertThat(r.dataBytes()).isEqualTo(filled(PAGE, 5)));
        assertThat(join(engine.stats()).heldPages()).isZero();
    }

    @Test
    @DisplayName("U2 sticky: truncating the held range away lets fsync succeed again")
    void stickyHeldRangeTruncatedAway() {
        Handle file = start("sticky");
        join(engine.write(file, 0, bytes(2 * PAGE, 6)));
        device.failWhen(bio -> bio.op() == BioOp.WRITE, Errno.EIO);
        join(engine.sync());
        device.heal();
        assertThat(errno(engine.fsync(file))).isEqualTo(Errno.EIO);
        assertThat(errno(engine.fsync(file))).isEqualTo(Errno.EIO);

        join(engine.truncate(file, 0));

        assertThat(errno(engine.fsync(file))).isNull();
        assertThat(join(engine.stats()).heldPages()).isZero();
    }
}
