package dev.writebackd.mpage;

import static dev.writebackd.error.Errno.EIO;
import static dev.writebackd.error.Errno.ENOSPC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.error.Errno;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ErrseqTest {

    @Test
    @DisplayName("E3 a fresh errseq is 0, samples 0 and reports nothing")
    void freshErrseqIsEmpty() {
        Errseq errseq = new Errseq();

        assertThat(errseq.current()).isZero();
        assertThat(errseq.sample()).isZero();
        assertThat(errseq.checkAndAdvance(0)).isEqualTo(new Errseq.Check(0, null));
        assertThat(errseq.current()).as("checking an empty errseq marks nothing").isZero();
    }

    @ParameterizedTest
    @EnumSource(Errno.class)
    @DisplayName("E3 every errno round-trips through the packed value")
    void everyErrnoFits(Errno errno) {
        Errseq errseq = new Errseq();

        long value = errseq.set(errno);

        assertThat(Errseq.errnoOf(value)).isEqualTo(errno);
        assertThat(Errseq.isSeen(value)).isFalse();
        assertThat(Errseq.counterOf(value)).isZero();
    }

    @Test
    @DisplayName("E3 set replaces the errno and keeps the counter while the previous error is unseen")
    void setOnUnseenKeepsCounter() {
        Errseq errseq = new Errseq();
        errseq.set(EIO);

        long value = errseq.set(ENOSPC);

        assertThat(Errseq.errnoOf(value)).isEqualTo(ENOSPC);
        assertThat(Errseq.counterOf(value)).isZero();
        assertThat(Errseq.isSeen(value)).isFalse();
    }

    @Test
    @DisplayName("E3 set of the same errno while unseen leaves the value unchanged")
    void setSameUnseenIsNoOp() {
        Errseq errseq = new Errseq();
        long first = errseq.set(EIO);

        assertThat(errseq.set(EIO)).isEqualTo(first);
        assertThat(errseq.current()).isEqualTo(first);
    }

    @ParameterizedTest
    @EnumSource(Errno.class)
    @DisplayName("E3 set bumps the counter only when the previous error was seen, and clears SEEN")
    void setBumpsCounterOnlyAfterSeen(Errno next) {
        Errseq errseq = new Errseq();
        errseq.set(EIO);
        Errseq.Check seen = errseq.checkAndAdvance(0);
        assertThat(Errseq.isSeen(errseq.current())).isTrue();

        long afterSeen = errseq.set(next);
        assertThat(Errseq.counterOf(afterSeen)).isEqualTo(1);
        assertThat(Errseq.isSeen(afterSeen)).isFalse();
        assertThat(Errseq.errnoOf(afterSeen)).isEqualTo(next);
        assertThat(afterSeen).isNotEqualTo(seen.since());

        long afterUnseen = errseq.set(next == EIO ? ENOSPC : EIO);
        assertThat(Errseq.counterOf(afterUnseen)).as("previous error not seen: no bump").isEqualTo(1);
    }

    @Test
    @DisplayName("E3 sample is the current value when SEEN is set, else 0")
    void sampleOnlyWhenSeen() {
        Errseq errseq = new Errseq();
        errseq.set(EIO);
        assertThat(errseq.sample()).isZero();

        errseq.checkAndAdvance(0);
        assertThat(errseq.sample()).isEqualTo(errseq.current()).isNotZero();

        errseq.set(ENOSPC);
        assertThat(errseq.sample()).isZero();
    }

    @Test
    @DisplayName("E3 checkAndAdvance with since equal to the current value reports nothing and changes nothing")
    void checkAtCurrentReportsNothing() {
        Errseq errseq = new Errseq();
        errseq.set(EIO);
        long since = errseq.checkAndAdvance(0).since();
        long before = errseq.current();

        Errseq.Check check = errseq.checkAndAdvance(since);

        assertThat(check).isEqualTo(new Errseq.Check(since, null));
        assertThat(check.hasError()).isFalse();
        assertThat(errseq.current()).isEqualTo(before);
    }

    @Test
    @DisplayName("E3 checkAndAdvance with another since sets SEEN, advances since and reports the errno")
    void checkAdvances() {
        Errseq errseq = new Errseq();
        long set = errseq.set(EIO);

        Errseq.Check check = errseq.checkAndAdvance(0);

        assertThat(check.error()).isEqualTo(EIO);
        assertThat(check.since()).isEqualTo(set | Errseq.SEEN).isEqualTo(errseq.current());
        assertThat(errseq.checkAndAdvance(check.since()).error()).isNull();
    }

    @Test
    @DisplayName("E3 a second checker with an old since still reports an error already marked SEEN")
    void seenDoesNotHideFromOtherCheckers() {
        Errseq errseq = new Errseq();
        errseq.set(EIO);
        errseq.checkAndAdvance(0);

        Errseq.Check other = errseq.checkAndAdvance(0);

        assertThat(other.error()).isEqualTo(EIO);
        assertThat(Errseq.counterOf(errseq.current())).isZero();
    }

    /**
     * Exhaustive: every sequence of up to six operations (two errnos, opening a handle, checking
     * one of three handles) gives the same reports as the handle-level model of E3 and E4.
     */
    @Test
    @DisplayName("E3 every sequence of up to 6 sets, opens and checks matches the handle-level model")
    void exhaustiveAgainstModel() {
        int[] count = {0};
        explore(new ArrayList<>(), 6, count);
        assertThat(count[0]).isEqualTo(sequencesUpTo(6));
    }

    private static int sequencesUpTo(int length) {
        int total = 0;
        int power = 1;
        for (int i = 0; i <= length; i++) {
            total += power;
            power *= OPS;
        }
        return total;
    }

    private static final int OPS = 6; // set EIO, set ENOSPC, open, check h0, check h1, check h2

    private static void explore(List<Integer> ops, int depth, int[] count) {
        replay(ops);
        count[0]++;
        if (depth == 0) {
            return;
        }
        for (int op = 0; op < OPS; op++) {
            ops.add(op);
            explore(ops, depth - 1, count);
            ops.remove(ops.size() - 1);
        }
    }

    private static void replay(List<Integer> ops) {
        Errseq errseq = new Errseq();
        List<ErrseqCursor> handles = new ArrayList<>();
        // The model: the latest errno, whether some handle has reported it, and per handle whether
        // an error is waiting to be reported to it.
        Errno latest = null;
        boolean seen = false;
        List<Boolean> pending = new ArrayList<>();
        for (int op : ops) {
            switch (op) {
                case 0, 1 -> {
                    Errno e = op == 0 ? EIO : ENOSPC;
                    errseq.set(e);
                    latest = e;
                    seen = false;
                    pending.replaceAll(p -> true);
                }
                case 2 -> {
                    handles.add(ErrseqCursor.open(errseq));
                    pending.add(latest != null && !seen);
                }
                default -> {
                    int h = op - 3;
                    if (h >= handles.size()) {
                        continue;
                    }
                    Errno expected = pending.get(h) ? latest : null;
                    assertThat(handles.get(h).checkAndAdvance()).as("ops %s, check of handle %d", ops, h)
                            .isEqualTo(expected);
                    if (expected != null) {
                        pending.set(h, false);
                        seen = true;
                    }
                }
            }
        }
    }

    @Test
    @DisplayName("E4 each handle reports each error once; a handle opened after an unseen error still reports it, "
            + "one opened after it was seen does not")
    void e4AtTheErrseqLevel() {
        Errseq mapping = new Errseq();
        ErrseqCursor a = ErrseqCursor.open(mapping);
        ErrseqCursor b = ErrseqCursor.open(mapping);

        mapping.set(EIO); // the device fails under a write through A
        // sync (E6) writes back and waits, but checks no handle
        ErrseqCursor c = ErrseqCursor.open(mapping);

        assertThat(a.checkAndAdvance()).isEqualTo(EIO);
        assertThat(a.checkAndAdvance()).isNull();
        assertThat(b.checkAndAdvance()).isEqualTo(EIO);
        assertThat(b.checkAndAdvance()).isNull();
        assertThat(c.checkAndAdvance()).isEqualTo(EIO);
        assertThat(c.checkAndAdvance()).isNull();

        ErrseqCursor d = ErrseqCursor.open(mapping);
        assertThat(d.checkAndAdvance()).isNull();
    }

    @Test
    @DisplayName("E4 several errors between checks are reported once, with the latest errno")
    void severalErrorsReportedOnceWithLatest() {
        Errseq mapping = new Errseq();
        ErrseqCursor a = ErrseqCursor.open(mapping);
        ErrseqCursor b = ErrseqCursor.open(mapping);

        mapping.set(EIO);
        assertThat(b.checkAndAdvance()).isEqualTo(EIO);
        mapping.set(ENOSPC);
        mapping.set(EIO);
        mapping.set(ENOSPC);

        assertThat(a.checkAndAdvance()).isEqualTo(ENOSPC);
        assertThat(a.checkAndAdvance()).isNull();
        assertThat(b.checkAndAdvance()).isEqualTo(ENOSPC);
        assertThat(b.checkAndAdvance()).isNull();
    }

    @Test
    @DisplayName("E4 a cursor resumed at a recorded since continues where it left off")
    void resumedCursor() {
        Errseq mapping = new Errseq();
        ErrseqCursor a = ErrseqCursor.open(mapping);
        mapping.set(EIO);
        a.checkAndAdvance();

        ErrseqCursor resumed = ErrseqCursor.at(mapping, a.since());
        assertThat(resumed.checkAndAdvance()).isNull();
        mapping.set(ENOSPC);
        assertThat(resumed.checkAndAdvance()).isEqualTo(ENOSPC);
    }

    /**
     * Many threads set errors while others check: whatever the interleaving, a handle that checks
     * after all sets have finished has seen the last error, and the counter never runs backwards.
     */
    @Test
    @DisplayName("E3 concurrent sets and checks never lose the last error for any handle")
    void concurrentSetsAndChecks() throws Exception {
        Errseq errseq = new Errseq();
        int threads = 4;
        int rounds = 20_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<ErrseqCursor>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                results.add(pool.submit(() -> {
                    ErrseqCursor mine = ErrseqCursor.open(errseq);
                    start.await();
                    long lastCounter = 0;
                    for (int i = 0; i < rounds; i++) {
                        errseq.set((i + id) % 2 == 0 ? EIO : ENOSPC);
                        mine.checkAndAdvance();
                        long counter = Errseq.counterOf(errseq.current());
                        assertThat(counter).isGreaterThanOrEqualTo(lastCounter);
                        lastCounter = counter;
                    }
                    return mine;
                }));
            }
            start.countDown();
            List<ErrseqCursor> cursors = new ArrayList<>();
            for (Future<ErrseqCursor> f : results) {
                cursors.add(f.get(30, TimeUnit.SECONDS));
            }

            errseq.set(EIO);
            for (ErrseqCursor cursor : cursors) {
                assertThat(cursor.checkAndAdvance()).isEqualTo(EIO);
                assertThat(cursor.checkAndAdvance()).isNull();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
