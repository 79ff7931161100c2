package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.bytes;
import static dev.writebackd.actors.Engines.errno;
import static dev.writebackd.actors.Engines.failure;
import static dev.writebackd.actors.Engines.filled;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.writebackd.actors.engine.HoldingDevice;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.MemoryDevice.Request;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EngineShutdownTest {
    private final MemoryDevice memory = new MemoryDevice(PAGE, 64L << 20);
    private final HoldingDevice device = new HoldingDevice(memory);

    @AfterEach
    void releaseTheDevice() {
        device.release();
    }

    @Test
    void shutdownWritesBackEveryDirtyPageFlushesAndStops() {
        Engine engine = Engines.start(device, "");
        Handle a = join(engine.open("a", true));
        Handle b = join(engine.open("b", true));
        WriteResult first = join(engine.write(a, 0, bytes(2 * PAGE, 1)));
        WriteResult second = join(engine.write(b, 5 * PAGE, bytes(PAGE, 2)));

        assertThat(errno(engine.shutdown())).isNull();

        List<Request> requests = memory.requests();
        assertThat(requests).filteredOn(r -> r.op() == BioOp.WRITE && r.inode() == a.inode())
                .singleElement().satisfies(r -> assertThat(r.dataBytes()).isEqualTo(filled(2 * PAGE, 1)));
        assertThat(requests).filteredOn(r -> r.op() == BioOp.WRITE && r.inode() == b.inode())
                .singleElement().satisfies(r -> assertThat(r.dataBytes()).isEqualTo(filled(PAGE, 2)));
        assertThat(requests.get(requests.size() - 1).op()).isEqualTo(BioOp.FLUSH);
        assertThat(errno(first.durable())).isNull();
        assertThat(errno(second.durable())).isNull();
        assertThat(errno(engine.shutdown())).isNull(); // a second call answers like the first
    }

    @Test
    void writesAreRefusedWithEshutdownOnceShutdownBegins() {
        Engine engine = Engines.start(device, "");
        Handle file = join(engine.open("file", true));
        join(engine.write(file, 0, bytes(PAGE, 1)));
        device.hold();

        CompletionStage<Void> shutdown = engine.shutdown();
        await().until(() -> device.waiting() > 0);

        assertThat(errno(engine.write(file, 0, bytes(PAGE, 2)))).isEqualTo(Errno.ESHUTDOWN);
        assertThat(errno(engine.truncate(file, 0))).isEqualTo(Errno.ESHUTDOWN);
        assertThat(errno(engine.open("other", true))).isEqualTo(Errno.ESHUTDOWN);
        device.release();
        assertThat(errno(shutdown)).isNull();
        assertThat(memory.requests()).filteredOn(r -> r.op() == BioOp.WRITE && r.inode() == file.inode())
                .singleElement().satisfies(r -> assertThat(r.dataBytes()).isEqualTo(filled(PAGE, 1)));
    }

    @Test
    void shutdownThatCannotFinishInTimeFailsNamingEveryRangeStillDirty() {
        Engine engine = Engines.start(device, "");
        Handle stuck = join(engine.open("stuck", true));
        join(engine.write(stuck, PAGE, bytes(2 * PAGE, 1)));
        device.hold(); // the device never finishes

        ErrnoException error = failure(engine.shutdown(Duration.ofMillis(500)));

        assertThat(error.errno()).isEqualTo(Errno.ETIMEDOUT);
        assertThat(error.getMessage()).contains("[stuck]", "[4096, 12288)");
    }

    @Test
    void shutdownFailsNamingRangesHeldAfterFailedWrites() {
        Engine engine = Engines.start(device, "writebackd.writeback.error-policy = sticky");
        Handle file = join(engine.open("held", true));
        join(engine.write(file, 0, bytes(PAGE, 1)));
        memory.failWhen(bio -> bio.op() == BioOp.WRITE, Errno.EIO);

        ErrnoException error = failure(engine.shutdown());

        assertThat(error.errno()).isEqualTo(Errno.EIO);
        assertThat(error.getMessage()).contains("held", "[held]", "[0, 4096)");
    }

    @Test
    void shutdownFailsWhenWritesFailWhileItDrains() {
        Engine engine = Engines.start(device, "");
        Handle file = join(engine.open("file", true));
        WriteResult lost = join(engine.write(file, 0, bytes(PAGE, 1)));
        memory.failWhen(bio -> bio.op() == BioOp.WRITE, Errno.EIO);

        ErrnoException error = failure(engine.shutdown());

        assertThat(error.errno()).isEqualTo(Errno.EIO);
        assertThat(error.getMessage()).contains("lost");
        assertThat(errno(lost.durable())).isEqualTo(Errno.EIO);
    }
}
