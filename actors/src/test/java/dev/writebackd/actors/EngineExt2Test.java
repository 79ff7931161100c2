package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.array;
import static dev.writebackd.actors.Engines.bytes;
import static dev.writebackd.actors.Engines.errno;
import static dev.writebackd.actors.Engines.filled;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.MemoryDevice.Request;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The engine on the ext2 layout, whose map blocks live on the device. */
class EngineExt2Test {
    private final MemoryDevice device = new MemoryDevice(PAGE, 64L << 20);
    private final Engine engine = Engines.start(device, "writebackd.layout = ext2");

    @AfterEach
    void shutDown() {
        Engines.stop(engine);
    }

    @Test
    @DisplayName("W9 E1 ext2 fsync: the data, the map block behind it, then the device flush")
    void fsyncWritesTheMapBlockAfterItsDataAndBeforeTheFlush() {
        Handle file = join(engine.open("file", true));
        join(engine.write(file, 0, bytes(16 * PAGE, 5))); // 12 direct blocks, then the indirect map block
        device.clearRequests();

        assertThat(errno(engine.fsync(file))).isNull();

        List<Request> requests = device.requests();
        int firstData = indexOf(requests, r -> r.op() == BioOp.WRITE && !r.flags().contains(BioFlag.META));
        int mapBlock = indexOf(requests, r -> r.op() == BioOp.WRITE && r.flags().contains(BioFlag.META));
        assertThat(firstData).isZero();
        assertThat(mapBlock).isPositive();
        assertThat(requests.get(requests.size() - 1).op()).isEqualTo(BioOp.FLUSH);
        assertThat(requests).filteredOn(r -> r.op() == BioOp.WRITE && !r.flags().contains(BioFlag.META))
                .allSatisfy(r -> assertThat(r.dataBytes()).containsOnly((byte) 5))
                .extracting(Request::sectorCount).containsExactlyInAnyOrder(12L * PAGE / 512, 4L * PAGE / 512);
        assertThat(array(join(engine.read(file, 0, 16 * PAGE)))).isEqualTo(filled(16 * PAGE, 5));
    }

    private static int indexOf(List<Request> requests, java.util.function.Predicate<Request> match) {
        for (int i = 0; i < requests.size(); i++) {
            if (match.test(requests.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
