package dev.writebackd.actors.engine;

import dev.writebackd.actors.engine.FailedWritePolicy.Verdict;
import dev.writebackd.error.Errno;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * One file's pages whose writes failed, as the error policy's verdicts leave them: a
 * {@code redirty} page is held out of writeback until its backoff is over and then dirtied again;
 * a {@code sticky} page is held until it is rewritten or truncated away, and until then fails
 * every fsync of the file; a {@code linux} page was already left clean and uptodate by the
 * completion (E5). A page that was rewritten while its failed write was in flight is dirty again
 * and goes out as the newer copy: it is neither held nor retried.
 *
 * <p>A verdict arrives with the bio that failed; it applies when the page's writeback ends (a
 * page written block by block ends with its last block). Mutable, single-threaded: owned by the
 * inode actor, which owns the pages.
 */
final class FailedPages {
    private final PageCache cache;
    private final DurabilityTracker durability;
    private final Map<Long, Verdict> pending = new HashMap<>();
    private final Set<Long> retrying = new HashSet<>();
    private final Map<Long, Errno> held = new TreeMap<>();

    FailedPages(PageCache cache, DurabilityTracker durability) {
        this.cache = cache;
        this.durability = durability;
    }

    /** Verdicts for pages of a failed bio, applied when each page's writeback ends. */
    void failed(List<Verdict> verdicts) {
        for (Verdict verdict : verdicts) {
            pending.put(verdict.page(), verdict);
        }
    }

    /**
     * Page {@code page}'s writeback ended: settles its writes' durable futures and applies its
     * verdict, if its write failed.
     *
     * @return the backoff after which {@link #retryDue} should dirty it again, if it now waits for
     *     a retry
     */
    Optional<Duration> ended(long page) {
        Verdict verdict = pending.isEmpty() ? null : pending.remove(page); // no boxing on the common path
        if (verdict == null) {
            durability.ended(page, null, false, 0);
            return Optional.empty();
        }
        boolean rewritten = cache.has(page, PageFlags.DIRTY);
        switch (verdict.action()) {
            case HOLD -> {
                if (!rewritten) {
                    cache.hold(page);
                    held.put(page, verdict.error());
                }
                durability.ended(page, verdict.error(), false, 0);
            }
            case RETRY -> {
                durability.ended(page, verdict.error(), true, cache.slot(page));
                if (!rewritten) {
                    cache.hold(page); // kept out of writeback until its backoff is over
                    retrying.add(page);
                    return Optional.of(verdict.retryAfter());
                }
            }
            default -> durability.ended(page, verdict.error(), false, 0); // E5: clean, uptodate, lost
        }
        return Optional.empty();
    }

    /** The backoff of these pages is over: those still waiting are dirty again. */
    void retryDue(List<Long> pages) {
        for (long page : pages) {
            if (retrying.remove(page)) {
                redirty(page);
            }
        }
    }

    /** Every page waiting for a retry is dirty again now (fsync, sync and shutdown don't wait for backoffs). */
    void retryNow() {
        retrying.forEach(this::redirty);
        retrying.clear();
    }

    /**
     * The first page still held after a failed write ({@code sticky}) and its error, forgetting
     * pages rewritten since.
     */
    Optional<Map.Entry<Long, Errno>> firstHeld() {
        held.keySet().removeIf(page -> !cache.contains(page) || !cache.has(page, PageFlags.HELD));
        return held.entrySet().stream().findFirst();
    }

    /** Forgets pages that left the cache (truncated away). */
    void forgetMissing() {
        pending.keySet().removeIf(page -> !cache.contains(page));
        retrying.removeIf(page -> !cache.contains(page));
        held.keySet().removeIf(page -> !cache.contains(page) || !cache.has(page, PageFlags.HELD));
    }

    /** Pages held after a failed write ({@code sticky}). */
    int held() {
        return held.size();
    }

    /** Pages waiting out a backoff before their retry ({@code redirty}). */
    int retrying() {
        return retrying.size();
    }

    /** Whether page {@code page} waits for its failed write's verdict or for a retry: never evicted. */
    boolean retrying(long page) {
        return retrying.contains(page) || pending.containsKey(page);
    }

    private void redirty(long page) {
        if (cache.contains(page) && cache.has(page, PageFlags.HELD)) {
            cache.markDirty(page);
        }
    }
}
