package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.array;
import static dev.writebackd.actors.Engines.errno;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.MemoryDevice.Request;
import dev.writebackd.block.fault.FaultRule;
import dev.writebackd.block.fault.FaultyDevice;
import dev.writebackd.error.Errno;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Fault rules under a running engine: what reaches the device changes, the page cache never does. */
class EngineFaultRulesTest {
    private final MemoryDevice memory = new MemoryDevice(PAGE, 64L << 20);
    private final AtomicReference<Engine> engine = new AtomicReference<>();
    private final FaultyDevice device = new FaultyDevice(memory, 42,
            new EngineFileResolver(engine::get, Duration.ofSeconds(5)));

    @AfterEach
    void shutDown() {
        device.clear();
        Engines.stop(engine.get());
    }

    private Handle start(String name) {
        engine.set(Engines.start(device, ""));
        return join(engine.get().open(name, true));
    }

    private static byte[] pattern(long seed, int length) {
        byte[] bytes = new byte[length];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) random.nextInt(1, 256);
        }
        return bytes;
    }

    private List<Request> writesOf(Handle file) {
        return memory.requests().stream().filter(r -> r.op() == BioOp.WRITE && r.inode() == file.inode()).toList();
    }

    @Test
    void aCorruptRuleChangesTheDevicesBytesNeverTheCachedPages() {
        Handle file = start("data");
        device.add(FaultRule.fromJson(Map.of("op", "write", "action", "corrupt", "file", "data",
                "corruptOffset", 100, "corruptValue", 0)));
        byte[] data = pattern(1, 2 * PAGE);

        join(engine.get().write(file, 0, ByteBuffer.wrap(data)));
        join(engine.get().sync());

        assertThat(array(join(engine.get().read(file, 0, 2 * PAGE)))).isEqualTo(data);
        Request write = writesOf(file).get(0);
        byte[] expected = java.util.Arrays.copyOfRange(data, 0, (int) write.sectorCount() * 512);
        expected[100] = 0;
        assertThat(write.dataBytes()).isEqualTo(expected);
        assertThat(memory.readBytes(write.startSector() * 512, expected.length)).isEqualTo(expected);
        assertThat(device.rules().get(0).hits()).isEqualTo(1);
    }

    @Test
    void aDropRuleLosesTheWriteOnTheDeviceButTheCacheKeepsIt() {
        Handle file = start("data");
        device.add(FaultRule.fromJson(Map.of("op", "write", "action", "drop", "file", "data")));
        byte[] data = pattern(2, PAGE);

        join(engine.get().write(file, 0, ByteBuffer.wrap(data)));
        join(engine.get().sync());

        assertThat(errno(engine.get().fsync(file))).isNull(); // a dropped write is acknowledged
        assertThat(array(join(engine.get().read(file, 0, PAGE)))).isEqualTo(data);
        assertThat(writesOf(file)).isEmpty();
        assertThat(device.rules().get(0).hits()).isPositive();
    }

    @Test
    @DisplayName("E2 a write-EIO rule scoped to one file fails only that file's fsync, once")
    void aFileScopedRuleFailsOnlyThatFile() {
        Handle victim = start("victim");
        Handle bystander = join(engine.get().open("bystander", true));
        assertThat(join(engine.get().inodeOf("victim"))).isEqualTo(OptionalLong.of(victim.inode()));
        assertThat(join(engine.get().inodeOf("nobody"))).isEmpty();
        device.add(FaultRule.fromJson(Map.of("op", "write", "action", "error", "file", "victim")));

        join(engine.get().write(victim, 0, ByteBuffer.wrap(pattern(3, PAGE))));
        join(engine.get().write(bystander, 0, ByteBuffer.wrap(pattern(4, PAGE))));
        join(engine.get().sync());

        assertThat(errno(engine.get().fsync(victim))).isEqualTo(Errno.EIO);
        assertThat(errno(engine.get().fsync(victim))).isNull();
        assertThat(errno(engine.get().fsync(bystander))).isNull();
        assertThat(writesOf(bystander)).isNotEmpty().allSatisfy(r -> assertThat(r.failed()).isFalse());
        assertThat(writesOf(victim)).isEmpty();
    }
}
