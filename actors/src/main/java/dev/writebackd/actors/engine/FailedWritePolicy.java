package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.config.ErrorPolicy;
import dev.writebackd.config.WritebackPolicy;
import dev.writebackd.error.Errno;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * What happens to a page whose write failed, per the error policy (DESIGN "Error policies", E5):
 * {@code linux} drops it (the page stays clean and uptodate, never retried); {@code redirty}
 * retries it after an exponential backoff — {@code initial × 2^(n−1)} after its n-th failure, at
 * most {@code max} — until it has failed {@code retryLimit} retries, then drops it like
 * {@code linux}; {@code sticky} holds it. Every policy leaves recording the error to the caller.
 *
 * <p>Keeps each failing page's count of failures until it is written successfully or its file is
 * forgotten. Mutable and not thread-safe: owned by the device's completion actor.
 */
public final class FailedWritePolicy {

    /** What to do with a failed page. */
    public enum Action {
        /** Leave it clean and uptodate; the write is lost (E5). */
        DROP,
        /** Keep it out of writeback for {@link Verdict#retryAfter()}, then dirty it again. */
        RETRY,
        /** Hold it: kept, never written again until rewritten or truncated. */
        HOLD
    }

    /**
     * The decision for one failed page.
     *
     * @param page the page index in its file
     * @param action what to do
     * @param retryAfter the backoff for {@link Action#RETRY}, else zero
     * @param error the error that failed the write
     */
    public record Verdict(long page, Action action, Duration retryAfter, Errno error) {
        /** Validates. */
        public Verdict {
            requireNonNull(action, "action");
            requireNonNull(retryAfter, "retryAfter");
            requireNonNull(error, "error");
        }
    }

    private final Map<Long, Map<Long, Integer>> failures = new HashMap<>();
    private WritebackPolicy policy;

    /** Decides per {@code policy}'s error policy, backoff and retry limit. */
    public FailedWritePolicy(WritebackPolicy policy) {
        this.policy = requireNonNull(policy, "policy");
    }

    /** Switches to another policy; counts of failures so far are kept. */
    public void setPolicy(WritebackPolicy policy) {
        this.policy = requireNonNull(policy, "policy");
    }

    /** The write of page {@code page} of file {@code inode} failed with {@code error}. */
    public Verdict failed(long inode, long page, Errno error) {
        requireNonNull(error, "error");
        ErrorPolicy mode = policy.errorPolicy();
        if (mode == ErrorPolicy.LINUX) {
            return new Verdict(page, Action.DROP, Duration.ZERO, error);
        }
        if (mode == ErrorPolicy.STICKY) {
            return new Verdict(page, Action.HOLD, Duration.ZERO, error);
        }
        Map<Long, Integer> pages = failures.computeIfAbsent(inode, i -> new HashMap<>());
        int count = pages.merge(page, 1, Integer::sum);
        if (count > policy.retryLimit()) {
            forget(inode, page);
            return new Verdict(page, Action.DROP, Duration.ZERO, error);
        }
        return new Verdict(page, Action.RETRY, backoff(count), error);
    }

    /** The write of page {@code page} of file {@code inode} succeeded: its failures are forgotten. */
    public void succeeded(long inode, long page) {
        if (!failures.isEmpty()) {
            forget(inode, page);
        }
    }

    /** Forgets every page of file {@code inode} (it was deleted or its actor stopped). */
    public void forget(long inode) {
        failures.remove(inode);
    }

    /** Failures counted for page {@code page} of file {@code inode} since its last success. */
    public int failures(long inode, long page) {
        Map<Long, Integer> pages = failures.get(inode);
        return pages == null ? 0 : pages.getOrDefault(page, 0);
    }

    private void forget(long inode, long page) {
        Map<Long, Integer> pages = failures.get(inode);
        if (pages != null && pages.remove(page) != null && pages.isEmpty()) {
            failures.remove(inode);
        }
    }

    private Duration backoff(int failures) {
        Duration max = policy.redirtyBackoffMax();
        Duration delay = policy.redirtyBackoffInitial();
        for (int i = 1; i < failures && delay.compareTo(max) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(max) > 0 ? max : delay;
    }
}
