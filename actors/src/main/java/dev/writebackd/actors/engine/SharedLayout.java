package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockLayout;
import dev.writebackd.layout.BlockMapper;
import dev.writebackd.layout.ConsistencyProblem;
import dev.writebackd.layout.MapResult;
import dev.writebackd.layout.MetadataBuffers;
import java.util.List;

/**
 * One device's {@link BlockLayout} as its inode actors share it: every call runs under one lock.
 *
 * <p>The layout and its allocator are single-threaded, and every inode actor of the device maps
 * blocks through them from inside its writeback passes, reads and truncations, which call the
 * mapper synchronously. The calls are short and do no I/O (a map block that is not cached is
 * answered as a need, which the actor meets asynchronously), so the lock is held for microseconds
 * and never across a device request.
 *
 * <p><b>Thread-safe.</b>
 */
public final class SharedLayout implements BlockMapper {
    private final BlockLayout layout;
    private final Object lock = new Object();

    /** Shares {@code layout}; nobody else may call it directly afterwards. */
    public SharedLayout(BlockLayout layout) {
        this.layout = requireNonNull(layout, "layout");
    }

    @Override
    public MapResult map(long inode, long logicalBlock, int maxBlocks, boolean create) {
        synchronized (lock) {
            return layout.map(inode, logicalBlock, maxBlocks, create);
        }
    }

    @Override
    public Errno reserve(long inode, long firstBlock, long count) {
        synchronized (lock) {
            return layout.reserve(inode, firstBlock, count);
        }
    }

    @Override
    public long truncate(long inode, long keepBlocks) {
        synchronized (lock) {
            return layout.truncate(inode, keepBlocks);
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

    /** Frees every block of file {@code inode} and forgets it (unlink). */
    public long deleteFile(long inode) {
        synchronized (lock) {
            return layout.deleteFile(inode);
        }
    }

    /** Makes the blocks freed so far reusable: their frees are committed. */
    public long commitFrees() {
        synchronized (lock) {
            return layout.allocator().commitFrees();
        }
    }

    /** The layout's consistency check ({@link BlockLayout#checkConsistency()}). */
    public List<ConsistencyProblem> checkConsistency() {
        synchronized (lock) {
            return layout.checkConsistency();
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
