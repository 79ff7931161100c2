package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.layout.MetadataCache;
import dev.writebackd.mpage.Errseq;
import dev.writebackd.page.DirtyLedger;
import dev.writebackd.page.PagePool;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What every inode actor of one device shares: the thread-safe objects (page pool, dirty ledger,
 * layout, metadata buffers, the device's errseq, the metadata committer) and the device's actors.
 *
 * @param pool page memory
 * @param ledger the device's page counters and published thresholds
 * @param layout the block layout, shared under its lock
 * @param metadataCache the map-block cache of the {@code ext2} layout, or {@code null} for a layout
 *     without on-device metadata
 * @param deviceErrseq the device-wide errseq (syncfs, E6)
 * @param committer fsync's metadata commit
 * @param bios the device's bio actor (reads and fsync's flushes go there directly)
 * @param completions the device's completion actor (writes go through it)
 * @param coordinator the device's writeback coordinator
 * @param readaheadPages the largest readahead window in pages
 * @param maxBioSegments the most pages per write bio
 * @param counters the engine's observed counters (throttle pauses)
 * @param commits the device's commit actor, which settles durable futures with a flush and the
 *     metadata commit; {@code null} to have the completion actor flush for them (no commit)
 * @param cacheBudget the device's cache budget: which file evicts clean pages when
 */
public record DeviceContext(
        PagePool pool,
        DirtyLedger ledger,
        SharedLayout layout,
        MetadataCache metadataCache,
        Errseq deviceErrseq,
        MetadataCommitter committer,
        ActorRef<BioDispatcher.Command> bios,
        ActorRef<CompletionActor.Command> completions,
        ActorRef<Flushing.CoordinatorCommand> coordinator,
        int readaheadPages,
        int maxBioSegments,
        EngineCounters counters,
        ActorRef<CommitActor.Command> commits,
        CacheBudget cacheBudget) {

    /**
     * A context whose counters nobody observes, without a commit actor (durable futures settle with a
     * device flush alone), whose cache budget is the whole page pool.
     */
    public DeviceContext(PagePool pool, DirtyLedger ledger, SharedLayout layout, MetadataCache metadataCache,
            Errseq deviceErrseq, MetadataCommitter committer, ActorRef<BioDispatcher.Command> bios,
            ActorRef<CompletionActor.Command> completions, ActorRef<Flushing.CoordinatorCommand> coordinator,
            int readaheadPages, int maxBioSegments) {
        this(pool, ledger, layout, metadataCache, deviceErrseq, committer, bios, completions, coordinator,
                readaheadPages, maxBioSegments, new EngineCounters(), null,
                new CacheBudget(ledger, pool.capacityPages(), 2L * readaheadPages, metadataCache));
    }

    /** Validates. */
    public DeviceContext {
        requireNonNull(pool, "pool");
        requireNonNull(ledger, "ledger");
        requireNonNull(layout, "layout");
        requireNonNull(deviceErrseq, "deviceErrseq");
        requireNonNull(committer, "committer");
        requireNonNull(bios, "bios");
        requireNonNull(completions, "completions");
        requireNonNull(coordinator, "coordinator");
        requireNonNull(counters, "counters");
        requireNonNull(cacheBudget, "cacheBudget");
        if (readaheadPages < 1 || maxBioSegments < 1) {
            throw new IllegalArgumentException("readahead " + readaheadPages + ", segments " + maxBioSegments);
        }
        if (pool.pageSize() % layout.blockSize() != 0) {
            throw new IllegalArgumentException("block size " + layout.blockSize() + " does not divide page size "
                    + pool.pageSize());
        }
    }

    /**
     * Asks for what makes written data durable — a device flush and, with a commit actor, the
     * commit of what the flush made committable — answered to {@code replyTo} with
     * {@link CompletionActor.Flushed}.
     *
     * @param urgent a writer waits ({@code synced}): do not wait for the next periodic commit
     */
    public void awaitDurable(ActorRef<CompletionActor.Flushed> replyTo, boolean urgent) {
        if (commits != null) {
            commits.tell(new CommitActor.AwaitDurable(urgent, replyTo));
        } else {
            completions.tell(new CompletionActor.RequestFlush(replyTo));
        }
    }

    /** Bytes per page. */
    public int pageSize() {
        return pool.pageSize();
    }
}
