package dev.writebackd.actors.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.actors.engine.Flushing.ChunkWritten;
import dev.writebackd.actors.engine.Flushing.CoordinatorCommand;
import dev.writebackd.actors.engine.Flushing.InodeDirtied;
import dev.writebackd.actors.engine.Flushing.SyncAll;
import dev.writebackd.actors.engine.Flushing.SyncDone;
import dev.writebackd.actors.engine.Flushing.WakeUp;
import dev.writebackd.actors.engine.Flushing.WritePages;
import dev.writebackd.actors.engine.Flushing.WritebackEnded;
import dev.writebackd.actors.engine.WritebackCoordinator.GetStats;
import dev.writebackd.actors.engine.WritebackCoordinator.SetPolicy;
import dev.writebackd.actors.engine.WritebackCoordinator.Stats;
import dev.writebackd.config.PageCacheSettings;
import dev.writebackd.config.Settings;
import dev.writebackd.config.WritebackPolicy;
import dev.writebackd.mpage.FlusherState;
import dev.writebackd.mpage.SyncMode;
import dev.writebackd.mpage.WritePagesReply;
import dev.writebackd.mpage.WritePagesRequest;
import dev.writebackd.mpage.WritebackReason;
import dev.writebackd.mpage.WritebackWork;
import dev.writebackd.page.DirtyLedger;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import dev.writebackd.page.PagePool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The coordinator with test probes standing in for the inode actors. Time is manual: each fixture
 * has its own nanosecond clock, moved on together with Pekko's ManualTime and followed by a stats
 * round trip, so every timer that fell due has been handled before the test looks. Timers that fall
 * due within one move are handled at the clock time of its end, so tests move time in steps no
 * longer than the gaps between the timers they care about.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WritebackCoordinatorTest {
    private static final int PAGE = 4096;
    private static final long SMALL_BUDGET = 16L << 20; // 4096 pages: background 409, hard 819
    private static final long LARGE_BUDGET = 1L << 30; // 262144 pages: background 26214, hard 52428
    private static final long UNLIMITED = WritePagesRequest.UNLIMITED;

    @JUnit5TestKit
    final ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();
    private final ManualTime manualTime = ManualTime.get(testKit.system());
    private final List<ActorRef<CoordinatorCommand>> started = new ArrayList<>();

    @AfterEach
    void stopCoordinators() {
        started.forEach(testKit::stop);
        started.clear();
    }

    private static WritebackPolicy defaults() {
        return Settings.defaults().writeback();
    }

    @Test
    @DisplayName("F1 F2 the periodic pass runs every writeback interval and writes only inodes older than the expire interval")
    void periodicPassWritesExpiredInodesOnly() {
        Fixture f = new Fixture(defaults(), LARGE_BUDGET);
        FakeInode a = f.inode(1);
        FakeInode b = f.inode(2);
        a.dirty(10);

        f.advance(Duration.ofSeconds(5));
        assertThat(f.stats().passesRun()).isEqualTo(1);
        f.advance(Duration.ofSeconds(5), 4);
        f.advance(Duration.ofSeconds(1));
        b.dirty(10); // at 26 s
        f.advance(Duration.ofSeconds(2));
        a.probe.expectNoMessage(Duration.ZERO);
        assertThat(f.stats().passesRun()).isEqualTo(5);

        f.advance(Duration.ofSeconds(2)); // 30 s: a has expired, b (4 s old) has not
        WritePages chunk = a.probe.expectMessageClass(WritePages.class);
        assertThat(chunk.request().reason()).isEqualTo(WritebackReason.PERIODIC);
        assertThat(chunk.request().mode()).isEqualTo(SyncMode.NONE);
        assertThat(chunk.request().cyclic()).isTrue();
        a.serve(chunk);
        b.probe.expectNoMessage(Duration.ZERO);
        assertThat(f.stats().passesRun()).isEqualTo(6);

        f.advance(Duration.ofSeconds(5), 5); // 55 s: b is 29 s old
        b.probe.expectNoMessage(Duration.ZERO);
        f.advance(Duration.ofSeconds(5));
        b.serve(b.probe.expectMessageClass(WritePages.class));
        a.probe.expectNoMessage(Duration.ZERO);
        f.stats();
        assertThat(f.stats().dirtyInodes()).isZero();
        assertThat(f.ledger.dirtyPages()).isZero();
    }

    @Test
    @DisplayName("F1 a writeback interval of 0 disables periodic writeback")
    void zeroWritebackIntervalDisablesPeriodicWriteback() {
        Fixture f = new Fixture(defaults().withWritebackInterval(Duration.ZERO), LARGE_BUDGET);
        FakeInode a = f.inode(1);
        a.dirty(10);

        f.advance(Duration.ofSeconds(60));

        a.probe.expectNoMessage(Duration.ZERO);
        Stats stats = f.stats();
        assertThat(stats.passesRun()).isZero();
        assertThat(stats.dirtyInodes()).isEqualTo(1);
    }

    @Test
    @DisplayName("F5 T2 background writeback starts on WakeUp over the background threshold and stops at it")
    void backgroundWritebackRunsWhileOverTheBackgroundThreshold() {
        Fixture f = new Fixture(defaults().withMinChunkBytes(16 * PAGE), SMALL_BUDGET);
        FakeInode a = f.inode(1);
        a.dirty(300);
        a.dirty(300); // now 600 > 409, but no writer has woken the flusher yet
        f.stats();
        a.probe.expectNoMessage(Duration.ZERO);

        f.coordinator.tell(WakeUp.INSTANCE);

        // F3: min(25600 / 2, 819 / 8, unlimited) = 102, rounded down to 16 pages, plus 16
        WritePages first = a.probe.expectMessageClass(WritePages.class);
        assertThat(first.request().reason()).isEqualTo(WritebackReason.BACKGROUND);
        assertThat(first.request().nrToWrite()).isEqualTo(112);
        a.serve(first);
        assertThat(f.ledger.dirtyPages()).isEqualTo(488);
        a.serve(a.probe.expectMessageClass(WritePages.class));
        assertThat(f.ledger.dirtyPages()).isEqualTo(376);

        a.probe.expectNoMessage(Duration.ZERO);
        Stats stats = f.stats();
        assertThat(stats.passesRun()).isEqualTo(1);
        assertThat(stats.currentWork()).isNull();
        f.coordinator.tell(WakeUp.INSTANCE);
        f.stats();
        a.probe.expectNoMessage(Duration.ZERO);
    }

    @Test
    @DisplayName("F1 F2 F3 F4 SyncAll works run in FIFO order, each dirty inode gets one unlimited SYNC_ALL chunk, SyncDone after the last")
    void syncAllWorksRunInOrderWithUnlimitedChunks() {
        Fixture f = new Fixture(defaults(), LARGE_BUDGET);
        FakeInode a = f.inode(1);
        FakeInode b = f.inode(2);
        FakeInode c = f.inode(3);
        FakeInode d = f.inode(4);
        FakeInode late = f.inode(5);
        a.dirty(5);
        b.dirty(7);
        c.dirty(9);
        TestProbe<SyncDone> firstCaller = testKit.createTestProbe();
        TestProbe<SyncDone> secondCaller = testKit.createTestProbe();

        f.coordinator.tell(new SyncAll(WritebackReason.SYNC, firstCaller.ref()));
        f.stats();
        f.advance(Duration.ofMillis(1));
        d.dirty(4); // after the first sync was asked for: only the second writes it (F2's sync cutoff)
        f.coordinator.tell(new SyncAll(WritebackReason.SHUTDOWN, secondCaller.ref()));
        f.stats();
        f.advance(Duration.ofMillis(1));
        late.dirty(2); // after both: neither writes it

        WritePages chunkA = a.probe.expectMessageClass(WritePages.class);
        assertThat(chunkA.request()).isEqualTo(WritePagesRequest.syncAll(WritebackReason.SYNC));
        a.writeback(UNLIMITED);
        a.dirty(3); // written to while its chunk is out
        a.answer(chunkA, 5);
        for (FakeInode next : List.of(b, c)) {
            firstCaller.expectNoMessage(Duration.ZERO);
            WritePages chunk = next.probe.expectMessageClass(WritePages.class);
            assertThat(chunk.request().mode()).isEqualTo(SyncMode.ALL);
            assertThat(chunk.request().nrToWrite()).isEqualTo(UNLIMITED);
            assertThat(chunk.request().reason()).isEqualTo(WritebackReason.SYNC);
            next.serve(chunk);
        }
        assertThat(firstCaller.receiveMessage().pagesWritten()).isEqualTo(21);

        // F4: a, still dirty, was stamped with the time its chunk ended, so no pass takes it again.
        WritePages chunkD = d.probe.expectMessageClass(WritePages.class);
        assertThat(chunkD.request()).isEqualTo(WritePagesRequest.syncAll(WritebackReason.SHUTDOWN));
        secondCaller.expectNoMessage(Duration.ZERO);
        d.serve(chunkD);
        assertThat(secondCaller.receiveMessage().pagesWritten()).isEqualTo(4);

        a.probe.expectNoMessage(Duration.ZERO);
        late.probe.expectNoMessage(Duration.ZERO);
        Stats stats = f.stats();
        assertThat(stats.passesRun()).isEqualTo(2);
        assertThat(stats.dirtyInodes()).isEqualTo(2);
        assertThat(stats.queuedWorks()).isZero();
        assertThat(stats.pagesWritten()).isEqualTo(25);
    }

    @Test
    @DisplayName("F1 F5 a queued sync work pre-empts background writeback at its next chunk")
    void syncWorkPreemptsBackgroundWriteback() {
        Fixture f = new Fixture(defaults().withMinChunkBytes(16 * PAGE), SMALL_BUDGET);
        FakeInode a = f.inode(1);
        a.dirty(600); // over the background threshold: the first dirtying already starts background

        WritePages background = a.probe.expectMessageClass(WritePages.class);
        assertThat(background.request().reason()).isEqualTo(WritebackReason.BACKGROUND);
        TestProbe<SyncDone> caller = testKit.createTestProbe();
        f.coordinator.tell(new SyncAll(WritebackReason.SYNC, caller.ref()));
        f.stats();
        a.serve(background);

        WritePages sync = a.probe.expectMessageClass(WritePages.class);
        assertThat(sync.request().mode()).isEqualTo(SyncMode.ALL);
        a.serve(sync);
        assertThat(caller.receiveMessage().pagesWritten()).isEqualTo(600 - 112);
        a.probe.expectNoMessage(Duration.ZERO);
        assertThat(f.stats().passesRun()).isEqualTo(2);
    }

    @Test
    @DisplayName("F4 F6 inodes whose chunks are used up are served round robin through b_more_io")
    void busyInodesAreServedRoundRobin() {
        Fixture f = new Fixture(defaults().withMinChunkBytes(16 * PAGE), SMALL_BUDGET);
        List<FakeInode> inodes = List.of(f.inode(1), f.inode(2), f.inode(3));
        inodes.forEach(inode -> inode.dirty(130)); // 390: under the background threshold
        inodes.forEach(inode -> inode.dirty(270)); // 1200, and nobody has woken the flusher
        f.stats();
        inodes.forEach(inode -> inode.probe.expectNoMessage(Duration.ZERO));

        f.coordinator.tell(WakeUp.INSTANCE);

        // 112 pages a chunk, until dirty (1200 − 112 per chunk) is at or below 409: eight chunks.
        List<Long> served = new ArrayList<>();
        for (int chunk = 0; chunk < 8; chunk++) {
            FakeInode expected = inodes.get(chunk % 3);
            WritePages request = expected.probe.expectMessageClass(WritePages.class);
            assertThat(request.request().nrToWrite()).isEqualTo(112);
            for (FakeInode other : inodes) {
                if (other != expected) {
                    other.probe.expectNoMessage(Duration.ZERO);
                }
            }
            expected.serve(request);
            served.add(expected.number);
        }
        assertThat(served).containsExactly(1L, 2L, 3L, 1L, 2L, 3L, 1L, 2L);
        assertThat(f.ledger.dirtyPages()).isEqualTo(1200 - 8 * 112);
        f.stats();
        inodes.forEach(inode -> inode.probe.expectNoMessage(Duration.ZERO));
    }

    @Test
    @DisplayName("F3 chunks are sized from the bandwidth estimate, which follows completed pages into the ledger and ignores idle time")
    void chunkSizesFollowTheMeasuredBandwidth() {
        WritebackPolicy policy = defaults().withDirtyBackgroundBytes(400L * PAGE);
        Fixture f = new Fixture(policy, LARGE_BUDGET); // hard limit 52428 pages, min chunk 1024 pages
        assertThat(f.ledger.bandwidthPagesPerSec()).isEqualTo(25_600); // 100 MiB/s until measured
        FakeInode a = f.inode(1);
        a.dirty(500);

        WritePages first = a.probe.expectMessageClass(WritePages.class);
        // min(25600 / 2, 52428 / 8, unlimited) = 6553 → 6144 + 1024
        assertThat(first.request().nrToWrite()).isEqualTo(7168);
        a.serve(first);

        // The device completes 100 pages/s: the published estimate falls second by second.
        long previous = f.ledger.bandwidthPagesPerSec();
        for (int second = 0; second < 5; second++) {
            a.completeWriteback(100);
            f.advance(Duration.ofSeconds(1));
            long now = f.ledger.bandwidthPagesPerSec();
            assertThat(now).isLessThan(previous);
            previous = now;
        }
        assertThat(f.ledger.writebackPages()).isZero();
        assertThat(f.stats().bandwidthPagesPerSec()).isEqualTo(previous);

        // Time with nothing to write is not slow writing: the estimate stays.
        f.advance(Duration.ofSeconds(10));
        f.coordinator.tell(WakeUp.INSTANCE);
        assertThat(f.stats().bandwidthPagesPerSec()).isEqualTo(previous);

        a.dirty(500);
        WritePages second = a.probe.expectMessageClass(WritePages.class);
        long expected = FlusherState.chunkPages(false, previous, 52_428, UNLIMITED, 1024);
        assertThat(second.request().nrToWrite()).isEqualTo(expected).isLessThan(7168);
        assertThat(expected % 1024).isZero();
        assertThat(expected).isGreaterThanOrEqualTo(1024);
    }

    @Test
    @DisplayName("T1 SetPolicy publishes the new thresholds to the ledger and the next decision uses them")
    void setPolicyChangesThresholdsAndDecisions() {
        Fixture f = new Fixture(defaults(), SMALL_BUDGET);
        assertThat(f.ledger.dirtyThreshPages()).isEqualTo(819);
        assertThat(f.ledger.backgroundThreshPages()).isEqualTo(409);
        FakeInode a = f.inode(1);
        a.dirty(300);
        f.coordinator.tell(WakeUp.INSTANCE);
        f.stats();
        a.probe.expectNoMessage(Duration.ZERO);

        f.coordinator.tell(new SetPolicy(defaults().withDirtyRatio(10).withDirtyBackgroundRatio(5)));

        WritePages chunk = a.probe.expectMessageClass(WritePages.class);
        assertThat(chunk.request().reason()).isEqualTo(WritebackReason.BACKGROUND);
        assertThat(f.ledger.dirtyThreshPages()).isEqualTo(409);
        assertThat(f.ledger.backgroundThreshPages()).isEqualTo(204);
        Stats stats = f.stats();
        assertThat(stats.dirtyThreshPages()).isEqualTo(409);
        assertThat(stats.backgroundThreshPages()).isEqualTo(204);
    }

    @Test
    @DisplayName("F1 F2 SetPolicy turning periodic writeback on keeps each inode's dirtiedWhen")
    void setPolicyEnablesPeriodicWritebackKeepingInodeAges() {
        WritebackPolicy off = defaults().withWritebackInterval(Duration.ZERO);
        Fixture f = new Fixture(off, LARGE_BUDGET);
        FakeInode a = f.inode(1);
        a.dirty(10);
        f.advance(Duration.ofSeconds(40));
        a.probe.expectNoMessage(Duration.ZERO);

        f.coordinator.tell(new SetPolicy(off.withWritebackInterval(Duration.ofSeconds(5))));
        f.stats();
        f.advance(Duration.ofMillis(4900));
        a.probe.expectNoMessage(Duration.ZERO);
        f.advance(Duration.ofMillis(100));

        // The interval restarted at the change; a, first dirtied 45 s ago, has long expired.
        WritePages chunk = a.probe.expectMessageClass(WritePages.class);
        assertThat(chunk.request().reason()).isEqualTo(WritebackReason.PERIODIC);
    }

    @Test
    @DisplayName("F5 a pass that made no progress waits for writeback to end, or for the fallback, before trying again")
    void passWithoutProgressWaitsForWriteback() {
        Fixture f = new Fixture(defaults().withMinChunkBytes(16 * PAGE), SMALL_BUDGET);
        FakeInode a = f.inode(1);
        FakeInode b = f.inode(2);
        a.dirty(200);
        b.dirty(200);
        a.dirty(100);
        b.dirty(100);
        f.coordinator.tell(WakeUp.INSTANCE);
        // Round 1: both use up their chunks (b_more_io); round 2: both consume but write nothing.
        for (FakeInode inode : List.of(a, b)) {
            inode.answerUsedUp(inode.probe.expectMessageClass(WritePages.class), 112);
        }
        for (FakeInode inode : List.of(a, b)) {
            inode.answerUsedUp(inode.probe.expectMessageClass(WritePages.class), 0);
        }
        f.coordinator.tell(WakeUp.INSTANCE);
        f.stats();
        a.probe.expectNoMessage(Duration.ZERO);
        b.probe.expectNoMessage(Duration.ZERO);

        f.coordinator.tell(new WritebackEnded(2, 16));
        WritePages retried = a.probe.expectMessageClass(WritePages.class);
        a.answerUsedUp(retried, 0);
        b.answerUsedUp(b.probe.expectMessageClass(WritePages.class), 0);
        f.advance(Duration.ofMillis(99));
        a.probe.expectNoMessage(Duration.ZERO);

        f.advance(Duration.ofMillis(1)); // the fallback
        a.probe.expectMessageClass(WritePages.class);
        assertThat(f.stats().currentWork().kind()).isEqualTo(WritebackWork.Kind.BACKGROUND);
    }

    @Test
    @DisplayName("An inode actor that terminates, with or without a chunk out, counts as clean and never wedges the flusher")
    void deadInodeDoesNotWedgeTheCoordinator() {
        Fixture f = new Fixture(defaults(), LARGE_BUDGET);
        FakeInode a = f.inode(1);
        FakeInode b = f.inode(2);
        FakeInode gone = f.inode(3);
        a.dirty(5);
        b.dirty(7);
        gone.dirty(9);
        gone.probe.stop();
        TestProbe<SyncDone> caller = testKit.createTestProbe();

        f.coordinator.tell(new SyncAll(WritebackReason.SYNC, caller.ref()));
        a.probe.expectMessageClass(WritePages.class);
        a.probe.stop(); // dies with its chunk out
        b.serve(b.probe.expectMessageClass(WritePages.class));

        assertThat(caller.receiveMessage().pagesWritten()).isEqualTo(7);
        f.coordinator.tell(new ChunkWritten(1, new WritePagesReply(5, 0, 0, false, null))); // too late: ignored
        Stats stats = f.stats();
        assertThat(stats.dirtyInodes()).isZero();
        assertThat(stats.currentWork()).isNull();

        TestProbe<SyncDone> next = testKit.createTestProbe();
        f.coordinator.tell(new SyncAll(WritebackReason.SYNC, next.ref()));
        assertThat(next.receiveMessage().pagesWritten()).isZero();
    }

    /** One coordinator with its ledger, clock and page pool. */
    private final class Fixture {
        final DirtyLedger ledger = new DirtyLedger();
        final AtomicLong clock = new AtomicLong(Duration.ofHours(1).toNanos());
        final PagePool pool = new PagePool(PAGE, 8L << 20);
        final ActorRef<CoordinatorCommand> coordinator;
        final TestProbe<Stats> statsProbe = testKit.createTestProbe();

        Fixture(WritebackPolicy policy, long cacheBudget) {
            coordinator = testKit.spawn(WritebackCoordinator.create(ledger, policy,
                    new PageCacheSettings(PAGE, cacheBudget), clock::get));
            started.add(coordinator);
            stats(); // started: thresholds and bandwidth are published
        }

        FakeInode inode(long number) {
            return new FakeInode(this, number);
        }

        Stats stats() {
            coordinator.tell(new GetStats(statsProbe.ref()));
            return statsProbe.receiveMessage();
        }

        /** Moves the clock and the scheduler on together, then waits until the coordinator has handled the timers. */
        void advance(Duration duration) {
            clock.addAndGet(duration.toNanos());
            manualTime.timePasses(duration);
            stats();
        }

        void advance(Duration step, int times) {
            for (int i = 0; i < times; i++) {
                advance(step);
            }
        }
    }

    /** A file's pages and a probe standing in for its inode actor. */
    private final class FakeInode {
        final Fixture fixture;
        final long number;
        final TestProbe<WritePages> probe = testKit.createTestProbe();
        final PageCache pages;
        long nextIndex;

        FakeInode(Fixture fixture, long number) {
            this.fixture = fixture;
            this.number = number;
            this.pages = new PageCache(number, fixture.pool, fixture.ledger, PAGE);
        }

        /**
         * Dirties {@code count} new pages; the first dirtying of a clean file tells the coordinator,
         * and waits until it has handled that.
         */
        void dirty(int count) {
            boolean wasClean = pages.dirtyPages() == 0;
            for (int i = 0; i < count; i++) {
                pages.insert(nextIndex);
                pages.markDirty(nextIndex++);
            }
            if (wasClean) {
                fixture.coordinator.tell(new InodeDirtied(number, probe.ref()));
                fixture.stats();
            }
        }

        /** What the page writer does with a chunk: puts up to {@code limit} dirty pages under writeback. */
        long writeback(long limit) {
            long written = 0;
            for (long i = pages.next(0, Long.MAX_VALUE, PageFlags.DIRTY); i >= 0 && written < limit;
                    i = pages.next(i + 1, Long.MAX_VALUE, PageFlags.DIRTY)) {
                pages.clearDirtyForIo(i);
                pages.startWriteback(i);
                written++;
            }
            return written;
        }

        /** Writes the chunk as an inode actor would, and answers it. */
        void serve(WritePages chunk) {
            answer(chunk, writeback(chunk.request().nrToWrite()));
        }

        /** Answers the chunk: {@code written} pages went to the device; dirty is what the file has left. */
        void answer(WritePages chunk, long written) {
            long nrToWrite = chunk.request().nrToWrite();
            chunk.replyTo().tell(new ChunkWritten(number,
                    new WritePagesReply(written, nrToWrite - written, 0, pages.dirtyPages() > 0, null)));
        }

        /**
         * Answers that the chunk was used up and the file is still dirty, with {@code written} pages
         * reported as written (none of this file's pages change).
         */
        void answerUsedUp(WritePages chunk, long written) {
            chunk.replyTo().tell(new ChunkWritten(number, new WritePagesReply(written, 0, 0, true, null)));
        }

        /** Ends writeback of up to {@code count} pages and tells the coordinator. */
        void completeWriteback(int count) {
            int ended = 0;
            for (long i = pages.next(0, Long.MAX_VALUE, PageFlags.WRITEBACK); i >= 0 && ended < count;
                    i = pages.next(i + 1, Long.MAX_VALUE, PageFlags.WRITEBACK)) {
                pages.endWriteback(i, pages.slot(i));
                ended++;
            }
            fixture.coordinator.tell(new WritebackEnded(number, ended));
        }
    }
}
