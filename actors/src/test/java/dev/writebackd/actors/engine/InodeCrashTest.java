package dev.writebackd.actors.engine;

import static dev.writebackd.actors.engine.InodeFixture.PAGE;
import static dev.writebackd.actors.engine.InodeFixture.filled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.writebackd.actors.engine.InodeFixture.Pending;
import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.config.Durability;
import dev.writebackd.config.ErrorPolicy;
import dev.writebackd.error.Errno;
import dev.writebackd.mpage.Errseq;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * An inode actor that fails with an unexpected exception is not restarted (a fresh actor would
 * drop the dirty pages without a word): it stops, and everything waiting on it fails with EIO.
 */
class InodeCrashTest {
    private static final ActorTestKit testKit = ActorTestKit.create(BioDispatcher.config());

    @AfterAll
    static void shutDown() {
        testKit.shutdownTestKit();
    }

    @Test
    @DisplayName("E1 a failed inode actor stops; its fsync and the durable futures of its unwritten data fail with EIO")
    void failedActorFailsWhatWaitsWithEio() {
        InodeFixture f = new InodeFixture(testKit, ErrorPolicy.LINUX);
        f.open(1);
        f.write(1, 0, filled(2 * PAGE, 1));
        f.crashCommits.set(true);
        f.device.hold(); // the fsync's writes wait in the device while another write dirties the file
        TestProbe<StatusReply<Done>> fsync = f.fsyncAsync(1);
        await().until(() -> f.device.waiting() > 0);
        Pending dirty = f.writeAsync(1, 8 * PAGE, filled(PAGE, 2), Durability.CACHED);
        assertThat(dirty.written().bytes()).isEqualTo(PAGE);
        int pagesBefore = f.pool.usedPages();

        LoggingTestKit.error("The actor of file 1 failed").expect(testKit.system(), () -> {
            f.device.release(); // the fsync's commit throws inside the actor
            return null;
        });

        TestProbe<Object> watcher = testKit.createTestProbe();
        watcher.expectTerminated(f.file, InodeFixture.WAIT);
        assertThat(InodeFixture.errno(fsync.receiveMessage(InodeFixture.WAIT))).isEqualTo(Errno.EIO);
        await().until(() -> dirty.durable().isDone());
        assertThat(InodeFixture.errno(dirty.durable())).isEqualTo(Errno.EIO);
        assertThat(Errseq.errnoOf(f.deviceErrseq.current())).isEqualTo(Errno.EIO);
        assertThat(f.pool.usedPages()).as("its pages went back to the pool").isLessThan(pagesBefore);
    }

    @Test
    @DisplayName("E1 an inode actor stopped from outside (the engine's actor system terminating) is no failure: "
            + "no EIO is recorded and nothing is logged as failed")
    void stopFromOutsideIsNoFailure() {
        InodeFixture f = new InodeFixture(testKit, ErrorPolicy.LINUX);
        f.open(1);
        f.write(1, 0, filled(PAGE, 1));
        long before = f.deviceErrseq.current();

        LoggingTestKit.error("failed").withOccurrences(0).expect(testKit.system(), () -> {
            testKit.stop(f.file);
            return null;
        });

        assertThat(f.deviceErrseq.current()).isEqualTo(before);
    }
}
