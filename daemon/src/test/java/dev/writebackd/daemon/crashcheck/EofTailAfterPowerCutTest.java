package dev.writebackd.daemon.crashcheck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.actors.Engine;
import dev.writebackd.actors.Handle;
import dev.writebackd.actors.persist.PersistenceConfig;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.config.ErrorPolicy;
import dev.writebackd.config.Layout;
import dev.writebackd.config.Settings;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The smallest form of what crash check seed 100 (200 ops, 3 cuts, linux, extent) found: after a
 * power cut that kept an overwrite of a file's last block but not the commit of its larger size,
 * the bytes past the committed end of file are that unacknowledged write's; growing the file
 * later must show zeros there (as a hole), not those bytes.
 *
 * <p>The engine passes it since a write or truncate that grows a file zeroes the old last page
 * past the old end and writes those zeros to the device (U4; the engine-level form is
 * {@code EngineEofTailTest}).
 */
class EofTailAfterPowerCutTest {
    @TempDir
    Path dir;

    private static <T> T join(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void bytesPastTheCommittedEndOfFileReadAsZerosOnceTheFileGrows() throws Exception {
        CrashCheckOptions options = new CrashCheckOptions(1, 1, 1, 1, ErrorPolicy.LINUX, Layout.EXTENT, dir);
        Settings settings = SeedRun.settings(options, 256);
        CutSwitch power = new CutSwitch(new MemoryDevice(4096, SeedRun.DEVICE_BYTES));
        var journal = PersistenceConfig.prepare(dir.resolve("data"));
        byte[] small = Pattern.bytes(1, 1, 0, 1);
        byte[] large = Pattern.bytes(1, 2, 0, 1024);

        Engine first = Engine.start(settings, power, journal);
        Handle file = join(first.open("f", true));
        join(first.write(file, 0, ByteBuffer.wrap(small)));
        join(first.fsync(file)); // durable: 1 byte
        join(first.write(file, 0, ByteBuffer.wrap(large)));
        java.util.concurrent.CompletableFuture<Void> cut = new java.util.concurrent.CompletableFuture<>();
        power.arm(2, () -> cut.complete(null)); // the fsync's data write reaches the device, its flush does not
        first.fsync(file);
        join(cut);
        first.halt();
        power.reset();

        Engine second = Engine.start(settings, power, journal);
        try {
            Handle again = join(second.open("f", false));
            assertThat(array(join(second.read(again, 0, 4096)))).as("the committed size").hasSize(1);
            join(second.write(again, 8192, ByteBuffer.wrap(new byte[] {7})));
            byte[] grown = array(join(second.read(again, 0, 8193)));
            assertThat(Arrays.copyOfRange(grown, 1, 8192)).as("the hole between the old and the new end")
                    .containsOnly(0);
        } finally {
            second.halt();
            power.close();
        }
    }

    private static byte[] array(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
