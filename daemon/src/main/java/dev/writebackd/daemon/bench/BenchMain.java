package dev.writebackd.daemon.bench;

import picocli.CommandLine;

/**
 * Runs {@link BenchCommand} on its own:
 * {@code java -cp writebackd.jar dev.writebackd.daemon.bench.BenchMain --workload rand-write --size 1g}.
 */
public final class BenchMain {
    private BenchMain() {}

    /** Runs the bench and exits with its code. */
    public static void main(String[] args) {
        ensureAsyncPool();
        quietLogs();
        System.exit(new CommandLine(new BenchCommand()).execute(args));
    }

    /**
     * With fewer than 3 CPUs the common pool has parallelism 1, and CompletableFuture then runs every
     * default-executor async stage on a new thread. The engine no longer uses that executor (it owns
     * its callback pool), but Pekko's Java ask stages and other libraries still do; giving the common
     * pool a parallelism of 2 there keeps such stages on pooled threads. Must run before anything
     * uses the common pool; a value set with -D is kept.
     */
    public static void ensureAsyncPool() {
        String key = "java.util.concurrent.ForkJoinPool.common.parallelism";
        if (System.getProperty(key) == null && Runtime.getRuntime().availableProcessors() <= 2) {
            System.setProperty(key, "2");
        }
    }

    /** The engine logs at INFO; a bench's output is its table, so only warnings are shown. */
    public static void quietLogs() {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
            context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(ch.qos.logback.classic.Level.WARN);
        }
    }
}
