package dev.writebackd.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;

/**
 * {@code java -jar writebackd.jar …} as a child process, for the end-to-end tests: its stdout and
 * stderr lines are collected as they come, and {@link #start} waits for the ready line.
 */
final class DaemonProcess implements AutoCloseable {
    /** Generous: on a loaded machine a JVM with Pekko, H2 and the engine takes long to come up. */
    static final Duration START = Duration.ofMinutes(3);
    static final Duration STOP = Duration.ofMinutes(2);
    /** The ready line, in text or JSON (where the encoder writes each '/' as '\\/'). */
    private static final Pattern READY = Pattern.compile("writebackd ready on http:\\\\?/\\\\?/([^\\s\"]+):(\\d+)");

    private final Process process;
    private final List<String> out = new CopyOnWriteArrayList<>();
    private final List<String> err = new CopyOnWriteArrayList<>();
    private final AtomicInteger readersDone = new AtomicInteger();

    private DaemonProcess(Process process) {
        this.process = process;
        collect(process.getInputStream(), out, "stdout");
        collect(process.getErrorStream(), err, "stderr");
    }

    /** The path of the jar under test, given by failsafe (daemon/pom.xml). */
    static Path jar() {
        String jar = System.getProperty("writebackd.jar");
        assertThat(jar).as("system property writebackd.jar (set by failsafe)").isNotNull();
        return Path.of(jar);
    }

    /** Starts {@code java -jar writebackd.jar args…} with {@code env} added to the environment. */
    static DaemonProcess launch(Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // a small, quickly started JVM: the tests move little data
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", jar().toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().remove(LogFormat.ENV);
        builder.environment().putAll(env);
        try {
            return new DaemonProcess(builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the daemon on a free port with {@code dataDir} and waits for its ready line. */
    static DaemonProcess start(Path dataDir, String... more) {
        List<String> args = new ArrayList<>(List.of("--data-dir", dataDir.toString(), "--http-port", "0"));
        args.addAll(List.of(more));
        DaemonProcess daemon = launch(Map.of(), args.toArray(String[]::new));
        daemon.awaitReady();
        return daemon;
    }

    /** Waits for the ready line; fails with the output so far if the process ends first. */
    void awaitReady() {
        try {
            await("the ready line").atMost(START).pollInterval(Duration.ofMillis(100)).until(() -> {
                if (readyLine() != null) {
                    return true;
                }
                assertThat(process.isAlive()).as("daemon exited early:%nstdout %s%nstderr %s", out, err).isTrue();
                return false;
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("no ready line:%nstdout %s%nstderr %s".formatted(out, err), e);
        }
    }

    private String readyLine() {
        return out.stream().filter(line -> READY.matcher(line).find()).findFirst().orElse(null);
    }

    /** The port from the ready line. */
    int port() {
        Matcher m = READY.matcher(readyLine());
        assertThat(m.find()).isTrue();
        return Integer.parseInt(m.group(2));
    }

    /** {@code path} on this daemon, such as {@code /health}. */
    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /**
     * SIGTERM, then the exit status. Sent through the process handle: {@link Process#destroy()}
     * would also close the pipes, losing what the daemon logs while it drains.
     */
    int terminate() {
        process.toHandle().destroy();
        return awaitExit();
    }

    /** SIGKILL, then the exit status. */
    int kill() {
        process.toHandle().destroyForcibly();
        return awaitExit();
    }

    /** Waits for the process to end by itself and returns its exit status. */
    int awaitExit() {
        try {
            assertThat(process.waitFor(STOP.toMillis(), TimeUnit.MILLISECONDS))
                    .as("daemon still running:%nstdout %s", out).isTrue();
            // the readers may still be draining the pipes
            await().atMost(Duration.ofSeconds(10)).until(() -> readersDone.get() == 2);
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The stdout lines so far: the log. */
    List<String> stdout() {
        return List.copyOf(out);
    }

    /** The stderr lines so far. */
    List<String> stderr() {
        return List.copyOf(err);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }

    private void collect(InputStream stream, List<String> lines, String name) {
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("(" + name + " unreadable: " + e + ")");
            } finally {
                readersDone.incrementAndGet();
            }
        }, "daemon-" + name);
        reader.setDaemon(true);
        reader.start();
    }
}
