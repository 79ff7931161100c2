package dev.writebackd.actors.persist;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.writebackd.actors.persist.Namespace.Listing;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the journal acknowledged survives SIGKILL: a separate JVM ({@link NamespaceWriterMain})
 * creates names and prints each acknowledged one; the test kills it at a random point, recovers
 * the namespace from the same H2 directory here, and finds every printed name. Three rounds on
 * the same directory, so later rounds also recover from databases that a kill left behind.
 */
class KillRecoveryTest {
    private static final int ROUNDS = 3;
    private static final Duration LINE_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern ACKED = Pattern.compile("^" + NamespaceWriterMain.ACK + "(r\\d+-\\d{7})$");
    private static final String END_OF_STREAM = "\0end of stream";

    @TempDir
    Path dataDir;

    @Test
    @DisplayName("every name the journal acknowledged is recovered after SIGKILL, three times over")
    void everyAcknowledgedNameSurvivesAKilledProcess() throws Exception {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        List<String> acknowledged = new ArrayList<>();
        for (int round = 1; round <= ROUNDS; round++) {
            int killAfter = 50 + random.nextInt(1_000);
            List<String> acked = writeThenKill("r" + round, killAfter, seed);
            assertThat(acked).as("acknowledged before the kill (seed %d)", seed).hasSizeGreaterThanOrEqualTo(killAfter);
            acknowledged.addAll(acked);

            Set<String> recovered = recover().keySet();

            List<String> lost = acknowledged.stream().filter(name -> !recovered.contains(name)).toList();
            assertThat(lost).as("acknowledged but lost in round %d of %d acknowledged (seed %d)",
                    round, acknowledged.size(), seed).isEmpty();
        }
    }

    /** Runs the writer until it has acknowledged {@code killAfter} names after its sync, kills it, returns every acknowledged name. */
    private List<String> writeThenKill(String prefix, int killAfter, long seed) throws Exception {
        Path stderr = dataDir.resolve(prefix + ".stderr");
        Process writer = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                        "-cp", System.getProperty("java.class.path"),
                        NamespaceWriterMain.class.getName(),
                        dataDir.toString(), prefix, "10000000")
                .redirectError(stderr.toFile())
                .start();
        BlockingQueue<String> lines = readLines(writer);
        List<String> acked = new ArrayList<>();
        try {
            boolean synced = false;
            while (!synced || acked.size() < killAfter) {
                String line = lines.poll(LINE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                if (line == null || line.equals(END_OF_STREAM)) {
                    fail("writer %s stopped or stalled before the kill (seed %d); stderr:%n%s",
                            prefix, seed, Files.readString(stderr));
                }
                synced |= line.equals(NamespaceWriterMain.SYNCED);
                acknowledgedName(line).ifPresent(acked::add);
            }
        } finally {
            // SIGKILL through the handle: Process.destroyForcibly would also close our end of the
            // pipe, losing the lines still in it.
            writer.toHandle().destroyForcibly();
        }
        assertThat(writer.waitFor(LINE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        // Lines the writer printed before it died were acknowledged too.
        for (String line = lines.poll(LINE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                line != null && !line.equals(END_OF_STREAM);
                line = lines.poll(LINE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            acknowledgedName(line).ifPresent(acked::add);
        }
        return acked;
    }

    private static Optional<String> acknowledgedName(String line) {
        Matcher matcher = ACKED.matcher(line);
        return matcher.matches() ? Optional.of(matcher.group(1)) : Optional.empty();
    }

    /** The writer's stdout, line by line, ending with {@link #END_OF_STREAM}. */
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
        }, "writer-stdout");
        reader.setDaemon(true);
        reader.start();
        return lines;
    }

    private Map<String, Long> recover() throws Exception {
        ActorTestKit testKit = ActorTestKit.create("recovery", PersistenceConfig.prepare(dataDir));
        try {
            var namespace = testKit.spawn(Namespace.create(
                    NamespaceWriterMain.DEVICE, PersistenceSettings.fromConfig(testKit.system().settings().config())));
            TestProbe<Listing> probe = testKit.createTestProbe();
            namespace.tell(new Namespace.List(probe.ref()));
            return probe.receiveMessage(LINE_TIMEOUT).entries();
        } finally {
            testKit.shutdownTestKit();
        }
    }
}
