package dev.writebackd.actors.persist;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import dev.writebackd.actors.engine.MetadataCommitter;
import dev.writebackd.actors.engine.SharedLayout;
import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.layout.ConsistencyProblem;
import dev.writebackd.layout.Ext2Mapper;
import dev.writebackd.layout.Ext2Mapper.InodePointers;
import dev.writebackd.layout.Ext2Restore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start-up restore of the persistent {@code ext2} layout: every named file's committed inode
 * (size and pointers) read from its {@link FileRecord}, the pointers restored into the fresh mapper,
 * the map blocks they reach read from the device to rebuild the allocator and checked
 * ({@link Ext2Restore}); then each file's committed size is restored. Runs on the starting thread,
 * before the engine answers anything, and blocks it.
 */
public final class Ext2Startup {
    private static final Logger log = LoggerFactory.getLogger(Ext2Startup.class);

    private Ext2Startup() {}

    /**
     * Restores device {@code deviceId}'s files.
     *
     * @param namespace the device's names, to find its files
     * @param bios the device's bio actor, for the committer's map-block writes and flushes
     * @param device the device, read directly for the map blocks while nothing else uses it
     * @param mapper the layout's mapper, new
     * @param layout the shared layout over {@code mapper}
     * @param askTimeout how long the committer waits for a record or the device
     * @param startTimeout how long the records may take to answer here
     * @return the committer of the device's files
     * @throws IllegalStateException naming every problem when the records and the device disagree
     *     (a block mapped twice, say), or when a record holds extents
     */
    public static MetadataCommitter restore(ActorSystem<?> system, ActorRef<Namespace.Command> namespace,
            ActorRef<BioDispatcher.Command> bios, String deviceId, BlockDevice device, Ext2Mapper mapper,
            SharedLayout layout, Duration askTimeout, Duration startTimeout) {
        requireNonNull(device, "device");
        Config config = system.settings().config();
        ActorRef<FileRecords.Command> records = system.systemActorOf(
                FileRecords.create(deviceId, PersistenceSettings.fromConfig(config)), "file-records", Props.empty());
        Namespace.Listing listing = AskPattern.<Namespace.Command, Namespace.Listing>ask(namespace,
                Namespace.List::new, startTimeout, system.scheduler()).toCompletableFuture().join();
        Set<Long> inodes = new TreeSet<>(listing.entries().values());
        Map<Long, FileRecord.State> states = FileRecords.readAll(records, inodes, startTimeout, system.scheduler())
                .toCompletableFuture().join();
        Map<Long, InodePointers> committed = new TreeMap<>();
        states.forEach((inode, state) -> {
            if (state.deleted()) {
                return;
            }
            if (!state.extents().isEmpty()) {
                throw new IllegalStateException("the record of inode " + inode + " on ext2 device " + deviceId
                        + " holds extents, refusing to start");
            }
            if (state.inode() != null) {
                committed.put(inode, state.inode());
            }
        });
        List<ConsistencyProblem> problems = Ext2Restore.rebuild(mapper, committed, device::submit);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the file records of device " + deviceId
                    + " and its map blocks disagree, refusing to start: " + problems);
        }
        states.forEach((inode, state) -> {
            if (!state.deleted()) {
                layout.restored(inode, state.size());
            }
        });
        log.info("Restored {} ext2 files of device {}", committed.size(), deviceId);
        return new Ext2Committer(layout, mapper.metadataBuffers(), records, bios,
                new JournalSync(JournalDatabase.fromConfig(config)),
                system.dispatchers().lookup(DispatcherSelector.blocking()), system.scheduler(), askTimeout);
    }
}
