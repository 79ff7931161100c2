package dev.writebackd.mpage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.error.Errno;
import dev.writebackd.mpage.FlusherDecision.ChunkInFlight;
import dev.writebackd.mpage.FlusherDecision.Idle;
import dev.writebackd.mpage.FlusherDecision.WaitForWriteback;
import dev.writebackd.mpage.FlusherDecision.WorkDone;
import dev.writebackd.mpage.FlusherDecision.WriteInode;
import dev.writebackd.mpage.FlusherState.Counters;
import dev.writebackd.mpage.FlusherState.Settings;
import dev.writebackd.mpage.WritebackWork.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class FlusherStateTest {

    private static final int PAGE = 4096;
    private static final long MIN_CHUNK = 1024; // 4 MiB of 4 KiB pages
    private static final long BANDWIDTH = 25_600; // 100 MiB/s in pages
    private static final long LIMIT = 262_144; // dirty limit: limit / 8 does not bind
    private static final long BG = 100;
    /** A background chunk at 100 MiB/s: 50 MiB rounded down to 48 MiB, plus 4 MiB. */
    private static final long CHUNK = 13_312;

    private final AtomicLong clock = new AtomicLong();
    private final FlusherState flusher = new FlusherState(Settings.defaults(PAGE), clock::get);

    private void advanceMillis(long millis) {
        clock.addAndGet(Duration.ofMillis(millis).toNanos());
    }

    private static long seconds(long s) {
        return Duration.ofSeconds(s).toNanos();
    }

    private static Counters dirty(long pages) {
        return new Counters(pages, BG, LIMIT, BANDWIDTH);
    }

    private WriteInode expectWrite(Counters counters) {
        FlusherDecision d = flusher.step(counters);
        assertThat(d).isInstanceOf(WriteInode.class);
        return (WriteInode) d;
    }

    private WorkDone expectDone(Counters counters) {
        FlusherDecision d = flusher.step(counters);
        assertThat(d).isInstanceOf(WorkDone.class);
        return (WorkDone) d;
    }

    /** Chunk used up, inode still dirty. */
    private static WritePagesReply usedUp(WriteInode w) {
        return new WritePagesReply(w.request().nrToWrite(), 0, 0, true, null);
    }

    /** Some pages written, inode clean. */
    private static WritePagesReply clean(long written) {
        return new WritePagesReply(written, CHUNK - written, 0, false, null);
    }

    /** Nothing written, chunk not used up, still dirty: blocked. */
    private static WritePagesReply blocked(WriteInode w) {
        return new WritePagesReply(0, w.request().nrToWrite(), 0, true, null);
    }

    private void dirtyInodes(long... inodes) {
        for (long inode : inodes) {
            flusher.markDirty(inode);
        }
    }

    @Nested
    class F1 {

        @Test
        @DisplayName("F1 queued works run first in FIFO order, then start-all, then periodic, then background")
        void priorityOrder() {
            WritebackWork first = WritebackWork.sync(1, WritebackReason.SYNC, 0);
            WritebackWork second = WritebackWork.pages(2, 500, WritebackReason.MEMORY_PRESSURE, 0);
            flusher.queueWork(first);
            flusher.queueWork(second);
            flusher.requestStartAll(WritebackReason.SHUTDOWN);
            long now = seconds(5);

            assertThat(flusher.nextWork(now, 1000, BG)).isSameAs(first);
            assertThat(flusher.nextWork(now, 1000, BG)).isSameAs(second);
            WritebackWork startAll = flusher.nextWork(now, 1000, BG);
            assertThat(startAll.kind()).isEqualTo(Kind.START_ALL);
            assertThat(startAll.reason()).isEqualTo(WritebackReason.SHUTDOWN);
            assertThat(startAll.nrPages()).isEqualTo(1000);
            WritebackWork periodic = flusher.nextWork(now, 1000, BG);
            assertThat(periodic.kind()).isEqualTo(Kind.PERIODIC);
            assertThat(periodic.nrPages()).isEqualTo(1000);
            assertThat(flusher.nextWork(now, 1000, BG).kind()).isEqualTo(Kind.BACKGROUND);
            assertThat(flusher.nextWork(now, BG, BG)).as("not above bg_thresh").isNull();
        }

        @Test
        @DisplayName("F1 the periodic pass runs once per writeback interval (5 s)")
        void periodicInterval() {
            assertThat(flusher.nextWork(seconds(5) - 1, 10, BG)).isNull();
            assertThat(flusher.nextWork(seconds(5), 10, BG).kind()).isEqualTo(Kind.PERIODIC);
            assertThat(flusher.nextWork(seconds(5), 10, BG)).isNull();
            assertThat(flusher.nextWork(seconds(10) - 1, 10, BG)).isNull();
            assertThat(flusher.nextWork(seconds(10), 10, BG).kind()).isEqualTo(Kind.PERIODIC);
        }

        @Test
        @DisplayName("F1 with nothing dirty the periodic check passes without a pass, and restarts its interval")
        void periodicWithNothingDirty() {
            assertThat(flusher.nextWork(seconds(5), 0, BG)).isNull();
            assertThat(flusher.nextWork(seconds(6), 10, BG)).isNull();
            assertThat(flusher.nextWork(seconds(10), 10, BG).kind()).isEqualTo(Kind.PERIODIC);
        }

        @Test
        @DisplayName("F1 a writeback interval of 0 disables the periodic pass")
        void intervalZeroDisables() {
            FlusherState off = new FlusherState(new Settings(0, seconds(30), MIN_CHUNK, 100_000_000), clock::get);
            off.markDirty(1);

            assertThat(off.nextWork(seconds(3600), 10, BG)).isNull();
            assertThat(off.step(dirty(10))).isEqualTo(new Idle(Long.MAX_VALUE));
        }

        @Test
        @DisplayName("F1 background writeback runs only while dirty is above bg_thresh")
        void backgroundAboveThreshold() {
            assertThat(flusher.nextWork(0, BG, BG)).isNull();
            assertThat(flusher.nextWork(0, BG + 1, BG).kind()).isEqualTo(Kind.BACKGROUND);
        }

        @Test
        @DisplayName("F1 start-all requests merge while pending and keep the first reason; none with nothing dirty")
        void startAllMerges() {
            flusher.requestStartAll(WritebackReason.MEMORY_PRESSURE);
            flusher.requestStartAll(WritebackReason.SYNC);
            assertThat(flusher.startAllPending()).isTrue();

            assertThat(flusher.nextWork(0, 50, BG).reason()).isEqualTo(WritebackReason.MEMORY_PRESSURE);
            assertThat(flusher.nextWork(0, 50, BG)).isNull();

            flusher.requestStartAll(WritebackReason.SYNC);
            assertThat(flusher.nextWork(0, 0, BG)).isNull();
            assertThat(flusher.startAllPending()).isFalse();
        }

        @Test
        @DisplayName("F1 with nothing to do the flusher is idle until the periodic pass falls due")
        void idleUntilPeriodic() {
            assertThat(flusher.step(dirty(0))).as("nothing dirty: no timer").isEqualTo(new Idle(Long.MAX_VALUE));

            advanceMillis(1000);
            flusher.markDirty(7);
            assertThat(flusher.step(dirty(10))).isEqualTo(new Idle(seconds(5)));

            clock.set(seconds(5));
            WorkDone early = expectDone(dirty(10));
            assertThat(early.work().kind()).as("due, but the inode is not 30 s old yet").isEqualTo(Kind.PERIODIC);
            assertThat(early.pagesWritten()).isZero();
            assertThat(flusher.step(dirty(10))).isEqualTo(new Idle(seconds(10)));

            clock.set(seconds(35));
            WriteInode w = expectWrite(dirty(10));
            assertThat(w.inode()).isEqualTo(7);
            assertThat(flusher.currentWork().kind()).isEqualTo(Kind.PERIODIC);
            assertThat(w.request().reason()).isEqualTo(WritebackReason.PERIODIC);
            assertThat(w.request().isBackground()).isTrue();
        }

        @Test
        @DisplayName("F1 only caller works can be queued")
        void onlyQueuedWorks() {
            assertThatThrownBy(() -> flusher.queueWork(WritebackWork.background(0)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class F2 {

        @Test
        @DisplayName("F2 b_dirty is ordered by first dirtying; redirtying an already dirty inode does not move it")
        void firstDirtyingOrders() {
            flusher.markDirty(1);
            advanceMillis(10);
            flusher.markDirty(2);
            advanceMillis(10);
            flusher.markDirty(1);
            flusher.markDirty(3);

            assertThat(flusher.bDirty()).containsExactly(1L, 2L, 3L);
            assertThat(flusher.dirtiedWhen(1)).hasValue(0);
            assertThat(flusher.dirtiedWhen(3)).hasValue(Duration.ofMillis(20).toNanos());
        }

        @Test
        @DisplayName("F2 queueIo splices b_more_io in first, then the expired b_dirty inodes oldest first")
        void queueIoOrder() {
            dirtyInodes(1, 2);
            WriteInode w1 = expectWrite(dirty(1000));
            assertThat(flusher.bIo()).containsExactly(2L);
            advanceMillis(5);
            flusher.markDirty(3);
            flusher.chunkFinished(1, usedUp(w1));
            WriteInode w2 = expectWrite(dirty(1000));
            flusher.chunkFinished(2, usedUp(w2));
            assertThat(flusher.bMoreIo()).containsExactly(1L, 2L);
            assertThat(flusher.bDirty()).containsExactly(3L);

            WriteInode next = expectWrite(dirty(1000));

            assertThat(next.inode()).isEqualTo(1);
            assertThat(flusher.bIo()).containsExactly(2L, 3L);
            assertThat(flusher.bMoreIo()).isEmpty();
            assertThat(flusher.bDirty()).isEmpty();
        }

        @Test
        @DisplayName("F2 the periodic pass moves only inodes dirtied at least dirty_expire_interval (30 s) ago")
        void periodicCutoff() {
            flusher.markDirty(1);
            clock.set(seconds(10));
            flusher.markDirty(2);
            clock.set(seconds(26));
            flusher.markDirty(3);
            clock.set(seconds(40));

            WriteInode w = expectWrite(dirty(50)); // 50 ≤ bg: only the periodic pass is due

            assertThat(flusher.currentWork().kind()).isEqualTo(Kind.PERIODIC);
            assertThat(w.inode()).isEqualTo(1);
            assertThat(flusher.bIo()).containsExactly(2L);
            assertThat(flusher.bDirty()).containsExactly(3L);
        }

        @Test
        @DisplayName("F2 background writeback moves every dirty inode (cutoff now)")
        void backgroundCutoff() {
            dirtyInodes(1, 2);
            advanceMillis(1);
            flusher.markDirty(3);

            WriteInode w = expectWrite(dirty(1000));

            assertThat(w.inode()).isEqualTo(1);
            assertThat(flusher.bIo()).containsExactly(2L, 3L);
        }

        @Test
        @DisplayName("F2 a sync work writes only inodes dirtied before it started")
        void syncCutoff() {
            flusher.markDirty(1);
            clock.set(seconds(1));
            WritebackWork sync = WritebackWork.sync(9, WritebackReason.SYNC, clock.get());
            flusher.queueWork(sync);
            advanceMillis(1);
            flusher.markDirty(2);

            WriteInode w = expectWrite(dirty(10));
            assertThat(w.inode()).isEqualTo(1);
            assertThat(w.request().mode()).isEqualTo(SyncMode.ALL);
            flusher.chunkFinished(1, new WritePagesReply(40, WritePagesRequest.UNLIMITED - 40, 0, false, null));

            assertThat(flusher.step(dirty(10))).isEqualTo(new WorkDone(sync, 40));
            assertThat(flusher.bDirty()).containsExactly(2L);
        }
    }

    @Nested
    class F3 {

        @Test
        @DisplayName("F3 at 100 MiB/s a chunk is 50 MiB rounded down to 48 MiB, plus 4 MiB")
        void bandwidthChunk() {
            long chunk = FlusherState.chunkPages(false, BANDWIDTH, LIMIT, Long.MAX_VALUE, MIN_CHUNK);

            assertThat(chunk).isEqualTo(CHUNK);
            assertThat(chunk * PAGE).isEqualTo((48L << 20) + (4L << 20));
        }

        @Test
        @DisplayName("F3 dirty_limit / 8 bounds the chunk")
        void dirtyLimitBounds() {
            // 20 % of 1 GiB = 52428 pages; / 8 = 6553 → 6144 + 1024
            assertThat(FlusherState.chunkPages(false, BANDWIDTH, 52_428, Long.MAX_VALUE, MIN_CHUNK)).isEqualTo(7_168);
        }

        @Test
        @DisplayName("F3 the pages left in the work bound the chunk, which is still never under 4 MiB")
        void pagesLeftBound() {
            assertThat(FlusherState.chunkPages(false, BANDWIDTH, LIMIT, 5_000, MIN_CHUNK)).isEqualTo(5_120);
            assertThat(FlusherState.chunkPages(false, BANDWIDTH, LIMIT, 100, MIN_CHUNK)).isEqualTo(MIN_CHUNK);
            assertThat(FlusherState.chunkPages(false, 0, LIMIT, 100, MIN_CHUNK)).isEqualTo(MIN_CHUNK);
        }

        @Test
        @DisplayName("F3 an exact multiple of 4 MiB still gets 4 MiB added")
        void exactMultiple() {
            assertThat(FlusherState.chunkPages(false, 4_096, LIMIT, Long.MAX_VALUE, MIN_CHUNK)).isEqualTo(3_072);
        }

        @Test
        @DisplayName("F3 chunks are unlimited in sync mode and in tagged passes")
        void syncUnlimited() {
            assertThat(FlusherState.chunkPages(true, BANDWIDTH, LIMIT, 10, MIN_CHUNK)).isEqualTo(WritePagesRequest.UNLIMITED);

            flusher.markDirty(1);
            flusher.queueWork(WritebackWork.sync(1, WritebackReason.SHUTDOWN, clock.get()));
            WriteInode w = expectWrite(dirty(10));
            assertThat(w.request().nrToWrite()).isEqualTo(WritePagesRequest.UNLIMITED);
            assertThat(w.request().tagsToWrite()).isTrue();
            assertThat(w.request().isWholeRange()).isTrue();
        }

        @Test
        @DisplayName("F3 the default smallest chunk is 4 MiB in pages")
        void defaultMinChunk() {
            assertThat(Settings.defaults(4096).minChunkPages()).isEqualTo(1024);
            assertThat(Settings.defaults(65_536).minChunkPages()).isEqualTo(64);
        }

        @Test
        @DisplayName("F3 a step sizes each chunk from the counters and the pages left in its work")
        void stepSizesChunks() {
            dirtyInodes(1, 2);
            WritebackWork work = WritebackWork.pages(5, 15_000, WritebackReason.MEMORY_PRESSURE, clock.get());
            flusher.queueWork(work);

            WriteInode w1 = expectWrite(dirty(1000));
            assertThat(w1.request().nrToWrite()).isEqualTo(CHUNK);
            assertThat(w1.request().mode()).isEqualTo(SyncMode.NONE);
            flusher.chunkFinished(1, usedUp(w1));

            WriteInode w2 = expectWrite(dirty(1000));
            assertThat(w2.request().nrToWrite()).as("1688 left → 1024 + 1024").isEqualTo(2_048);
            flusher.chunkFinished(2, usedUp(w2));

            assertThat(flusher.step(dirty(1000))).isEqualTo(new WorkDone(work, CHUNK + 2_048));
        }
    }

    @Nested
    class F4 {

        @Test
        @DisplayName("F4 still dirty with the chunk used up goes to the tail of b_more_io")
        void usedUpToMoreIo() {
            dirtyInodes(1, 2);
            WriteInode w = expectWrite(dirty(1000));

            flusher.chunkFinished(1, usedUp(w));

            assertThat(flusher.bMoreIo()).containsExactly(1L);
            assertThat(flusher.bIo()).containsExactly(2L);
            assertThat(flusher.dirtiedWhen(1)).hasValue(0);
        }

        @Test
        @DisplayName("F4 still dirty but blocked goes back to b_dirty, keeping dirtiedWhen when b_dirty has nothing newer")
        void blockedToDirty() {
            flusher.markDirty(1);
            advanceMillis(7);
            WriteInode w = expectWrite(dirty(1000));
            advanceMillis(3);

            flusher.chunkFinished(1, blocked(w));

            assertThat(flusher.bDirty()).containsExactly(1L);
            assertThat(flusher.dirtiedWhen(1)).hasValue(0);
        }

        @Test
        @DisplayName("F4 redirty_tail stamps dirtiedWhen = now when the inode is older than b_dirty's newest")
        void redirtyTailStampsNow() {
            flusher.markDirty(1);
            WriteInode w = expectWrite(dirty(1000));
            advanceMillis(5);
            flusher.markDirty(2);
            advanceMillis(5);

            flusher.chunkFinished(1, blocked(w));

            assertThat(flusher.bDirty()).containsExactly(2L, 1L);
            assertThat(flusher.dirtiedWhen(1)).hasValue(Duration.ofMillis(10).toNanos());
        }

        @Test
        @DisplayName("F4 skipped pages send a still-dirty inode to b_dirty even when its chunk was used up")
        void skippedToDirty() {
            dirtyInodes(1);
            WriteInode w = expectWrite(dirty(1000));

            flusher.chunkFinished(1, new WritePagesReply(CHUNK - 3, 0, 3, true, null));

            assertThat(flusher.bDirty()).containsExactly(1L);
            assertThat(flusher.bMoreIo()).isEmpty();
        }

        @Test
        @DisplayName("F4 a clean inode leaves the lists, errors or not")
        void cleanLeaves() {
            dirtyInodes(1, 2);
            expectWrite(dirty(1000));

            flusher.chunkFinished(1, new WritePagesReply(3, CHUNK - 4, 0, false, Errno.EIO));

            assertThat(flusher.dirtiedWhen(1)).isEmpty();
            assertThat(flusher.bDirty()).isEmpty();
            assertThat(flusher.bIo()).containsExactly(2L);
            assertThat(flusher.bMoreIo()).isEmpty();
            assertThat(flusher.dirtyInodes()).isEqualTo(1);
        }

        @Test
        @DisplayName("F4 in sync mode a still-dirty inode gets dirtiedWhen = now and the pass does not loop on it")
        void syncStampsNow() {
            flusher.markDirty(1);
            advanceMillis(10);
            WritebackWork sync = WritebackWork.sync(3, WritebackReason.SYNC, clock.get());
            flusher.queueWork(sync);
            WriteInode w = expectWrite(dirty(10));
            advanceMillis(4);

            flusher.chunkFinished(1, new WritePagesReply(8, w.request().nrToWrite() - 8, 0, true, null));

            assertThat(flusher.dirtiedWhen(1)).hasValue(Duration.ofMillis(14).toNanos());
            assertThat(flusher.bDirty()).containsExactly(1L);
            assertThat(flusher.step(dirty(10))).isEqualTo(new WorkDone(sync, 8));
        }

        @Test
        @DisplayName("F4 a sync pass does not loop on a redirtied inode even if the clock has not moved")
        void syncFrozenClock() {
            flusher.markDirty(1);
            WritebackWork sync = WritebackWork.sync(3, WritebackReason.SYNC, clock.get());
            flusher.queueWork(sync);
            WriteInode w = expectWrite(dirty(10));

            flusher.chunkFinished(1, new WritePagesReply(8, w.request().nrToWrite() - 8, 0, true, null));

            assertThat(flusher.step(dirty(10))).isEqualTo(new WorkDone(sync, 8));
            WritebackWork again = WritebackWork.sync(4, WritebackReason.SYNC, clock.get());
            flusher.queueWork(again);
            assertThat(expectWrite(dirty(10)).inode()).as("a later sync writes it again").isEqualTo(1);
        }

        @Test
        @DisplayName("F4 an inode dirtied again while its chunk was out is requeued even if the chunk left it clean")
        void redirtiedWhileOut() {
            flusher.markDirty(1);
            expectWrite(dirty(1000));
            advanceMillis(2);
            flusher.markDirty(1);

            flusher.chunkFinished(1, clean(10));

            assertThat(flusher.bDirty()).containsExactly(1L);
            assertThat(flusher.dirtiedWhen(1)).hasValue(Duration.ofMillis(2).toNanos());
        }

        @Test
        @DisplayName("F4 marking an inode clean takes it off the lists; a reply for another inode is refused")
        void markCleanAndMismatch() {
            dirtyInodes(1, 2);
            flusher.markClean(2);
            flusher.markClean(99);
            assertThat(flusher.bDirty()).containsExactly(1L);

            expectWrite(dirty(1000));
            assertThat(flusher.step(dirty(1000))).isEqualTo(new ChunkInFlight(1));
            assertThatThrownBy(() -> flusher.chunkFinished(2, clean(0))).isInstanceOf(IllegalStateException.class);
        }
    }

    @Nested
    class F5 {

        @Test
        @DisplayName("F5 a background pass yields as soon as other work is queued")
        void backgroundYields() {
            dirtyInodes(1, 2, 3);
            WriteInode w = expectWrite(dirty(1000));
            WritebackWork sync = WritebackWork.sync(7, WritebackReason.SYNC, clock.get());
            flusher.queueWork(sync);
            flusher.chunkFinished(1, usedUp(w));

            WorkDone yielded = expectDone(dirty(1000));
            assertThat(yielded.work().kind()).isEqualTo(Kind.BACKGROUND);
            assertThat(yielded.pagesWritten()).isEqualTo(CHUNK);

            WriteInode next = expectWrite(dirty(1000));
            assertThat(flusher.currentWork()).isSameAs(sync);
            assertThat(next.inode()).as("b_io keeps its order across works").isEqualTo(2);
            assertThat(next.request().mode()).isEqualTo(SyncMode.ALL);
        }

        @Test
        @DisplayName("F5 a periodic pass yields as soon as other work is queued")
        void periodicYields() {
            dirtyInodes(1, 2);
            clock.set(seconds(40));
            WriteInode w = expectWrite(dirty(50));
            assertThat(flusher.currentWork().kind()).isEqualTo(Kind.PERIODIC);
            flusher.queueWork(WritebackWork.pages(8, 10, WritebackReason.MEMORY_PRESSURE, clock.get()));
            flusher.chunkFinished(1, usedUp(w));

            assertThat(expectDone(dirty(50)).work().kind()).isEqualTo(Kind.PERIODIC);
        }

        @Test
        @DisplayName("F5 a queued work does not yield to works queued after it")
        void queuedWorkDoesNotYield() {
            dirtyInodes(1, 2);
            WritebackWork first = WritebackWork.sync(1, WritebackReason.SYNC, clock.get());
            flusher.queueWork(first);
            WriteInode w = expectWrite(dirty(10));
            flusher.queueWork(WritebackWork.sync(2, WritebackReason.SYNC, clock.get()));
            flusher.chunkFinished(w.inode(), clean(5));

            assertThat(expectWrite(dirty(10)).inode()).isEqualTo(2);
            assertThat(flusher.currentWork()).isSameAs(first);
        }

        @Test
        @DisplayName("F5 background stops once dirty is at or below bg_thresh")
        void backgroundStopsUnderThreshold() {
            dirtyInodes(1, 2);
            WriteInode w = expectWrite(dirty(1000));
            flusher.chunkFinished(1, usedUp(w));

            WorkDone done = expectDone(dirty(BG));

            assertThat(done.work().kind()).isEqualTo(Kind.BACKGROUND);
            assertThat(flusher.step(dirty(BG))).isInstanceOf(Idle.class);
        }

        @Test
        @DisplayName("F5 a pass that makes no progress stops when b_more_io is empty, and background waits for a wake-up")
        void noProgressStops() {
            flusher.markDirty(1);
            WriteInode w = expectWrite(dirty(1000));
            flusher.chunkFinished(1, blocked(w));

            WorkDone done = expectDone(dirty(1000));
            assertThat(done.pagesWritten()).isZero();
            assertThat(flusher.step(dirty(1000))).as("not restarted at once").isInstanceOf(Idle.class);

            flusher.wakeup();
            assertThat(expectWrite(dirty(1000)).inode()).isEqualTo(1);
        }

        @Test
        @DisplayName("F5 a newly dirtied inode also lets a stalled background pass start again")
        void newInodeRestartsBackground() {
            flusher.markDirty(1);
            WriteInode w = expectWrite(dirty(1000));
            flusher.chunkFinished(1, blocked(w));
            expectDone(dirty(1000));

            flusher.markDirty(2);

            assertThat(expectWrite(dirty(1000)).inode()).isEqualTo(1);
        }

        @Test
        @DisplayName("F5 a pass that makes no progress with inodes on b_more_io waits for the first of them, then retries")
        void noProgressWaits() {
            dirtyInodes(1, 2);
            WriteInode w1 = expectWrite(dirty(1000));
            flusher.chunkFinished(1, new WritePagesReply(0, 0, 0, true, null)); // used up, nothing written
            WriteInode w2 = expectWrite(dirty(1000));
            flusher.chunkFinished(2, new WritePagesReply(0, 0, 0, true, null));

            assertThat(flusher.step(dirty(1000))).isEqualTo(new WaitForWriteback(1));

            assertThat(expectWrite(dirty(1000)).inode()).as("after the wait, a new round").isEqualTo(1);
            assertThat(flusher.bIo()).containsExactly(2L);
            assertThat(w1.request().nrToWrite()).isEqualTo(w2.request().nrToWrite());
        }

        @Test
        @DisplayName("F5 a pass with pages left stops once its work's pages are used up")
        void stopsWhenPagesUsedUp() {
            dirtyInodes(1, 2);
            WritebackWork work = WritebackWork.pages(4, 1_000, WritebackReason.MEMORY_PRESSURE, clock.get());
            flusher.queueWork(work);
            WriteInode w = expectWrite(dirty(1000));
            assertThat(w.request().nrToWrite()).isEqualTo(MIN_CHUNK);

            flusher.chunkFinished(1, new WritePagesReply(1_000, 24, 0, true, null));

            assertThat(flusher.step(dirty(1000))).isEqualTo(new WorkDone(work, 1_000));
        }

        @Test
        @DisplayName("F5 a work with nothing to write finishes at once")
        void nothingToWrite() {
            WritebackWork sync = WritebackWork.sync(1, WritebackReason.SYNC, clock.get());
            flusher.queueWork(sync);

            assertThat(flusher.step(dirty(0))).isEqualTo(new WorkDone(sync, 0));
            assertThat(flusher.step(dirty(0))).isEqualTo(new Idle(Long.MAX_VALUE));
        }
    }

    @Nested
    class F6 {

        @Test
        @DisplayName("F6 busy inodes are written round robin through b_more_io, each chunk resuming cyclically")
        void roundRobin() {
            dirtyInodes(1, 2, 3);
            List<Long> order = new ArrayList<>();

            for (int i = 0; i < 9; i++) {
                WriteInode w = expectWrite(dirty(100_000));
                assertThat(w.request().cyclic()).isTrue();
                assertThat(w.request().nrToWrite()).isEqualTo(CHUNK);
                order.add(w.inode());
                flusher.chunkFinished(w.inode(), usedUp(w));
            }

            assertThat(order).containsExactly(1L, 2L, 3L, 1L, 2L, 3L, 1L, 2L, 3L);
        }

        @Test
        @DisplayName("F6 an inode dirtied during a round joins behind the inodes waiting on b_more_io")
        void newcomerJoinsBehind() {
            dirtyInodes(1, 2, 3);
            List<Long> order = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                if (i == 1) {
                    advanceMillis(1);
                    flusher.markDirty(4);
                }
                WriteInode w = expectWrite(dirty(100_000));
                order.add(w.inode());
                flusher.chunkFinished(w.inode(), usedUp(w));
            }

            assertThat(order).containsExactly(1L, 2L, 3L, 1L, 2L, 3L, 4L);
        }

        @Test
        @DisplayName("F6 a round ends after its 100 ms slice once it made progress: later idle inodes cannot ride on it")
        void sliceEndsRound() {
            dirtyInodes(1, 2);
            WriteInode w1 = expectWrite(dirty(1000));
            flusher.chunkFinished(1, usedUp(w1)); // progress; 1 waits on b_more_io
            advanceMillis(100);

            WriteInode w2 = expectWrite(dirty(1000)); // a new round, b_io still holds 2
            assertThat(w2.inode()).isEqualTo(2);
            flusher.chunkFinished(2, blocked(w2));

            assertThat(flusher.step(dirty(1000))).isEqualTo(new WaitForWriteback(1));
        }

        @Test
        @DisplayName("F6 within its slice a round's progress carries it on to the next round")
        void withinSliceContinues() {
            dirtyInodes(1, 2);
            WriteInode w1 = expectWrite(dirty(1000));
            flusher.chunkFinished(1, usedUp(w1));
            advanceMillis(99);

            WriteInode w2 = expectWrite(dirty(1000));
            flusher.chunkFinished(2, blocked(w2));

            WriteInode again = expectWrite(dirty(1000));
            assertThat(again.inode()).isEqualTo(1);
            assertThat(flusher.bIo()).containsExactly(2L);
        }
    }
}
