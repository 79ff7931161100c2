package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.writebackd.layout.BlockAllocator;
import dev.writebackd.layout.Extent;
import dev.writebackd.layout.ExtentMapper;
import dev.writebackd.layout.StartupCheck;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Committed file metadata survives SIGKILL whole: a separate JVM ({@link FileMetadataWriterMain})
 * changes and commits several files at once, printing each commit's expected record before it
 * starts and an acknowledgement after; the test kills it at a random point and recovers the
 * records here. Each file's record must be exactly the state of its last acknowledged commit or of
 * a commit attempted after it — every acknowledged commit there, none half-applied — and the
 * records must pass the start-up check. Three rounds on the same directory, each child restoring
 * what the previous kill left.
 */
class FileMetadataKillTest {
    private static final int ROUNDS = 3;
    private static final int FILES = 8;
    private static final Pattern COMMIT = Pattern.compile("^COMMIT (\\d+) (\\d+) (\\d+) (\\S+) END$");
    private static final Pattern ACK = Pattern.compile("^ACK (\\d+) (\\d+) END$");

    @TempDir
    Path dataDir;

    /** What the writer printed about one file in one round. */
    private static final class FileLog {
        final TreeMap<Long, FileRecord.State> attempts = new TreeMap<>();
        long lastAcked;
    }

    @Test
    @DisplayName("every commit acknowledged before SIGKILL is recovered whole and none half-applied, three times over")
    void acknowledgedCommitsSurviveAKilledProcessWhole() throws Exception {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        Map<Long, FileRecord.State> before = new TreeMap<>();
        inodes().forEach(inode -> before.put(inode, new FileRecord.State(0, List.of(), false)));
        for (int round = 1; round <= ROUNDS; round++) {
            int killAfter = 50 + random.nextInt(400);
            Map<Long, FileLog> logs = writeThenKill(round, killAfter, random.nextLong(), seed);

            Map<Long, FileRecord.State> recovered = recover(seed);

            for (long inode : inodes()) {
                FileLog log = logs.get(inode);
                Set<FileRecord.State> allowed = new HashSet<>(log.attempts.tailMap(log.lastAcked, false).values());
                allowed.add(log.lastAcked == 0 ? before.get(inode) : log.attempts.get(log.lastAcked));
                assertThat(recovered.get(inode))
                        .as("inode %d in round %d, last acknowledged commit %d (seed %d)", inode, round, log.lastAcked, seed)
                        .isIn(allowed);
            }
            before.clear();
            before.putAll(recovered);
        }
    }

    /** Runs the writer until {@code killAfter} commits were acknowledged, kills it, returns what it printed per file. */
    private Map<Long, FileLog> writeThenKill(int round, int killAfter, long childSeed, long seed) throws Exception {
        Map<Long, FileLog> logs = new HashMap<>();
        inodes().forEach(inode -> logs.put(inode, new FileLog()));
        String who = "writer of round " + round + " (seed " + seed + ")";
        try (ChildJvm writer = ChildJvm.start(dataDir.resolve("r" + round + ".stderr"), FileMetadataWriterMain.class,
                dataDir.toString(), String.valueOf(FILES), String.valueOf(childSeed))) {
            boolean ready = false;
            int acks = 0;
            while (!ready || acks < killAfter) {
                String line = writer.nextLine(who);
                ready |= line.equals(FileMetadataWriterMain.READY);
                acks += record(line, logs, who) ? 1 : 0;
            }
            for (String line : writer.kill()) {
                record(line, logs, who);
            }
        }
        return logs;
    }

    /** Notes a COMMIT or ACK line of the writer; answers whether it was an acknowledgement. */
    private static boolean record(String line, Map<Long, FileLog> logs, String who) {
        if (line.startsWith("FAILED")) {
            fail("%s: %s", who, line);
        }
        Matcher commit = COMMIT.matcher(line);
        if (commit.matches()) {
            logs.get(Long.parseLong(commit.group(1))).attempts.put(Long.parseLong(commit.group(2)),
                    new FileRecord.State(Long.parseLong(commit.group(3)), parse(commit.group(4)), false));
            return false;
        }
        Matcher ack = ACK.matcher(line);
        if (ack.matches()) {
            FileLog log = logs.get(Long.parseLong(ack.group(1)));
            log.lastAcked = Math.max(log.lastAcked, Long.parseLong(ack.group(2)));
            return true;
        }
        return false;
    }

    private static List<Extent> parse(String extents) {
        List<Extent> runs = new ArrayList<>();
        if (!extents.equals("-")) {
            for (String run : extents.split(",")) {
                String[] parts = run.split(":");
                runs.add(new Extent(Long.parseLong(parts[0]), Long.parseLong(parts[1]), Long.parseLong(parts[2])));
            }
        }
        return runs;
    }

    /** Every file's record read back in a fresh actor system, after a clean start-up check. */
    private Map<Long, FileRecord.State> recover(long seed) throws Exception {
        ActorTestKit testKit = ActorTestKit.create("recovery", PersistenceConfig.prepare(dataDir));
        try {
            var records = testKit.spawn(FileRecords.create(FileMetadataWriterMain.DEVICE,
                    PersistenceSettings.fromConfig(testKit.system().settings().config())));
            Map<Long, FileRecord.State> states = FileRecords.readAll(records, inodes(), ChildJvm.LINE_TIMEOUT,
                    testKit.scheduler()).toCompletableFuture().get(ChildJvm.LINE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            Map<Long, List<Extent>> committed = new TreeMap<>();
            states.forEach((inode, state) -> committed.put(inode, state.extents()));
            ExtentMapper mapper = new ExtentMapper(
                    new BlockAllocator(FileMetadataWriterMain.DEVICE_BLOCKS), FileMetadataWriterMain.BLOCK);
            assertThat(StartupCheck.rebuild(mapper, committed)).as("start-up check (seed %d)", seed).isEmpty();
            return states;
        } finally {
            testKit.shutdownTestKit();
        }
    }

    private static List<Long> inodes() {
        return LongStream.rangeClosed(1, FILES).boxed().toList();
    }
}
