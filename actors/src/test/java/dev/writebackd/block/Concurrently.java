package dev.writebackd.block;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/** Runs test bodies on several threads at once, for the block tests. */
final class Concurrently {
    private Concurrently() {}

    /**
     * Runs {@code body} on {@code threads} threads at once, each given its number (0 to threads - 1),
     * and waits for all of them.
     *
     * @throws java.util.concurrent.ExecutionException wrapping the first failure, in thread order
     */
    static void run(int threads, IntConsumer body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> body.accept(thread)));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        } finally {
            pool.shutdown();
        }
    }
}
