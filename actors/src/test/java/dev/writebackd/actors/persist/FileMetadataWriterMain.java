package dev.writebackd.actors.persist;

import com.typesafe.config.Config;
import dev.writebackd.layout.BlockAllocator;
import dev.writebackd.layout.ConsistencyProblem;
import dev.writebackd.layout.Extent;
import dev.writebackd.layout.ExtentMapper;
import dev.writebackd.layout.MapResult;
import dev.writebackd.layout.MapResult.Mapped;
import dev.writebackd.layout.MappingJournal;
import dev.writebackd.layout.StartupCheck;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The child JVM of {@link FileMetadataKillTest}: restores the files {@code 1..files} of a data
 * directory (failing on any start-up problem), then changes them at random through a
 * {@link MappingJournal} — writes whose data is reported durable at once or later, truncates —
 * and commits them through a {@link PersistentCommitter}, all files at once but one commit per
 * file at a time. Before each commit it prints the state the record will have after it, as
 * {@code COMMIT <inode> <seq> <size> <extents> END}; after the commit acknowledged it prints
 * {@code ACK <inode> <seq> END}. Runs until killed.
 *
 * <p>Arguments: data directory, number of files, seed.
 */
public final class FileMetadataWriterMain {
    static final String DEVICE = "dev0";
    static final String READY = "READY";
    static final int BLOCK = 4096;
    static final long DEVICE_BLOCKS = 4096;
    private static final long MAX_FILE_BLOCKS = 64;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private FileMetadataWriterMain() {}

    /** Runs as {@code l:p:c} joined by ',', or '-' for none. */
    static String format(List<Extent> extents) {
        return extents.isEmpty() ? "-" : extents.stream()
                .map(e -> e.logical() + ":" + e.physical() + ":" + e.count())
                .collect(Collectors.joining(","));
    }

    public static void main(String[] args) throws Exception {
        Path dataDir = Path.of(args[0]);
        int files = Integer.parseInt(args[1]);
        Random random = new Random(Long.parseLong(args[2]));
        PrintStream out = System.out;

        Config config = PersistenceConfig.prepare(dataDir);
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "writer", config);
        ActorRef<FileRecords.Command> records = system.systemActorOf(
                FileRecords.create(DEVICE, PersistenceSettings.fromConfig(config)), "files", Props.empty());
        List<Long> inodes = LongStream.rangeClosed(1, files).boxed().toList();
        Map<Long, FileRecord.State> states = FileRecords.readAll(records, inodes, TIMEOUT, system.scheduler())
                .toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        ExtentMapper mapper = new ExtentMapper(new BlockAllocator(DEVICE_BLOCKS), BLOCK);
        Map<Long, List<Extent>> committed = new TreeMap<>();
        states.forEach((inode, state) -> committed.put(inode, state.extents()));
        List<ConsistencyProblem> problems = StartupCheck.rebuild(mapper, committed);
        if (!problems.isEmpty()) {
            System.err.println("start-up check failed: " + problems);
            System.exit(2);
        }
        MappingJournal journal = new MappingJournal(mapper);
        Map<Long, Long> sizes = new HashMap<>();
        states.forEach((inode, state) -> {
            journal.restored(inode, state.size());
            sizes.put(inode, state.size());
        });
        PersistentCommitter committer = new PersistentCommitter(journal, records,
                new JournalSync(JournalDatabase.fromConfig(config)),
                system.dispatchers().lookup(DispatcherSelector.blocking()), system.scheduler(), TIMEOUT);
        out.println(READY);

        Map<Long, Set<Long>> notDurable = new HashMap<>();
        BlockingQueue<Long> idle = new LinkedBlockingQueue<>(inodes);
        for (long seq = 1; ; seq++) {
            long inode = idle.take();
            Set<Long> pending = notDurable.computeIfAbsent(inode, i -> new HashSet<>());
            sizes.put(inode, change(journal, inode, sizes.get(inode), pending, random));
            long commit = seq;
            out.println("COMMIT " + inode + " " + commit + " " + sizes.get(inode) + " "
                    + format(withoutBlocks(journal.extents(inode), pending)) + " END");
            committer.commit(inode).whenComplete((done, failure) -> {
                out.println(failure == null ? "ACK " + inode + " " + commit + " END" : "FAILED " + inode + " " + failure);
                idle.add(inode);
            });
        }
    }

    /** One random change of a file; returns its new size. */
    private static long change(MappingJournal journal, long inode, long size, Set<Long> pending, Random random) {
        long blocks = (size + BLOCK - 1) / BLOCK;
        if (blocks > 0 && random.nextInt(6) == 0) {
            long keep = random.nextLong(blocks);
            journal.truncate(inode, keep);
            pending.removeIf(block -> block >= keep);
            long newSize = keep == 0 ? 0 : keep * BLOCK - random.nextInt(BLOCK);
            journal.sizeChanged(inode, newSize);
            return newSize;
        }
        if (!pending.isEmpty() && random.nextBoolean()) {
            journal.dataDurable(inode, withBlocksOnly(journal.extents(inode), pending));
            pending.clear();
        }
        long newSize = size;
        for (int writes = 1 + random.nextInt(3); writes > 0; writes--) {
            long logical = random.nextLong(MAX_FILE_BLOCKS - 8);
            MapResult result = journal.map(inode, logical, 1 + random.nextInt(8), true);
            if (result instanceof Mapped mapped && mapped.isNew()) {
                Extent run = new Extent(logical, mapped.physicalBlock(), mapped.count());
                if (random.nextInt(5) == 0) {
                    LongStream.range(run.logical(), run.logicalEnd()).forEach(pending::add);
                } else {
                    journal.dataDurable(inode, List.of(run));
                }
                newSize = Math.max(newSize, run.logicalEnd() * BLOCK);
            }
        }
        journal.sizeChanged(inode, newSize);
        return newSize;
    }

    /** {@code extents} without the logical blocks in {@code blocks}, touching runs merged. */
    static List<Extent> withoutBlocks(List<Extent> extents, Set<Long> blocks) {
        return select(extents, block -> !blocks.contains(block));
    }

    private static List<Extent> withBlocksOnly(List<Extent> extents, Set<Long> blocks) {
        return select(extents, blocks::contains);
    }

    private static List<Extent> select(List<Extent> extents, LongPredicate keep) {
        List<Extent> runs = new ArrayList<>();
        for (Extent e : extents) {
            for (long block = e.logical(); block < e.logicalEnd(); block++) {
                if (keep.test(block)) {
                    runs.add(new Extent(block, e.physicalOf(block), 1));
                }
            }
        }
        return merged(runs);
    }

    /** Runs sorted by logical block, those touching logically and physically merged. */
    static List<Extent> merged(List<Extent> byLogical) {
        List<Extent> merged = new ArrayList<>();
        for (Extent e : byLogical) {
            Extent last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && last.logicalEnd() == e.logical() && last.physicalEnd() == e.physical()) {
                merged.set(merged.size() - 1, new Extent(last.logical(), last.physical(), last.count() + e.count()));
            } else {
                merged.add(e);
            }
        }
        return merged;
    }
}
