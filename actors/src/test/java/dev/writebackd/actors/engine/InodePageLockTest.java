package dev.writebackd.actors.engine;

import static dev.writebackd.actors.engine.InodeFixture.PAGE;
import static dev.writebackd.actors.engine.InodeFixture.filled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.writebackd.actors.engine.InodeActor.Written;
import dev.writebackd.actors.engine.InodeFixture.Pending;
import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.config.Durability;
import dev.writebackd.config.ErrorPolicy;
import java.time.Duration;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The page lock: a page whose read is in flight is neither written over nor truncated until the
 * read has ended, since the read fills the page's memory from the device. The file's async
 * readahead is what leaves reads in flight after the read that started them was answered.
 */
class InodePageLockTest {
    private static final ActorTestKit testKit = ActorTestKit.create(BioDispatcher.config());
    private static final Duration QUIET = Duration.ofMillis(300);
    /** Pages of the file: more than the first two readahead windows. */
    private static final int PAGES = 16;

    @AfterAll
    static void shutDown() {
        testKit.shutdownTestKit();
    }

    /**
     * A file of {@link #PAGES} pages of 1s on the device and not cached, opened as handle 1, with
     * the async readahead of pages 4–11 held in the device: the first read of page 0 reads pages
     * 0–3 and marks page 1 (A2); reading page 1 starts the next window, pages 4–11 (A3), and is
     * answered from the cache at once.
     */
    private static InodeFixture fileWithReadaheadInFlight() {
        InodeFixture f = new InodeFixture(testKit, ErrorPolicy.LINUX);
        f.open(1);
        f.write(1, 0, filled(PAGES * PAGE, 1));
        assertThat(f.fsync(1)).isNull();
        f.restart();
        f.open(1);
        assertThat(f.read(1, 0, PAGE)).isEqualTo(filled(PAGE, 1));
        f.device.holdReads();
        assertThat(f.read(1, PAGE, PAGE)).isEqualTo(filled(PAGE, 1));
        await().until(() -> f.device.readsWaiting() == 1);
        return f;
    }

    @Test
    @DisplayName("S6 a write onto a page being read waits for the read, and the written bytes win")
    void writeOntoAPageBeingReadWaitsForTheRead() {
        InodeFixture f = fileWithReadaheadInFlight();

        Pending write = f.writeAsync(1, 5 * PAGE, filled(PAGE, 2), Durability.CACHED);
        write.reply().expectNoMessage(QUIET);
        assertThat(f.state().dirtyPages()).as("nothing written while the read is in flight").isZero();
        f.device.release();

        assertThat(write.written()).isEqualTo(new Written(PAGE));
        assertThat(f.read(1, 5 * PAGE, PAGE)).isEqualTo(filled(PAGE, 2));
        assertThat(f.read(1, 4 * PAGE, PAGE)).isEqualTo(filled(PAGE, 1));
        assertThat(f.fsync(1)).isNull();
        assertThat(f.onDevice(5)).isEqualTo(filled(PAGE, 2));
    }

    @Test
    @DisplayName("U1 a truncate waits for the file's reads in flight before it zeroes or frees pages")
    void truncateWaitsForReadsInFlight() {
        InodeFixture f = fileWithReadaheadInFlight();

        TestProbe<StatusReply<Done>> truncate = testKit.createTestProbe();
        f.file.tell(new InodeActor.Truncate(2 * PAGE + 100, truncate.ref()));
        truncate.expectNoMessage(QUIET);
        assertThat(f.state().size()).as("not truncated while the read is in flight").isEqualTo(PAGES * PAGE);
        f.device.release();

        assertThat(truncate.receiveMessage(InodeFixture.WAIT).isSuccess()).isTrue();
        assertThat(f.state().size()).isEqualTo(2 * PAGE + 100);
        assertThat(f.read(1, 2 * PAGE, PAGE)).isEqualTo(filled(100, 1));
        assertThat(f.state().cachedPages()).isEqualTo(3);
    }

    @Test
    @DisplayName("S6 a write elsewhere in the file is not held up by a read in flight")
    void writeElsewhereIsNotHeldUp() {
        InodeFixture f = fileWithReadaheadInFlight();

        Pending write = f.writeAsync(1, 13 * PAGE, filled(PAGE, 3), Durability.CACHED);

        assertThat(write.written()).isEqualTo(new Written(PAGE));
        assertThat(f.device.readsWaiting()).isEqualTo(1);
        f.device.release();
        assertThat(f.read(1, 13 * PAGE, PAGE)).isEqualTo(filled(PAGE, 3));
    }
}
