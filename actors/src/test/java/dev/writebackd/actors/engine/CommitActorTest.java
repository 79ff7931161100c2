package dev.writebackd.actors.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.actors.io.BioResult;
import dev.writebackd.block.BioOp;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockAllocator;
import dev.writebackd.layout.BlockLayout;
import dev.writebackd.layout.Extent;
import dev.writebackd.layout.MapResult;
import dev.writebackd.layout.MappingJournal;
import dev.writebackd.layout.MappingJournal.Batch;
import dev.writebackd.mpage.Errseq;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The commit actor with manual time, a probe in place of the bio actor (so every flush is seen and
 * answered by the test) and a committer that drains the real mapping journal and records each batch.
 */
class CommitActorTest {
    private static final int BLOCK = 4096;
    private static final Duration INTERVAL = Duration.ofSeconds(5);
    private static final Duration NO_MESSAGE = Duration.ofMillis(100);

    private final ActorTestKit testKit = ActorTestKit.create(ManualTime.config());
    private final ManualTime manualTime = ManualTime.get(testKit.system());

    private final BlockLayout mapper = BlockLayout.create(BlockLayout.EXTENT, new BlockAllocator(256), BLOCK, null);
    private final MappingJournal journal = new MappingJournal(mapper);
    private final SharedLayout layout = new SharedLayout(mapper, journal);
    private final Errseq deviceErrseq = new Errseq();
    /** What happened, in order: "flush" when a flush reached the device, "commit N" per file commit. */
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final List<Batch> batches = new CopyOnWriteArrayList<>();
    private final MetadataCommitter committer = inode -> {
        events.add("commit " + inode);
        journal.drain(inode).ifPresent(batch -> {
            batches.add(batch);
            journal.committed(batch);
        });
        return CompletableFuture.completedFuture(null);
    };
    private final TestProbe<BioDispatcher.Command> bios = testKit.createTestProbe();

    @AfterEach
    void shutDown() {
        testKit.shutdownTestKit();
    }

    private ActorRef<CommitActor.Command> start() {
        return testKit.spawn(CommitActor.create(layout, committer, bios.ref(), deviceErrseq, INTERVAL));
    }

    /** File {@code inode} gets {@code count} new blocks at block 0, written (the write completed). */
    private Extent writeCompleted(long inode, int count) {
        MapResult.Mapped mapped = (MapResult.Mapped) layout.map(inode, 0, count, true);
        layout.sizeChanged(inode, (long) count * BLOCK);
        layout.written(inode, mapped.physicalBlock(), count);
        return new Extent(0, mapped.physicalBlock(), count);
    }

    /** The flush the actor submitted, answered with {@code error} (or success). */
    private void answerFlush(Errno error) {
        BioDispatcher.Submit submit = bios.expectMessageClass(BioDispatcher.Submit.class);
        assertThat(submit.bios()).hasSize(1);
        assertThat(submit.bios().get(0).op()).isEqualTo(BioOp.FLUSH);
        events.add("flush");
        submit.replyTo().tell(new BioDispatcher.Completed(List.of(new BioResult(submit.bios().get(0), error))));
    }

    private CommitActor.Stats stats(ActorRef<CommitActor.Command> commits) {
        TestProbe<CommitActor.Stats> probe = testKit.createTestProbe();
        commits.tell(new CommitActor.GetStats(probe.ref()));
        return probe.receiveMessage();
    }

    @Test
    @DisplayName("a completed write's mapping is committed one commit interval later, after a device flush, without fsync")
    void periodicCommitAfterTheInterval() {
        ActorRef<CommitActor.Command> commits = start();
        Extent run = writeCompleted(1, 4);

        manualTime.timePasses(INTERVAL.minusMillis(1));
        bios.expectNoMessage(NO_MESSAGE);
        assertThat(events).isEmpty();

        manualTime.timePasses(Duration.ofMillis(1));
        answerFlush(null);

        TestProbe<CommitActor.Stats> probe = testKit.createTestProbe();
        probe.awaitAssert(() -> {
            assertThat(batches).containsExactly(new Batch(1, 4L * BLOCK, List.of(run), List.of(), false));
            return null;
        });
        assertThat(events).as("ordered mode: the flush before the commit").containsExactly("flush", "commit 1");
        assertThat(stats(commits)).isEqualTo(new CommitActor.Stats(1, 1, 1, 0));
    }

    @Test
    @DisplayName("a changed commit interval times the next periodic round (run-time policy)")
    void changedIntervalTimesTheNextRound() {
        ActorRef<CommitActor.Command> commits = start();
        Duration longer = INTERVAL.multipliedBy(4);
        commits.tell(new CommitActor.SetInterval(longer));
        writeCompleted(1, 2);

        manualTime.timePasses(INTERVAL.multipliedBy(2));
        bios.expectNoMessage(NO_MESSAGE);
        assertThat(events).as("the old interval no longer starts rounds").isEmpty();

        manualTime.timePasses(longer.minus(INTERVAL.multipliedBy(2)));
        answerFlush(null);
        TestProbe<CommitActor.Stats> probe = testKit.createTestProbe();
        probe.awaitAssert(() -> {
            assertThat(events).containsExactly("flush", "commit 1");
            return null;
        });
        assertThat(stats(commits).periodicRounds()).isEqualTo(1);
    }

