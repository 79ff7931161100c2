package dev.writebackd.layout;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import dev.writebackd.layout.MapResult.Mapped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Ordered mode between a device's layout and its persisted file records: which of a file's block
 * map changes may be committed, and when freed blocks may be reused.
 *
 * <ul>
 *   <li>A block newly mapped by {@code map(…, create = true)} becomes <em>committable</em> only
 *       once the caller reports its data durable ({@link #dataDurable}: the write completed and
 *       the device was flushed after it). A crash before the commit forgets the mapping, so the
 *       file shows a hole or its old contents there, never another file's old bytes.
 *   <li>Reservations, and new mappings that a truncate removes before they were committed, never
 *       reach the journal: their blocks go back to the allocator at once.
 *   <li>Blocks a truncate or unlink removes from a mapping the record may hold are recorded as
 *       frees and stay pending in the allocator (U3) until {@link #committed} reports that the
 *       batch freeing them is durable; only then can another file reuse them.
 *   <li>{@link #drain} hands out one file's changes as a {@link Batch} to persist; at most one
 *       batch per file is outstanding, and it ends in {@link #committed} or, when the record is
 *       known not to hold it, {@link #failed}, which puts its changes back for the next drain.
 * </ul>
 *
 * <p>A batch is applied frees first, then mappings, then the size: a block truncated and
 * rewritten before the commit appears as a free of its old run and a mapping of its new one.
 *
 * <p>The size to commit is the caller's ({@link #sizeChanged}; ordered mode wants the size the
 * durable data supports, like ext4's on-disk size); a file restored at start-up has its committed
 * size reported with {@link #restored}.
 *
 * <p>Meant for the {@code extent} layout, whose maps live only in the records. <b>Thread-safe:</b>
 * every method runs under the journal's lock, held for as long as a map or truncate of the layout
 * takes and never across I/O. Once wrapped, the layout must be called only through the journal.
 */
public final class MappingJournal implements BlockMapper {

    /**
     * One file's changes to persist in one commit.
     *
     * @param inode the file
     * @param size the file's size in bytes after the commit (0 when deleted)
     * @param mapped newly mapped runs whose data is durable, sorted by logical block
     * @param freed runs the record may hold that are no longer mapped, applied before
     *     {@code mapped}
     * @param deleted the file was unlinked: the record frees everything it maps
     */
    public record Batch(long inode, long size, List<Extent> mapped, List<Extent> freed, boolean deleted) {
        /** Validates the batch and copies its lists. */
        public Batch {
            if (size < 0) {
                throw new IllegalArgumentException("size " + size);
            }
            mapped = List.copyOf(mapped);
            freed = List.copyOf(freed);
        }
    }

    /** One file's uncommitted changes; guarded by the journal's lock. */
    private static final class Changes {
        /** New mappings whose data is not durable yet. */
        final RunMap awaitingData = new RunMap();
        /** New mappings whose data is durable, not yet drained. */
        RunMap committable = new RunMap();
        /** Frees of runs the record may hold, in the order they happened. */
        List<Extent> freed = new ArrayList<>();
        /** The size to commit; -1 while unknown. */
        long size = -1;
        boolean sizeChanged;
        boolean deleted;
        Batch inFlight;

        boolean hasChanges() {
            return deleted || sizeChanged || !committable.isEmpty() || !freed.isEmpty();
        }
    }

    private final BlockLayout layout;
    private final BlockAllocator allocator;
    private final Map<Long, Changes> files = new HashMap<>();

    /** A journal over {@code layout}, which nobody may call directly afterwards. */
    public MappingJournal(BlockLayout layout) {
        this.layout = requireNonNull(layout, "layout");
        this.allocator = layout.allocator();
    }

    /**
     * get_block through the layout; a run mapped for the first time ({@code isNew}) is recorded as
     * awaiting its data.
     *
     * @throws IllegalStateException when mapping with {@code create} into a file deleted but not
     *     yet committed
     */
    @Override
    public synchronized MapResult map(long inode, long logicalBlock, int maxBlocks, boolean create) {
        Changes changes = files.get(inode);
        if (create && changes != null && changes.deleted) {
            throw new IllegalStateException("inode " + inode + " is deleted");
        }
        MapResult result = layout.map(inode, logicalBlock, maxBlocks, create);
        if (result instanceof Mapped mapped && mapped.isNew()) {
            changes(inode).awaitingData.add(new Extent(logicalBlock, mapped.physicalBlock(), mapped.count()));
        }
        return result;
    }

    /** Reserves through the layout; reservations live in memory only and are never journaled. */
    @Override
    public synchronized Errno reserve(long inode, long firstBlock, long count) {
        return layout.reserve(inode, firstBlock, count);
    }

    /**
     * Truncates file {@code inode} to {@code keepBlocks} blocks. Removed runs that were never
     * committable or drained are reusable at once; the others are recorded as frees and stay
     * pending until the batch carrying them is {@link #committed}. The new size is reported apart,
     * with {@link #sizeChanged}.
     *
     * @return the number of mapped blocks removed
     */
    @Override
    public synchronized long truncate(long inode, long keepBlocks) {
        if (keepBlocks < 0) {
            throw new IllegalArgumentException("truncate to " + keepBlocks + " blocks");
        }
        RunMap removed = new RunMap();
        for (Extent e : layout.extents(inode)) {
            if (e.logicalEnd() > keepBlocks) {
                long from = Math.max(e.logical(), keepBlocks);
                removed.add(new Extent(from, e.physicalOf(from), e.logicalEnd() - from));
            }
        }
        long freedBlocks = layout.truncate(inode, keepBlocks);
        if (removed.isEmpty()) {
            return freedBlocks;
        }
        Changes changes = changes(inode);
        List<Extent> neverCommitted = new ArrayList<>(changes.awaitingData.removeFrom(keepBlocks));
        neverCommitted.addAll(changes.committable.removeFrom(keepBlocks));
        for (Extent e : neverCommitted) {
            take(removed, e);
            allocator.commitFrees(e.physical(), e.count());
        }
        changes.freed.addAll(removed.list());
        return freedBlocks;
    }

    /**
     * Unlinks file {@code inode}: truncates it to nothing and records that its next batch deletes
     * it. The journal forgets the file once that batch is committed.
     *
     * @return the number of mapped blocks removed
     */
    public synchronized long deleteFile(long inode) {
        long freedBlocks = truncate(inode, 0);
        Changes changes = changes(inode);
        changes.deleted = true;
        changes.size = 0;
        return freedBlocks;
    }

    @Override
    public synchronized long maxFileBlocks() {
        return layout.maxFileBlocks();
    }

    @Override
    public synchronized long metadataNeeded(long inode, long firstBlock, long count) {
        return layout.metadataNeeded(inode, firstBlock, count);
    }

    /**
     * The data of {@code extents} of file {@code inode} is durable: written and, where the device
     * has a volatile cache, flushed after the write completed. The parts that are still new,
     * uncommitted mappings of exactly those blocks become committable; anything else (a run
     * truncated or remapped since, a block mapped before) is ignored.
     */
    public synchronized void dataDurable(long inode, List<Extent> extents) {
        requireNonNull(extents, "extents");
        Changes changes = files.get(inode);
        if (changes == null) {
            return;
        }
        for (Extent durable : extents) {
            long block = durable.logical();
            while (block < durable.logicalEnd()) {
                Extent awaiting = changes.awaitingData.covering(block);
                if (awaiting == null) {
                    block = Math.min(durable.logicalEnd(), changes.awaitingData.nextCovered(block));
                    continue;
                }
                long end = Math.min(awaiting.logicalEnd(), durable.logicalEnd());
                if (awaiting.physicalOf(block) == durable.physicalOf(block)) {
                    changes.awaitingData.take(block, end - block);
                    changes.committable.add(new Extent(block, durable.physicalOf(block), end - block));
                }
                block = end;
            }
        }
    }

    /** The size of file {@code inode} to commit next is {@code size} bytes. */
    public synchronized void sizeChanged(long inode, long size) {
        if (size < 0) {
            throw new IllegalArgumentException("size " + size);
        }
        Changes changes = changes(inode);
        if (changes.size != size) {
            changes.size = size;
            changes.sizeChanged = true;
        }
    }

    /** At start-up: file {@code inode}'s committed size is {@code size} bytes; nothing to commit. */
    public synchronized void restored(long inode, long size) {
        if (size < 0) {
            throw new IllegalArgumentException("size " + size);
        }
        changes(inode).size = size;
    }

    /**
     * Takes file {@code inode}'s committable changes as a batch to persist; they stay out of later
     * batches while it is outstanding.
     *
     * @return the batch, or empty when nothing changed since the last one
     * @throws IllegalStateException when a batch of the file is still outstanding, or it has
     *     changes but its size was never reported
     */
    public synchronized Optional<Batch> drain(long inode) {
        Changes changes = files.get(inode);
        if (changes == null) {
            return Optional.empty();
        }
        if (changes.inFlight != null) {
            throw new IllegalStateException("inode " + inode + " already has a batch outstanding");
        }
        if (!changes.hasChanges()) {
            return Optional.empty();
        }
        if (changes.size < 0) {
            throw new IllegalStateException("the size of inode " + inode
                    + " is unknown: report it with sizeChanged or restored");
        }
        Batch batch = new Batch(inode, changes.size, changes.committable.list(), changes.freed, changes.deleted);
        changes.committable = new RunMap();
        changes.freed = new ArrayList<>();
        changes.sizeChanged = false;
        changes.inFlight = batch;
        return Optional.of(batch);
    }

    /**
     * {@code batch} is durable: its frees become reusable, and a deleted file is forgotten.
     *
     * @throws IllegalStateException when {@code batch} is not the file's outstanding batch
     */
    public synchronized void committed(Batch batch) {
        Changes changes = outstanding(batch);
        for (Extent e : batch.freed()) {
            allocator.commitFrees(e.physical(), e.count());
        }
        changes.inFlight = null;
        if (batch.deleted()) {
            files.remove(batch.inode());
        }
    }

    /**
     * The record is known not to hold {@code batch} (the commit was refused, or the record was
     * read back without it): its changes are put back in front of those made since, for the next
     * {@link #drain}. Blocks the batch mapped and a truncate has freed since were never committed,
     * so they become reusable at once.
     *
     * @throws IllegalStateException when {@code batch} is not the file's outstanding batch
     */
    public synchronized void failed(Batch batch) {
        Changes changes = outstanding(batch);
        changes.inFlight = null;
        RunMap uncommitted = new RunMap();
        batch.mapped().forEach(uncommitted::add);
        List<Extent> freed = new ArrayList<>(batch.freed());
        for (Extent free : changes.freed) {
            freed.addAll(cutUncommitted(uncommitted, free));
        }
        for (Extent e : uncommitted.list()) {
            changes.committable.add(e);
        }
        changes.freed = freed;
        changes.sizeChanged = true;
    }

    /** File {@code inode}'s mapped runs (committed or not), in logical order. */
    public synchronized List<Extent> extents(long inode) {
        return layout.extents(inode);
    }

    /** The layout's consistency check, under the journal's lock. */
    public synchronized List<ConsistencyProblem> checkConsistency() {
        return layout.checkConsistency();
    }

    private Changes changes(long inode) {
        return files.computeIfAbsent(inode, i -> new Changes());
    }

    private Changes outstanding(Batch batch) {
        requireNonNull(batch, "batch");
        Changes changes = files.get(batch.inode());
        if (changes == null || changes.inFlight != batch) {
            throw new IllegalStateException("not the outstanding batch of inode " + batch.inode() + ": " + batch);
        }
        return changes;
    }

    /**
     * Removes from {@code uncommitted} the parts of {@code free} it maps to the same blocks, makes
     * them reusable, and returns the rest of {@code free}, which the record may hold.
     */
    private List<Extent> cutUncommitted(RunMap uncommitted, Extent free) {
        List<Extent> rest = new ArrayList<>();
        long block = free.logical();
        while (block < free.logicalEnd()) {
            Extent run = uncommitted.covering(block);
            long end = run != null
                    ? Math.min(run.logicalEnd(), free.logicalEnd())
                    : Math.min(free.logicalEnd(), uncommitted.nextCovered(block));
            Extent piece = new Extent(block, free.physicalOf(block), end - block);
            if (run != null && run.physicalOf(block) == piece.physical()) {
                uncommitted.take(block, piece.count());
                allocator.commitFrees(piece.physical(), piece.count());
            } else {
                rest.add(piece);
            }
            block = end;
        }
        return rest;
    }

    /** Removes {@code part}, which {@code runs} maps with the same blocks, possibly across runs. */
    private static void take(RunMap runs, Extent part) {
        long block = part.logical();
        while (block < part.logicalEnd()) {
            Extent run = runs.covering(block);
            if (run == null || run.physicalOf(block) != part.physicalOf(block)) {
                throw new IllegalStateException(part + " is not mapped as recorded");
            }
            long end = Math.min(run.logicalEnd(), part.logicalEnd());
            runs.take(block, end - block);
            block = end;
        }
    }
}
