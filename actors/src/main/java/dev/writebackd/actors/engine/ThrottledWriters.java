package dev.writebackd.actors.engine;

import dev.writebackd.mpage.Throttle;
import java.util.HashMap;
import java.util.Map;

/**
 * One file's throttled writers (T2–T6), for its {@link InodeActor}: a writer that dirtied pages is
 * answered at once or, as {@link WriterThrottle} decides, later by a timer — late, never blocked.
 * Single-threaded (the actor's).
 */
final class ThrottledWriters {

    /** A writer whose answer the throttle delays. */
    private record Throttled(InodeFile.OpenFile handle, WriteQueue.Entry write, int bytes, boolean decideAgain) {}

    private final InodeFile file;
    private final Map<Long, Throttled> throttled = new HashMap<>();
    private boolean aboveBackground;

    ThrottledWriters(InodeFile file) {
        this.file = file;
    }

    /** Writes answered late, not answered yet. */
    int waiting() {
        return throttled.size();
    }

    /**
     * Answers {@code write}, which took {@code bytes} bytes and dirtied {@code pages} pages, now or
     * later, as the throttle decides.
     */
    void throttle(InodeFile.OpenFile handle, long pages, WriteQueue.Entry write, int bytes) {
        if (!WriterThrottle.active(file.device.ledger())) {
            write.answered(bytes); // no thresholds published yet: nothing to throttle against
            return;
        }
        long rate = WriterThrottle.bandwidth(file.device.ledger(), file.device.pageSize());
        Throttle.WriterState writer = handle.writer.dirtied(pages);
        handle.writer = writer.baseRate() == rate ? writer : writer.withBaseRate(rate);
        decide(handle, write, bytes);
    }

    private void decide(InodeFile.OpenFile handle, WriteQueue.Entry write, int bytes) {
        Throttle.Decision decision = WriterThrottle.decide(file.device.ledger(), file.device.pageSize(), handle.writer);
        handle.writer = decision.next();
        boolean waiting = decision.action() == Throttle.Action.WAIT_FOR_LIMIT;
        if (decision.wakeFlusher() && (!aboveBackground || waiting)) {
            file.device.coordinator().tell(Flushing.WakeUp.INSTANCE); // T2
        }
        aboveBackground = decision.wakeFlusher();
        if (decision.action() == Throttle.Action.NO_PAUSE) {
            write.answered(bytes);
            return;
        }
        file.device.counters().writerPaused(decision.delay());
        long key = file.nextTimerKey();
        throttled.put(key, new Throttled(handle, write, bytes, waiting));
        file.timers.startSingleTimer(new InodeActor.ThrottleWake(key), decision.delay()); // T6: late, never blocked
    }

    /** Answers every throttled writer now (the actor failed; the loss shows in their durable futures). */
    void releaseAll() {
        throttled.values().forEach(writer -> writer.write().answered(writer.bytes()));
        throttled.clear();
    }

    /** The timer of writer {@code key} fired. */
    void wake(long key) {
        Throttled writer = throttled.remove(key);
        if (writer != null) {
            if (writer.decideAgain()) {
                decide(writer.handle(), writer.write(), writer.bytes()); // T5: ask again once the wait step is over
            } else {
                writer.write().answered(writer.bytes());
            }
        }
    }
}
