package dev.writebackd.actors.persist;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The kill tests' child process: a JVM on the test class path running a writer's {@code main},
 * whose stdout is read line by line and which is ended with SIGKILL. Its stderr goes to a file,
 * shown when the child stops or stalls before the kill.
 */
final class ChildJvm implements AutoCloseable {
    /** The longest wait for the child's next line, and for it to die. */
    static final Duration LINE_TIMEOUT = Duration.ofSeconds(60);
    private static final String END_OF_STREAM = "\0end of stream";

    private final Process process;
    private final BlockingQueue<String> lines;
    private final Path stderr;

    /** What a kill test reads from its child: each line it printed, until it has seen enough to kill it. */
    interface Progress extends Consumer<String> {
        /** Whether the child has done enough to be killed now. */
        boolean enough();
    }

    private ChildJvm(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        this.lines = readLines(process);
    }

    /** Starts {@code main} with {@code args}, its stderr written to {@code stderr}. */
    static ChildJvm start(Path stderr, Class<?> main, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"),
                main.getName()));
        command.addAll(List.of(args));
        return new ChildJvm(new ProcessBuilder(command).redirectError(stderr.toFile()).start(), stderr);
    }

    /**
     * One kill round: starts {@code main} with {@code args}, hands {@code progress} each line until
     * it has enough, kills the child with SIGKILL and hands it the lines printed before it died.
     */
    static void runAndKill(Path stderr, String who, Progress progress, Class<?> main, String... args)
            throws IOException, InterruptedException {
        try (ChildJvm child = start(stderr, main, args)) {
            while (!progress.enough()) {
                progress.accept(child.nextLine(who));
            }
            child.kill().forEach(progress);
        }
    }

    /**
     * The child's next line; fails the test, naming {@code who} and showing the child's stderr,
     * when the child stopped or printed nothing for {@link #LINE_TIMEOUT}.
     */
    String nextLine(String who) throws InterruptedException, IOException {
        String line = lines.poll(LINE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (line == null || line.equals(END_OF_STREAM)) {
            fail("%s stopped or stalled before the kill; stderr:%n%s", who, Files.readString(stderr));
        }
        return line;
    }

    /**
     * Kills the child with SIGKILL and returns the lines it printed before it died that were not
     * read yet: they were printed, so what they report happened before the kill.
     */
    List<String> kill() throws InterruptedException {
        // SIGKILL through the handle: Process.destroyForcibly would also close our end of the
        // pipe, losing the lines still in it.
        process.toHandle().destroyForcibly();
        assertThat(process.waitFor(LINE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("child died").isTrue();
        List<String> rest = new ArrayList<>();
        for (String line = lines.poll(LINE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                line != null && !line.equals(END_OF_STREAM);
                line = lines.poll(LINE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            rest.add(line);
        }
        return rest;
    }

    /** Kills the child if it still runs (a test that failed before its kill). */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.toHandle().destroyForcibly();
            process.waitFor(LINE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /** The child's stdout, line by line, ending with {@link #END_OF_STREAM}. */
    private static BlockingQueue<String> readLines(Process process) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                lines.add(END_OF_STREAM);
            }
        }, "child-stdout");
        reader.setDaemon(true);
        reader.start();
        return lines;
    }
}
