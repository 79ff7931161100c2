package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.bytes;
import static dev.writebackd.actors.Engines.errno;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.MemoryDevice;
import dev.writebackd.error.Errno;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EngineFilesTest {
    private final Engine engine = Engines.start(new MemoryDevice(PAGE, 16L << 20), "");

    @AfterEach
    void shutDown() {
        Engines.stop(engine);
    }

    @Test
    void filesListsEveryNameInOrderWithItsInodeAndCurrentSize() {
        Handle b = join(engine.open("b", true));
        Handle a = join(engine.open("a", true));
        join(engine.write(b, 3 * PAGE, bytes(10, 1)));
        join(engine.write(a, 0, bytes(5, 2)));
        join(engine.open("empty", true));

        assertThat(join(engine.files())).containsExactly(
                new FileInfo("a", a.inode(), 5),
                new FileInfo("b", b.inode(), 3 * PAGE + 10),
                new FileInfo("empty", join(engine.open("empty", false)).inode(), 0));
    }

    @Test
    void filesFollowsTruncateRenameAndUnlink() {
        Handle a = join(engine.open("a", true));
        join(engine.write(a, 0, bytes(100, 1)));
        join(engine.truncate(a, 40));
        join(engine.rename("a", "c"));
        join(engine.open("d", true));
        join(engine.unlink("d"));

        assertThat(join(engine.files())).containsExactly(new FileInfo("c", a.inode(), 40));
    }

    @Test
    void handleFindsOpenHandlesByNumberOnly() {
        Handle a = join(engine.open("a", true));

        assertThat(engine.handle(a.id())).containsSame(a);
        assertThat(engine.handle(a.id() + 100)).isEmpty();
        join(engine.close(a));
        assertThat(engine.handle(a.id())).isEmpty();
    }

    @Test
    void filesAnswersShutdownOnceStopped() {
        Handle a = join(engine.open("a", true));
        Engines.stop(engine);

        assertThat(engine.handle(a.id())).isEmpty();
        assertThat(errno(engine.files())).isEqualTo(Errno.ESHUTDOWN);
    }
}
