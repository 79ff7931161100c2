package dev.writebackd.daemon.bench;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A one-line progress bar redrawn on a stream (stderr) five times a second while a system runs:
 * {@code run 1/3  writebackd     [##########----------]  50%  1.2 s}.
 */
final class ProgressBar implements AutoCloseable {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private final String label;
    private final AtomicLong done;
    private final long total;
    private final long start = System.nanoTime();
    private final Thread thread;
    private volatile boolean running = true;

    private ProgressBar(PrintStream out, String label, AtomicLong done, long total) {
        this.out = out;
        this.label = label;
        this.done = done;
        this.total = Math.max(1, total);
        this.thread = new Thread(this::loop, "bench-progress");
        this.thread.setDaemon(true);
    }

    /** Starts drawing; {@code out} may be {@code null} for no bar. */
    static ProgressBar start(PrintStream out, String label, AtomicLong done, long total) {
        ProgressBar bar = new ProgressBar(out, label, done, total);
        if (out != null) {
            bar.thread.start();
        }
        return bar;
    }

    private void loop() {
        while (running) {
            draw();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void draw() {
        double fraction = Math.min(1, done.get() / (double) total);
        int filled = (int) Math.round(fraction * WIDTH);
        out.printf(Locale.ROOT, "\r%-28s [%s%s] %3d%% %6.1f s", label, "#".repeat(filled), "-".repeat(WIDTH - filled),
                Math.round(fraction * 100), (System.nanoTime() - start) / 1e9);
        out.flush();
    }

    /** Draws the final state and ends the line. */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        if (out != null) {
            try {
                thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            draw();
            out.println();
        }
    }
}
