package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.actors.persist.Namespace.Listing;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
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
    private static final Pattern ACKED = Pattern.compile("^" + NamespaceWriterMain.ACK + "(r\\d+-\\d{7})$");

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
        List<String> acked = new ArrayList<>();
        try (ChildJvm writer = ChildJvm.start(dataDir.resolve(prefix + ".stderr"), NamespaceWriterMain.class,
                dataDir.toString(), prefix, "10000000")) {
            boolean synced = false;
            while (!synced || acked.size() < killAfter) {
                String line = writer.nextLine("writer " + prefix + " (seed " + seed + ")");
                synced |= line.equals(NamespaceWriterMain.SYNCED);
                acknowledgedName(line).ifPresent(acked::add);
            }
            writer.kill().forEach(line -> acknowledgedName(line).ifPresent(acked::add));
        }
        return acked;
    }

    private static Optional<String> acknowledgedName(String line) {
        Matcher matcher = ACKED.matcher(line);
        return matcher.matches() ? Optional.of(matcher.group(1)) : Optional.empty();
    }

    private Map<String, Long> recover() throws Exception {
        ActorTestKit testKit = ActorTestKit.create("recovery", PersistenceConfig.prepare(dataDir));
        try {
            var namespace = testKit.spawn(Namespace.create(
                    NamespaceWriterMain.DEVICE, PersistenceSettings.fromConfig(testKit.system().settings().config())));
            TestProbe<Listing> probe = testKit.createTestProbe();
            namespace.tell(new Namespace.List(probe.ref()));
            return probe.receiveMessage(ChildJvm.LINE_TIMEOUT).entries();
        } finally {
            testKit.shutdownTestKit();
        }
    }
}
