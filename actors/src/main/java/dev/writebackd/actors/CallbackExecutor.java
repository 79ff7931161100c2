package dev.writebackd.actors;

import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The pool an {@link Engine} runs its callers' callbacks on. The engine owns it rather than relying
 * on CompletableFuture's default executor, which on a machine with at most 2 CPUs is not the common
 * pool but a new thread per task. A fork-join pool with at least 2 workers, named
 * {@code writebackd-callbacks-N}, that compensates for a callback blocking on another stage (as the
 * common pool does); idle workers end after a few seconds, so a stopped engine's pool leaves no
 * thread behind.
 */
final class CallbackExecutor {
    private static final long KEEP_ALIVE_SECONDS = 5;
    private static final int MAX_SPARE_THREADS = 256;

    private CallbackExecutor() {}

    /** A new pool for one engine. */
    static Executor create() {
        int parallelism = Math.max(2, Runtime.getRuntime().availableProcessors());
        AtomicInteger number = new AtomicInteger();
        ForkJoinPool.ForkJoinWorkerThreadFactory factory = pool -> {
            ForkJoinWorkerThread thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
            thread.setName("writebackd-callbacks-" + number.incrementAndGet());
            return thread;
        };
        return new ForkJoinPool(parallelism, factory, null, true, 0, parallelism + MAX_SPARE_THREADS, 1, null,
                KEEP_ALIVE_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * A single thread, started when a task comes and ended after 5 s idle, named
     * {@code writebackd-pool-grower}: it allocates page-pool slabs ahead of demand
     * ({@link dev.writebackd.page.PagePool#growAheadOn}), off the writers' and the actors' threads.
     */
    static Executor poolGrower() {
        java.util.concurrent.ThreadPoolExecutor executor = new java.util.concurrent.ThreadPoolExecutor(1, 1,
                KEEP_ALIVE_SECONDS, TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), task -> {
                    Thread thread = new Thread(task, "writebackd-pool-grower");
                    thread.setDaemon(true);
                    return thread;
                });
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }
}