    @Test
    @DisplayName("a commit interval that is not above zero is refused")
    void nonPositiveIntervalRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new CommitActor.SetInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not above 0");
    }

    @Test
    @DisplayName("nothing is flushed or committed while nothing changed")
    void idleIntervalsDoNothing() {
        ActorRef<CommitActor.Command> commits = start();

        manualTime.timePasses(INTERVAL.multipliedBy(3));
        bios.expectNoMessage(NO_MESSAGE);

        writeCompleted(1, 2);
        manualTime.timePasses(INTERVAL);
        answerFlush(null);
        TestProbe<Object> wait = testKit.createTestProbe();
        wait.awaitAssert(() -> {
            assertThat(stats(commits).filesCommitted()).isEqualTo(1);
            return null;
        });

        manualTime.timePasses(INTERVAL.multipliedBy(3));
        bios.expectNoMessage(NO_MESSAGE);
        assertThat(stats(commits)).isEqualTo(new CommitActor.Stats(1, 1, 1, 0));
        assertThat(events).containsExactly("flush", "commit 1");
    }

    @Test
    @DisplayName("a failed flush commits nothing; the mapping goes with the next round's flush")
    void failedFlushCommitsNothing() {
        ActorRef<CommitActor.Command> commits = start();
        Extent run = writeCompleted(1, 3);
        long seenBefore = deviceErrseq.sample();

        manualTime.timePasses(INTERVAL);
        answerFlush(Errno.EIO);
        TestProbe<Object> wait = testKit.createTestProbe();
        wait.awaitAssert(() -> {
            assertThat(stats(commits).failedRounds()).isEqualTo(1);
            return null;
        });
        assertThat(events).containsExactly("flush");
        assertThat(deviceErrseq.checkAndAdvance(seenBefore).error()).as("syncfs learns of the failed flush").isEqualTo(Errno.EIO);

        manualTime.timePasses(INTERVAL);
        answerFlush(null);
        wait.awaitAssert(() -> {
            assertThat(batches).containsExactly(new Batch(1, 3L * BLOCK, List.of(run), List.of(), false));
            return null;
        });
        assertThat(events).containsExactly("flush", "flush", "commit 1");
    }

    @Test
    @DisplayName("durable futures of cached writes wait for the periodic round; a synced write's request starts one at once")
    void urgentRequestsDoNotWaitForTheInterval() {
        ActorRef<CommitActor.Command> commits = start();
        TestProbe<CompletionActor.Flushed> inode = testKit.createTestProbe();
        writeCompleted(1, 1);

        commits.tell(new CommitActor.AwaitDurable(false, inode.ref()));
        bios.expectNoMessage(NO_MESSAGE);

        commits.tell(new CommitActor.AwaitDurable(true, inode.ref())); // the same inode hurries its request
        answerFlush(null);
        assertThat(inode.receiveMessage()).isEqualTo(new CompletionActor.Flushed(null));
        inode.expectNoMessage(NO_MESSAGE); // one answer for the two requests
        assertThat(events).containsExactly("flush", "commit 1");
        assertThat(stats(commits)).isEqualTo(new CommitActor.Stats(1, 0, 1, 0));
    }

    @Test
    @DisplayName("a commit that fails answers the durable futures with EIO and the file goes with the next round")
    void failedCommitIsRetried() {
        CompletableFuture<Void> refused = CompletableFuture.failedFuture(new IllegalStateException("journal down"));
        List<Long> attempts = new CopyOnWriteArrayList<>();
        MetadataCommitter failingOnce = inode -> {
            attempts.add(inode);
            return attempts.size() == 1 ? refused : committer.commit(inode);
        };
        ActorRef<CommitActor.Command> commits =
                testKit.spawn(CommitActor.create(layout, failingOnce, bios.ref(), deviceErrseq, INTERVAL));
        TestProbe<CompletionActor.Flushed> inode = testKit.createTestProbe();
        writeCompleted(1, 2);

        commits.tell(new CommitActor.AwaitDurable(true, inode.ref()));
        answerFlush(null);
        assertThat(inode.receiveMessage()).isEqualTo(new CompletionActor.Flushed(Errno.EIO));

        manualTime.timePasses(INTERVAL);
        answerFlush(null);
        TestProbe<Object> wait = testKit.createTestProbe();
        wait.awaitAssert(() -> {
            assertThat(batches).hasSize(1);
            return null;
        });
        assertThat(attempts).containsExactly(1L, 1L);
    }

    @Test
    @DisplayName("E6 sync's commit round starts at once and commits the files named as well as every changed one")
    void commitAllStartsAtOnce() {
        ActorRef<CommitActor.Command> commits = start();
        writeCompleted(1, 1);
        TestProbe<CommitActor.Committed> sync = testKit.createTestProbe();

        commits.tell(new CommitActor.CommitAll(Set.of(7L), sync.ref()));
        answerFlush(null);

        CommitActor.Committed committed = sync.receiveMessage();
        assertThat(committed.succeeded()).isTrue();
        assertThat(events).containsExactly("flush", "commit 1", "commit 7");
    }
}
