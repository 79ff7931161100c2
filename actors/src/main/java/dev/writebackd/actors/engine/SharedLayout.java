package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockLayout;
import dev.writebackd.layout.BlockMapper;
import dev.writebackd.layout.ConsistencyProblem;
import dev.writebackd.layout.Ext2Commits;
import dev.writebackd.layout.Extent;
import dev.writebackd.layout.MapResult;
import dev.writebackd.layout.MappingJournal;
import dev.writebackd.layout.MetadataBuffers;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * One device's {@link BlockLayout} as its inode actors share it: every call runs under one lock.
 *
 * <p>The layout and its allocator are single-threaded, and every inode actor of the device maps
 * blocks through them from inside its writeback passes, reads and truncations, which call the
 * mapper synchronously. The calls are short and do no I/O (a map block that is not cached is
 * answered as a need, which the actor meets asynchronously), so the lock is held for microseconds
 * and never across a device request.
 *
 * <p>With a {@link MappingJournal} (the persistent {@code extent} layout, ordered mode) every
 * mapping call goes through the journal, and the layout also gathers what the journal must learn:
 * the blocks whose writes completed ({@link #written}), which become durable with the next device
 * flush submitted after {@link #takeWritten()} ({@link #flushed}), and each file's size
 * ({@link #sizeChanged}). Without a journal those calls only keep the sizes.
 *
 * <p>With {@link Ext2Commits} (the persistent {@code ext2} layout) the mapping calls go through
 * it, which keeps each file's frees until the file's commit; files that map new blocks, change
 * size or are unlinked are remembered as touched, for the next sync to commit.
 *
 * <p><b>Thread-safe.</b>
 */
public final class SharedLayout implements BlockMapper {
    private final BlockLayout layout;
    private final MappingJournal journal;
    private final Ext2Commits ext2Commits;
    private final BlockMapper mapper;
    private final Object lock = new Object();
    /** Blocks written and not yet known durable, in the order their writes completed; guarded by {@code lock}. */
    private final ArrayDeque<Written> written = new ArrayDeque<>();
    /** The number of the next write to complete; guarded by {@code lock}. */
    private long nextWrite;
    /** Each file's last known size; guarded by {@code lock}. */
    private final Map<Long, Long> sizes = new HashMap<>();
    /** Files with changes the journal may hold uncommitted; guarded by {@code lock}. */
    private final Set<Long> touched = new TreeSet<>();

    /** Blocks {@code extent} of file {@code inode} written, the {@code number}th write to complete. */
    private record Written(long number, long inode, Extent extent) {}

    /** Shares {@code layout}; nobody else may call it directly afterwards. */
    public SharedLayout(BlockLayout layout) {
        this.layout = requireNonNull(layout, "layout");
        this.journal = null;
        this.ext2Commits = null;
        this.mapper = layout;
    }

    /**
     * Shares the persistent {@code ext2} layout through {@code commits}, which wraps it and keeps
     * each file's frees until its commit; nobody else may call either directly.
     */
    public SharedLayout(BlockLayout layout, Ext2Commits commits) {
        this.layout = requireNonNull(layout, "layout");
        this.journal = null;
        this.ext2Commits = requireNonNull(commits, "commits");
        this.mapper = commits;
    }

    /** Shares {@code layout} through {@code journal}, which wraps it; nobody else may call either directly. */
    public SharedLayout(BlockLayout layout, MappingJournal journal) {
        this.layout = requireNonNull(layout, "layout");
        this.journal = requireNonNull(journal, "journal");
        this.ext2Commits = null;
        this.mapper = journal;
    }

    /** The mapping journal, when the layout's metadata is persisted. */
    public Optional<MappingJournal> journal() {
        return Optional.ofNullable(journal);
    }

    @Override
    public MapResult map(long inode, long logicalBlock, int maxBlocks, boolean create) {
        synchronized (lock) {
            if (create && ext2Commits != null) {
                touched.add(inode); // its inode may change: a sync commits it
            }
            return mapper.map(inode, logicalBlock, maxBlocks, create);
        }
    }

    @Override
    public Errno reserve(long inode, long firstBlock, long count) {
        synchronized (lock) {
            return mapper.reserve(inode, firstBlock, count);
        }
    }

    @Override
    public long truncate(long inode, long keepBlocks) {
        synchronized (lock) {
            touched.add(inode);
            return mapper.truncate(inode, keepBlocks);
        }
    }

    @Override
    public long maxFileBlocks() {
        synchronized (lock) {
            return layout.maxFileBlocks();
        }
    }

    @Override
    public long metadataNeeded(long inode, long firstBlock, long count) {
        synchronized (lock) {
            return layout.metadataNeeded(inode, firstBlock, count);
        }
    }

    /** Frees every block of file {@code inode} and forgets it (unlink); journaled, its record goes with the next commit. */
    public long deleteFile(long inode) {
        synchronized (lock) {
            sizes.remove(inode);
            written.removeIf(w -> w.inode() == inode);
            if (journal != null) {
                touched.add(inode);
                return journal.deleteFile(inode);
            }
            if (ext2Commits != null) {
                touched.add(inode); // the record's delete goes with the next sync
                return ext2Commits.deleteFile(inode);
            }
            return layout.deleteFile(inode);
        }
    }

    /**
     * Makes the blocks freed so far reusable: their frees are committed.
     *
     * @throws IllegalStateException with a journal, which makes frees reusable itself once their
     *     batch is committed
     */
    public long commitFrees() {
        if (journal != null || ext2Commits != null) {
            throw new IllegalStateException("frees are committed per file, with the file's metadata");
        }
        synchronized (lock) {
            return layout.allocator().commitFrees();
        }
    }

    /**
     * The write of physical blocks {@code [firstBlock, firstBlock + count)} of file {@code inode}
     * completed without error; the parts the file maps there become durable with the next flush.
     */
    public void written(long inode, long firstBlock, long count) {
        if (journal == null || count <= 0) {
            return;
        }
        synchronized (lock) {
            long end = firstBlock + count;
            for (Extent e : journal.extents(inode)) {
                long from = Math.max(e.physical(), firstBlock);
                long to = Math.min(e.physicalEnd(), end);
                if (from < to) {
                    written.add(new Written(nextWrite, inode, new Extent(e.logical() + (from - e.physical()), from, to - from)));
                    touched.add(inode);
                }
            }
            nextWrite++;
        }
    }

    /**
     * Marks the writes completed so far: a device flush submitted from now on makes them durable,
     * including those an earlier flush still in flight was submitted for.
     *
     * @return the mark to hand to {@link #flushed} when the flush completes
     */
    public long takeWritten() {
        synchronized (lock) {
            return nextWrite;
        }
    }

    /**
     * A flush submitted after {@link #takeWritten()} returned {@code mark} completed: on success
     * the journal learns the data of every write before the mark is durable; on failure they wait
     * for the next flush.
     */
    public void flushed(long mark, boolean succeeded) {
        if (journal == null || !succeeded) {
            return;
        }
        synchronized (lock) {
            Map<Long, List<Extent>> durable = new HashMap<>();
            while (!written.isEmpty() && written.peekFirst().number() < mark) {
                Written w = written.pollFirst();
                durable.computeIfAbsent(w.inode(), i -> new ArrayList<>()).add(w.extent());
            }
            durable.forEach(journal::dataDurable);
        }
    }

    /** File {@code inode} is {@code size} bytes long now (a write grew it, a truncate changed it). */
    public void sizeChanged(long inode, long size) {
        synchronized (lock) {
            Long before = sizes.put(inode, size);
            if (before == null || before != size) {
                if (journal != null) {
                    touched.add(inode);
                    journal.sizeChanged(inode, size);
                } else if (ext2Commits != null) {
                    touched.add(inode);
                }
            }
        }
    }

    /** At start-up: file {@code inode}'s committed size. */
    public void restored(long inode, long size) {
        synchronized (lock) {
            sizes.put(inode, size);
            if (journal != null) {
                journal.restored(inode, size);
            }
        }
    }

    /** File {@code inode}'s size as last reported, 0 for a file never seen: an inode actor opens with it. */
    public long size(long inode) {
        synchronized (lock) {
            return sizes.getOrDefault(inode, 0L);
        }
    }

    /** The files whose changes may wait for a commit since the last call; a sync commits them all. */
    public Set<Long> takeTouched() {
        synchronized (lock) {
            Set<Long> taken = Set.copyOf(touched);
            touched.clear();
            return taken;
        }
    }

    /**
     * Runs {@code action} on the persistent {@code ext2} layout's commit state under the lock: a
     * commit's snapshot and its map-block writes are taken together, with no mapping in between.
     *
     * @throws IllegalStateException when the layout is not the persistent {@code ext2} one
     */
    public <T> T withExt2Commits(Function<Ext2Commits, T> action) {
        if (ext2Commits == null) {
            throw new IllegalStateException("not the persistent ext2 layout");
        }
        synchronized (lock) {
            return action.apply(ext2Commits);
        }
    }

    /** The layout's consistency check ({@link BlockLayout#checkConsistency()}). */
    public List<ConsistencyProblem> checkConsistency() {
        synchronized (lock) {
            return mapper == journal ? journal.checkConsistency() : layout.checkConsistency();
        }
    }

    /** The metadata buffers of the layout, thread-safe themselves. */
    public MetadataBuffers metadataBuffers() {
        return layout.metadataBuffers();
    }

    /** The layout's name. */
    public String name() {
        return layout.name();
    }

    /** The block size in bytes. */
    public int blockSize() {
        return layout.blockSize();
    }

    /** The largest file in bytes the layout can map. */
    public long maxFileBytes() {
        long blocks = maxFileBlocks();
        return blocks > Long.MAX_VALUE / blockSize() ? Long.MAX_VALUE : blocks * blockSize();
    }
}
