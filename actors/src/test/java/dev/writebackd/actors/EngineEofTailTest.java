package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.array;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.writebackd.actors.persist.PersistenceConfig;
import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.Segment;
import dev.writebackd.config.Settings;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * U4 when the device holds bytes past a file's end — as after a power cut that kept the data of a
 * larger write whose new size was never committed: growing the file, by a truncate or by a write
 * past the end, shows zeros between the old end and the new data, and writes those zeros to the
 * device, so a later engine does not find the old bytes either.
 */
class EngineEofTailTest {
    private static final int OLD_SIZE = 100;

    @TempDir
    Path dataDir;

    private final MemoryDevice device = new MemoryDevice(PAGE, 16L << 20);

    private Engine start() {
        Settings settings = Settings.load(ConfigFactory.parseString("writebackd.page-cache.cache-budget = 16 MiB"));
        try {
            return Engine.start(settings, device, PersistenceConfig.prepare(dataDir));
        } catch (java.io.IOException | java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    static Stream<Arguments> grows() {
        BiFunction<Engine, Handle, Void> byWrite = (engine, file) -> {
            join(engine.write(file, 2L * PAGE, ByteBuffer.wrap(new byte[] {7})));
            return null;
        };
        BiFunction<Engine, Handle, Void> byWriteInTheSamePage = (engine, file) -> {
            join(engine.write(file, 3000, ByteBuffer.wrap(new byte[] {7})));
            return null;
        };
        BiFunction<Engine, Handle, Void> byTruncate = (engine, file) -> {
            join(engine.truncate(file, 2L * PAGE + 1));
            return null;
        };
        return Stream.of(Arguments.of("a write two pages on", byWrite, 2L * PAGE + 1),
                Arguments.of("a write in the old last page", byWriteInTheSamePage, 3001L),
                Arguments.of("a truncate", byTruncate, 2L * PAGE + 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("grows")
    @DisplayName("U4 growing a file whose last block holds other bytes past its end on the device: the gap reads as zeros, now and after a restart")
    void theGapReadsAsZeros(String how, BiFunction<Engine, Handle, Void> grow, long newSize) {
        Engine first = start();
        Handle file = join(first.open("f", true));
        join(first.write(file, 0, ByteBuffer.wrap(filled(OLD_SIZE, 1))));
        join(first.fsync(file));
        join(first.shutdown());
        scribblePastTheEnd(file.inode());

        Engine second = start();
        Handle again = join(second.open("f", false));
        grow.apply(second, again);
        byte[] now = array(join(second.read(again, 0, (int) newSize)));
        join(second.fsync(again));
        join(second.shutdown());

        Engine third = start();
        try {
            Handle last = join(third.open("f", false));
            byte[] later = array(join(third.read(last, 0, (int) newSize)));
            for (byte[] contents : List.of(now, later)) {
                assertThat(contents).hasSize((int) newSize);
                assertThat(Arrays.copyOfRange(contents, 0, OLD_SIZE)).isEqualTo(filled(OLD_SIZE, 1));
                assertThat(Arrays.copyOfRange(contents, OLD_SIZE, 3000)).as("the gap").containsOnly(0);
            }
        } finally {
            join(third.shutdown());
        }
    }

    /** Fills the file's first block past its end with 0x66 on the device, as a lost bigger write would have. */
    private void scribblePastTheEnd(long inode) {
        MemoryDevice.Request written = device.requests().stream()
                .filter(r -> r.op() == BioOp.WRITE && r.inode() == inode).findFirst().orElseThrow();
        byte[] block = filled(PAGE, 0x66);
        System.arraycopy(filled(OLD_SIZE, 1), 0, block, 0, OLD_SIZE);
        assertThat(device.submit(new Bio(BioOp.WRITE, written.startSector(),
                List.of(Segment.ofPage(ByteBuffer.wrap(block), 0, 0)), Set.of(), 0))).isNull();
    }

    private static byte[] filled(int length, int fill) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) fill);
        return bytes;
    }
}
