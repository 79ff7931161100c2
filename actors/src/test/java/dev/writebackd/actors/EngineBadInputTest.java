package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.array;
import static dev.writebackd.actors.Engines.bytes;
import static dev.writebackd.actors.Engines.errno;
import static dev.writebackd.actors.Engines.failure;
import static dev.writebackd.actors.Engines.filled;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.MemoryDevice;
import dev.writebackd.config.Durability;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad input through the Java API: each call fails with the right errno and changes nothing. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EngineBadInputTest {
    private static final long MAX_FILE = 8L << 40; // the extent layout's largest file

    private final MemoryDevice device = new MemoryDevice(PAGE, 64L << 20);
    private final MemoryDevice otherDevice = new MemoryDevice(PAGE, 64L << 20);
    private Engine engine;
    private Engine other;
    private Handle file;
    private Handle closed;
    private Handle foreign;

    @BeforeAll
    void start() {
        engine = Engines.start(device, "");
        other = Engines.start(otherDevice, "");
        file = join(engine.open("file", true));
        join(engine.write(file, 0, bytes(PAGE + 100, 7)));
        closed = join(engine.open("file", false));
        join(engine.close(closed));
        foreign = join(other.open("file", true));
    }

    @AfterAll
    void stop() {
        join(engine.shutdown());
        join(other.shutdown());
    }

    private static Arguments bad(String name, Errno errno, BiFunction<EngineBadInputTest, Engine, CompletionStage<?>> call) {
        return Arguments.of(name, errno, call);
    }

    static Stream<Arguments> cases() {
        String longName = "n".repeat(256);
        String longUtf8 = "é".repeat(128); // 256 bytes in UTF-8
        return Stream.of(
                bad("write at a negative offset", Errno.EINVAL, (t, e) -> e.write(t.file, -1, bytes(10, 1))),
                bad("write whose end overflows", Errno.EINVAL, (t, e) -> e.write(t.file, Long.MAX_VALUE - 5, bytes(10, 1))),
                bad("write beyond the largest file", Errno.EFBIG, (t, e) -> e.write(t.file, MAX_FILE - 5, bytes(10, 1))),
                bad("write through a closed handle", Errno.EBADF, (t, e) -> e.write(t.closed, 0, bytes(10, 1))),
                bad("write through no handle", Errno.EBADF, (t, e) -> e.write(null, 0, bytes(10, 1))),
                bad("write through another engine's handle", Errno.ESTALE, (t, e) -> e.write(t.foreign, 0, bytes(10, 1))),
                bad("write without data", Errno.EINVAL, (t, e) -> e.write(t.file, 0, null)),
                bad("journaled write", Errno.ENOTSUP, (t, e) -> e.write(t.file, 0, bytes(10, 1), Durability.JOURNALED)),
                bad("read at a negative offset", Errno.EINVAL, (t, e) -> e.read(t.file, -1, 10)),
                bad("read of a negative length", Errno.EINVAL, (t, e) -> e.read(t.file, 0, -1)),
                bad("read whose end overflows", Errno.EINVAL, (t, e) -> e.read(t.file, Long.MAX_VALUE - 5, 10)),
                bad("read through a closed handle", Errno.EBADF, (t, e) -> e.read(t.closed, 0, 10)),
                bad("truncate to a negative size", Errno.EINVAL, (t, e) -> e.truncate(t.file, -1)),
                bad("truncate beyond the largest file", Errno.EFBIG, (t, e) -> e.truncate(t.file, MAX_FILE + 1)),
                bad("truncate through a closed handle", Errno.EBADF, (t, e) -> e.truncate(t.closed, 0)),
                bad("fsync through a closed handle", Errno.EBADF, (t, e) -> e.fsync(t.closed)),
                bad("syncfs through another engine's handle", Errno.ESTALE, (t, e) -> e.syncfs(t.foreign)),
                bad("close of a closed handle", Errno.EBADF, (t, e) -> e.close(t.closed)),
                bad("open of an empty name", Errno.EINVAL, (t, e) -> e.open("", true)),
                bad("open of a name over 255 bytes", Errno.ENAMETOOLONG, (t, e) -> e.open(longName, true)),
                bad("open of a name over 255 bytes of UTF-8", Errno.ENAMETOOLONG, (t, e) -> e.open(longUtf8, true)),
                bad("open of a name with NUL", Errno.EINVAL, (t, e) -> e.open("a\0b", true)),
                bad("open of a name with '/'", Errno.EINVAL, (t, e) -> e.open("a/b", true)),
                bad("open of a missing file without create", Errno.ENOENT, (t, e) -> e.open("missing", false)),
                bad("unlink of a missing file", Errno.ENOENT, (t, e) -> e.unlink("missing")),
                bad("unlink of an empty name", Errno.EINVAL, (t, e) -> e.unlink("")),
                bad("rename of a missing file", Errno.ENOENT, (t, e) -> e.rename("missing", "file")),
                bad("rename to a name with NUL", Errno.EINVAL, (t, e) -> e.rename("file", "x\0")),
                bad("rename to a name over 255 bytes", Errno.ENAMETOOLONG, (t, e) -> e.rename("file", longName)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void badInputFailsWithItsErrnoAndChangesNothing(String name, Errno expected,
            BiFunction<EngineBadInputTest, Engine, CompletionStage<?>> call) {
        EngineStats before = join(engine.stats());

        ErrnoException error = failure(call.apply(this, engine));

        assertThat(error.errno()).as(name).isEqualTo(expected);
        assertThat(error.getMessage()).as("a message beyond the errno").hasSizeGreaterThan(expected.name().length() + 5);
        assertThat(array(join(engine.read(file, 0, 2 * PAGE)))).isEqualTo(filled(PAGE + 100, 7));
        EngineStats after = join(engine.stats());
        assertThat(after.dirtyPages()).isEqualTo(before.dirtyPages());
        assertThat(after.openHandles()).isEqualTo(before.openHandles());
        assertThat(errno(engine.open("missing", false))).isEqualTo(Errno.ENOENT);
        Handle again = join(engine.open("file", false)); // the name still names the same file
        assertThat(again.inode()).isEqualTo(file.inode());
        join(engine.close(again));
        assertThat(join(other.read(foreign, 0, 10)).remaining()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("afterShutdown")
    void afterShutdownEverythingFailsWithEshutdown(String name,
            BiFunction<Engine, Handle, CompletionStage<?>> call) {
        MemoryDevice spare = new MemoryDevice(PAGE, 64L << 20);
        Engine stopped = Engines.start(spare, "");
        Handle handle = join(stopped.open("f", true));
        join(stopped.shutdown());

        assertThat(errno(call.apply(stopped, handle))).isEqualTo(Errno.ESHUTDOWN);
    }

    static Stream<Arguments> afterShutdown() {
        return Stream.of(
                Arguments.of("write", (BiFunction<Engine, Handle, CompletionStage<?>>) (e, h) ->
                        e.write(h, 0, ByteBuffer.wrap(new byte[1]))),
                Arguments.of("open", (BiFunction<Engine, Handle, CompletionStage<?>>) (e, h) -> e.open("g", true)),
                Arguments.of("read", (BiFunction<Engine, Handle, CompletionStage<?>>) (e, h) -> e.read(h, 0, 1)),
                Arguments.of("fsync", (BiFunction<Engine, Handle, CompletionStage<?>>) (e, h) -> e.fsync(h)),
                Arguments.of("truncate", (BiFunction<Engine, Handle, CompletionStage<?>>) (e, h) -> e.truncate(h, 0)));
    }
}
