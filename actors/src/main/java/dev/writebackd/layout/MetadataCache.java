package dev.writebackd.layout;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.Segment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The metadata buffer cache of one device: the device blocks that hold ext2 map blocks, by block
 * number, each a heap buffer of one block with the kernel's buffer-head states — uptodate, dirty,
 * and write in flight.
 *
 * <p>Thread-safe (every method synchronizes on the cache): it is one of the three objects the
 * engine shares per device. The ext2 mapper reads and changes pointers through it, the data path
 * cleans aliases of newly allocated data blocks (B8), the completion side writes dirty map blocks
 * behind their data (B7, W9), and ext2's fsync writes {@link #dirtyBlocks()}.
 *
 * <p>Reading a block: {@link #readBio} builds a READ bio (flag {@link BioFlag#META}) into a fresh
 * buffer; the caller submits it and reports {@link #readCompleted}; the data is installed only if
 * the read succeeded. Writing: {@link #writeIfDirty} copies the bytes into its bio, so pointers may
 * change while the write is in flight (the block is dirtied again and rewritten later). Two writes
 * of one block are never in flight together, so an older copy can never land after a newer one.
 *
 * <p>A block's address on the device is sector {@code block * (blockSize / 512)}.
 */
public final class MetadataCache implements MetadataBuffers {

    /** One cached block. Guarded by the cache's lock. */
    private static final class Buffer {
        final byte[] data;
        boolean uptodate;
        boolean dirty;
        boolean reading;

        Buffer(byte[] data) {
            this.data = data;
        }
    }

    private final int blockSize;
    private final Map<Long, Buffer> buffers = new HashMap<>();
    // Kept apart from the buffers: a write stays in flight after its buffer is forgotten (B8).
    private final Set<Long> writesInFlight = new HashSet<>();

    /** An empty cache for a device with blocks of {@code blockSize} bytes. */
    public MetadataCache(int blockSize) {
        this.blockSize = BlockSizes.check(blockSize);
    }

    /** The block size in bytes. */
    public int blockSize() {
        return blockSize;
    }

    /**
     * A read-only, little-endian view of block {@code block}'s cached bytes, or {@code null} if the
     * block is not cached or not uptodate. The view is live: it shows later changes made through
     * this cache.
     */
    public synchronized ByteBuffer lookup(long block) {
        Buffer b = buffers.get(block);
        return b == null || !b.uptodate ? null : view(b);
    }

    /**
     * Installs {@code bytes} (one block, copied) as block {@code block}'s uptodate, clean contents,
     * after it was read by other means. A block already uptodate is left as it is, since the cached
     * copy may be newer than the device.
     *
     * @return {@code true} if the bytes were installed
     */
    public synchronized boolean install(long block, byte[] bytes) {
        if (requireNonNull(bytes, "bytes").length != blockSize) {
            throw new IllegalArgumentException(bytes.length + " bytes for a block of " + blockSize);
        }
        Buffer b = buffers.get(block);
        if (b != null && b.uptodate) {
            return false;
        }
        Buffer fresh = new Buffer(bytes.clone());
        fresh.uptodate = true;
        buffers.put(block, fresh);
        return true;
    }

    /**
     * The buffer of a newly allocated map block: zeroed, uptodate and dirty (written later behind its
     * data, W9/B7, or by ext2's fsync). An old cached copy of the block is overwritten.
     *
     * @return a read-only view, as {@link #lookup}
     */
    public synchronized ByteBuffer getOrCreateZeroed(long block) {
        Buffer b = new Buffer(new byte[blockSize]);
        b.uptodate = true;
        b.dirty = true;
        buffers.put(block, b);
        return view(b);
    }

    /**
     * Stores the little-endian 32-bit {@code value} at {@code byteOffset} of cached block
     * {@code block} and marks it dirty.
     *
     * @throws IllegalStateException if the block is not cached and uptodate
     */
    public synchronized void putInt(long block, int byteOffset, int value) {
        Buffer b = uptodate(block);
        ByteBuffer.wrap(b.data).order(ByteOrder.LITTLE_ENDIAN).putInt(byteOffset, value);
        b.dirty = true;
    }

    /**
     * Marks cached block {@code block} dirty.
     *
     * @throws IllegalStateException if the block is not cached and uptodate
     */
    public synchronized void markDirty(long block) {
        uptodate(block).dirty = true;
    }

    /** Whether block {@code block} is cached and dirty. */
    public synchronized boolean isDirty(long block) {
        Buffer b = buffers.get(block);
        return b != null && b.dirty;
    }

    /** Whether a write of block {@code block} is in flight (issued, not yet completed). */
    public synchronized boolean isWriteInFlight(long block) {
        return writesInFlight.contains(block);
    }

    /**
     * A READ bio (flag {@link BioFlag#META}, one segment) that reads block {@code block} into a
     * fresh buffer of this cache — the answer to a {@link MapResult.NeedsMetadata}. Submit it, then
     * report {@link #readCompleted}.
     *
     * @return the bio, or {@code null} if the block is already uptodate (ask the mapper again) or a
     *     read of it is already in flight (wait for that read's completion)
     */
    public synchronized Bio readBio(long block) {
        if (block <= 0) {
            throw new IllegalArgumentException("metadata block " + block);
        }
        Buffer b = buffers.get(block);
        if (b != null && (b.uptodate || b.reading)) {
            return null;
        }
        Buffer reading = new Buffer(new byte[blockSize]);
        reading.reading = true;
        buffers.put(block, reading);
        return metadataBio(BioOp.READ, block, reading.data);
    }

    /**
     * The read issued by {@link #readBio} for block {@code block} completed: on success its data
     * becomes the block's uptodate, clean contents; on failure the block stays uncached.
     */
    public synchronized void readCompleted(long block, boolean ok) {
        Buffer b = buffers.get(block);
        if (b == null || !b.reading) {
            return;
        }
        b.reading = false;
        if (ok) {
            b.uptodate = true;
        } else {
            buffers.remove(block);
        }
    }

    /**
     * B8: if block {@code block} is cached, clears its dirty state and forgets it, so it can never
     * overwrite the file data now living there.
     *
     * @return {@code true} if a write of the block is still in flight: the caller waits for it
     *     ({@link #isWriteInFlight}) before writing the data
     */
    @Override
    public synchronized boolean cleanAlias(long block) {
        buffers.remove(block);
        return writesInFlight.contains(block);
    }

    /**
     * B7: if block {@code block} is cached and dirty, marks it clean and under write and returns a
     * WRITE bio (flag {@link BioFlag#META}, one {@link Segment#ofMetadata} segment holding a copy of
     * the bytes).
     *
     * @return the bio, or {@code null} if the block is not cached, clean, or a write of it is
     *     already in flight (it stays dirty and is written after that write completes)
     */
    @Override
    public synchronized Bio writeIfDirty(long block) {
        Buffer b = buffers.get(block);
        if (b == null || !b.dirty || writesInFlight.contains(block)) {
            return null;
        }
        b.dirty = false;
        writesInFlight.add(block);
        return metadataBio(BioOp.WRITE, block, b.data.clone());
    }

    /**
     * The write issued by {@link #writeIfDirty} for block {@code block} completed. On failure the
     * block, if still cached, is dirty again so a later write (the next fsync) retries it; the caller
     * reports the error.
     */
    @Override
    public synchronized void writeCompleted(long block, boolean ok) {
        writesInFlight.remove(block);
        Buffer b = buffers.get(block);
        if (!ok && b != null && b.uptodate) {
            b.dirty = true;
        }
    }

    /** The dirty blocks in ascending order: what ext2's fsync writes after the data. */
    public synchronized long[] dirtyBlocks() {
        return buffers.entrySet().stream()
                .filter(e -> e.getValue().dirty)
                .mapToLong(Map.Entry::getKey)
                .sorted()
                .toArray();
    }

    /**
     * Drops every clean, uptodate buffer with no write in flight (memory pressure, or a test's cold
     * cache); dirty buffers and reads in flight stay.
     *
     * @return the number of buffers dropped
     */
    public synchronized int evictClean() {
        int before = buffers.size();
        buffers.entrySet().removeIf(e -> e.getValue().uptodate && !e.getValue().dirty
                && !writesInFlight.contains(e.getKey()));
        return before - buffers.size();
    }

    /** The number of cached buffers (including reads in flight). */
    public synchronized int size() {
        return buffers.size();
    }

    /** A {@link BioFlag#META} bio of {@code op} on block {@code block}, one segment over {@code bytes}. */
    private Bio metadataBio(BioOp op, long block, byte[] bytes) {
        return new Bio(op, block * (blockSize / BlockDevice.SECTOR_SIZE),
                List.of(Segment.ofMetadata(ByteBuffer.wrap(bytes), block)), Set.of(BioFlag.META), 0);
    }

    private Buffer uptodate(long block) {
        Buffer b = buffers.get(block);
        if (b == null || !b.uptodate) {
            throw new IllegalStateException("metadata block " + block + " is not cached");
        }
        return b;
    }

    private static ByteBuffer view(Buffer b) {
        return ByteBuffer.wrap(b.data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }
}
