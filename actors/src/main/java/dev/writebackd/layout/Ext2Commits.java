package dev.writebackd.layout;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockAllocator.Run;
import dev.writebackd.layout.Ext2Mapper.InodePointers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the persistent {@code ext2} layout commits per file, kept between commits: which blocks each
 * file freed (truncate, unlink) and which files were deleted. A commit takes a {@link Snapshot} of
 * the file — its size, its inode pointers, its frees — and, once the snapshot is durable, reports it
 * {@link #committed}: only then do the freed blocks become reusable (U3), so a crash never leaves a
 * committed inode, or a map block it reaches on the device, pointing at a block another file reuses.
 *
 * <p>Everything else goes straight to the {@link Ext2Mapper}; the map blocks themselves live on the
 * device and are written before the commit by its caller. Not thread-safe: called under the
 * device's layout lock, like the mapper. Once wrapped, the mapper must be called only through this.
 */
public final class Ext2Commits implements BlockMapper {

    /**
     * One file's state to persist.
     *
     * @param inode the file
     * @param size its size in bytes
     * @param pointers its inode pointers (all zero when deleted or empty)
     * @param freed the runs it freed since the last commit, made reusable by {@link #committed}
     * @param deleted the file was unlinked
     */
    public record Snapshot(long inode, long size, InodePointers pointers, List<Run> freed, boolean deleted) {
        /** Copies the list. */
        public Snapshot {
            requireNonNull(pointers, "pointers");
            freed = List.copyOf(freed);
        }
    }

    private final Ext2Mapper mapper;
    private final Map<Long, List<Run>> freed = new HashMap<>();
    private final Set<Long> deleted = new HashSet<>();
    /** The file being truncated now, to which the allocator's frees belong; -1 outside a truncate. */
    private long truncating = -1;

    /** Wraps {@code mapper} and listens to its allocator's frees. */
    public Ext2Commits(Ext2Mapper mapper) {
        this.mapper = requireNonNull(mapper, "mapper");
        mapper.allocator().setFreeListener(this::onFreed);
    }

    @Override
    public MapResult map(long inode, long logicalBlock, int maxBlocks, boolean create) {
        if (create && deleted.contains(inode)) {
            throw new IllegalStateException("inode " + inode + " is deleted");
        }
        return mapper.map(inode, logicalBlock, maxBlocks, create);
    }

    @Override
    public Errno reserve(long inode, long firstBlock, long count) {
        return mapper.reserve(inode, firstBlock, count);
    }

    /** Truncates through the mapper; the blocks freed are the file's, pending until its next commit. */
    @Override
    public long truncate(long inode, long keepBlocks) {
        truncating = inode;
        try {
            return mapper.truncate(inode, keepBlocks);
        } finally {
            truncating = -1;
        }
    }

    /** Unlinks file {@code inode}: frees everything it maps; its next snapshot deletes its record. */
    public long deleteFile(long inode) {
        long freedBlocks = truncate(inode, 0);
        deleted.add(inode);
        return freedBlocks;
    }

    @Override
    public long maxFileBlocks() {
        return mapper.maxFileBlocks();
    }

    @Override
    public long metadataNeeded(long inode, long firstBlock, long count) {
        return mapper.metadataNeeded(inode, firstBlock, count);
    }

    /** File {@code inode}'s cached map blocks ({@link Ext2Mapper#cachedMapBlocks}): a commit writes the dirty ones first. */
    public List<Long> cachedMapBlocks(long inode) {
        return mapper.cachedMapBlocks(inode);
    }

    /**
     * Takes file {@code inode}'s state as of now, with the frees made since the last snapshot; they
     * stay pending until {@link #committed} or go back with {@link #failed}.
     */
    public Snapshot take(long inode, long size) {
        if (size < 0) {
            throw new IllegalArgumentException("size " + size);
        }
        boolean gone = deleted.contains(inode);
        List<Run> runs = freed.remove(inode);
        return new Snapshot(inode, gone ? 0 : size, mapper.inodePointers(inode), runs == null ? List.of() : runs, gone);
    }

    /** {@code snapshot} is durable: its frees become reusable, and a deleted file is forgotten. */
    public void committed(Snapshot snapshot) {
        for (Run run : snapshot.freed()) {
            mapper.allocator().commitFrees(run.start(), run.count());
        }
        if (snapshot.deleted()) {
            deleted.remove(snapshot.inode());
        }
    }

    /** {@code snapshot} may not be durable: its frees stay pending and go with the file's next snapshot. */
    public void failed(Snapshot snapshot) {
        if (snapshot.freed().isEmpty()) {
            return;
        }
        List<Run> runs = new ArrayList<>(snapshot.freed());
        runs.addAll(freed.getOrDefault(snapshot.inode(), List.of()));
        freed.put(snapshot.inode(), runs);
    }

    /** The blocks file {@code inode} freed that wait for its next commit. */
    public long pendingFrees(long inode) {
        return freed.getOrDefault(inode, List.of()).stream().mapToLong(Run::count).sum();
    }

    private void onFreed(long start, long count) {
        if (truncating < 0) {
            throw new IllegalStateException("blocks " + start + "+" + count + " freed outside a truncate");
        }
        freed.computeIfAbsent(truncating, i -> new ArrayList<>()).add(new Run(start, count));
    }
}
