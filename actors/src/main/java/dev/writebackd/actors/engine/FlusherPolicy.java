package dev.writebackd.actors.engine;

import dev.writebackd.config.PageCacheSettings;
import dev.writebackd.config.WritebackPolicy;
import dev.writebackd.mpage.DirtyLimits;
import dev.writebackd.mpage.FlusherState;
import dev.writebackd.mpage.WritebackWork;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What a {@link WritebackPolicy} means to the flusher: the dirty thresholds (T1), the flusher's
 * tunables, and moving a running {@link FlusherState} onto changed tunables. Stateless.
 */
final class FlusherPolicy {
    private FlusherPolicy() {}

    /**
     * T1 for the cache budget: {@link DirtyLimits#of} with the policy's ratios and bytes, the hard
     * threshold kept at 1 page or more (a tiny budget can round it down to 0).
     */
    static DirtyLimits limits(WritebackPolicy policy, PageCacheSettings cache) {
        int pageSize = cache.pageSize();
        DirtyLimits computed = DirtyLimits.of(cache.cacheBudgetBytes() / pageSize, pageSize, policy.dirtyRatio(),
                policy.dirtyBytes(), policy.dirtyBackgroundRatio(), policy.dirtyBackgroundBytes());
        return new DirtyLimits(Math.max(1, computed.threshPages()), computed.bgThreshPages());
    }

    /** The flusher's tunables: the policy's intervals and minimum chunk (in pages, at least 1), the kernel's slice. */
    static FlusherState.Settings settings(WritebackPolicy policy, int pageSize) {
        return new FlusherState.Settings(policy.writebackInterval().toNanos(), policy.dirtyExpireInterval().toNanos(),
                Math.max(1, policy.minChunkBytes() / pageSize), FlusherState.Settings.DEFAULT_SLICE.toNanos());
    }

    /**
     * The flusher {@code old} would be with {@code settings}. Its settings are fixed, so a new one is
     * built: every tracked inode is marked dirty again, oldest first, at its own dirtiedWhen, which
     * keeps F2's order and expiry (inodes that waited on b_io or b_more_io rejoin b_dirty by age); the
     * queued works are queued again in order; the periodic interval restarts now. Only between
     * passes: no pass under way and no chunk out.
     *
     * @param queuedWorks the works queued in {@code old} and not started, in queue order
     * @throws IllegalStateException if a pass is under way
     */
    static FlusherState refile(FlusherState old, FlusherState.Settings settings, LongSupplier nanoClock,
            List<WritebackWork> queuedWorks) {
        if (old.currentWork() != null) {
            throw new IllegalStateException("a pass is under way: " + old.currentWork());
        }
        List<Long> inodes = new ArrayList<>(old.bIo());
        inodes.addAll(old.bMoreIo());
        inodes.addAll(old.bDirty());
        Map<Long, Long> dirtiedWhen = new HashMap<>();
        inodes.forEach(inode -> dirtiedWhen.put(inode, old.dirtiedWhen(inode).orElseThrow()));
        inodes.sort(Comparator.comparingLong(dirtiedWhen::get)); // stable: b_io, then b_more_io, then b_dirty

        ReplayClock clock = new ReplayClock(nanoClock);
        FlusherState rebuilt = new FlusherState(settings, clock);
        for (long inode : inodes) {
            clock.replaying = true;
            clock.replayNanos = dirtiedWhen.get(inode);
            rebuilt.markDirty(inode);
        }
        clock.replaying = false;
        queuedWorks.forEach(rebuilt::queueWork);
        return rebuilt;
    }

    /** The real clock, except while an inode's dirtiedWhen is being replayed. */
    private static final class ReplayClock implements LongSupplier {
        private final LongSupplier nanoClock;
        boolean replaying;
        long replayNanos;

        ReplayClock(LongSupplier nanoClock) {
            this.nanoClock = nanoClock;
        }

        @Override
        public long getAsLong() {
            return replaying ? replayNanos : nanoClock.getAsLong();
        }
    }
}
