package dev.writebackd.page;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;

/**
 * One file's cached pages: page state, page-cache tags and page memory, indexed by page number.
 *
 * <p>Pages live in chunks of {@value #CHUNK_PAGES} consecutive indexes, each holding an {@code int}
 * of {@link PageFlags} and an {@code int} pool slot per page, so a cached page costs about 8 bytes
 * of metadata beyond its data, and a sparse file only pays for the chunks it touches. Pages with
 * per-block buffers (S6) carry one extra {@code long} per block ({@link BufferState}).
 *
 * <p>State transitions follow the kernel's page rules S1–S5 and keep the device's
 * {@link DirtyLedger} in step. Not thread-safe: a page cache is owned by one actor (its inode's)
 * and only that owner calls it.
 */
public final class PageCache {
    private static final int CHUNK_SHIFT = 10;
    /** Pages per chunk. */
    public static final int CHUNK_PAGES = 1 << CHUNK_SHIFT;
    private static final int CHUNK_MASK = CHUNK_PAGES - 1;

    private static final byte[] ZEROS = new byte[65536];

    private final long inode;
    private final PagePool pool;
    private final DirtyLedger ledger;
    private final int pageSize;
    private final int blockSize;
    private final int blocksPerPage;
    private final TreeMap<Long, Chunk> chunks = new TreeMap<>();
    /** The chunk found last, and its key (-1: none): walks touch one chunk's pages in a row. */
    private long lastKey = -1;
    private Chunk lastChunk;
    private long size;
    private long writebackIndex;
    private long cachedPages;
    private long dirtyPages;
    private long writebackPages;

    /** A run of {@link #CHUNK_PAGES} page entries. */
    private static final class Chunk {
        final int[] flags = new int[CHUNK_PAGES];
        final int[] slots = new int[CHUNK_PAGES];
        long[][] buffers;
        int present;
    }

    /**
     * Creates an empty cache for file {@code inode}.
     *
     * @param blockSize the file system's block size; divides the pool's page size
     */
    public PageCache(long inode, PagePool pool, DirtyLedger ledger, int blockSize) {
        this.inode = inode;
        this.pool = requireNonNull(pool, "pool");
        this.ledger = requireNonNull(ledger, "ledger");
        this.pageSize = pool.pageSize();
        if (blockSize < 512 || Integer.bitCount(blockSize) != 1 || pageSize % blockSize != 0) {
            throw new IllegalArgumentException("block size " + blockSize + " for page size " + pageSize);
        }
        this.blockSize = blockSize;
        this.blocksPerPage = pageSize / blockSize;
    }

    /** The file's inode number. */
    public long inode() {
        return inode;
    }

    /** Bytes per page. */
    public int pageSize() {
        return pageSize;
    }

    /** Bytes per block. */
    public int blockSize() {
        return blockSize;
    }

    /** Blocks per page. */
    public int blocksPerPage() {
        return blocksPerPage;
    }

    /** The pool holding this cache's page memory. */
    public PagePool pool() {
        return pool;
    }

    /** i_size: the file's length in bytes. */
    public long size() {
        return size;
    }

    /** Sets i_size. Truncation of cached pages is the caller's business (U1–U2). */
    public void setSize(long newSize) {
        if (newSize < 0) {
            throw new IllegalArgumentException("negative size " + newSize);
        }
        size = newSize;
    }

    /** The cyclic writeback cursor (C1, C6). */
    public long writebackIndex() {
        return writebackIndex;
    }

    /** Moves the cyclic writeback cursor (C6). */
    public void setWritebackIndex(long index) {
        writebackIndex = index;
    }

    /** Pages in this cache. */
    public long cachedPages() {
        return cachedPages;
    }

    /** Pages with PG_dirty set. */
    public long dirtyPages() {
        return dirtyPages;
    }

    /** Pages under writeback. */
    public long writebackPages() {
        return writebackPages;
    }

    // ---- lookup ----------------------------------------------------------------------------

    /** The page's {@link PageFlags}, or 0 if it is not cached. */
    public int flags(long index) {
        Chunk c = chunk(index);
        return c == null ? 0 : c.flags[offset(index)];
    }

    /** {@code true} if the page is cached. */
    public boolean contains(long index) {
        return (flags(index) & PageFlags.PRESENT) != 0;
    }

    /** {@code true} if the page is cached and has every bit of {@code bits}. */
    public boolean has(long index, int bits) {
        return PageFlags.has(flags(index), bits | PageFlags.PRESENT);
    }

    /** The pool slot holding the page's current contents. */
    public int slot(long index) {
        Chunk c = present(index);
        return c.slots[offset(index)];
    }

    /** A view (position 0, limit page size) of the page's current contents. */
    public ByteBuffer data(long index) {
        return pool.buffer(slot(index));
    }

    /**
     * The first cached page in {@code [from, to]} having every bit of {@code bits}, in index order.
     *
     * @return its index, or -1 if there is none
     */
    public long next(long from, long to, int bits) {
        int want = bits | PageFlags.PRESENT;
        long start = Math.max(from, 0);
        if (start > to) {
            return -1;
        }
        Chunk first = chunk(start);
        if (first != null) {
            // Most walks find their page in the chunk they are already in: no tree search.
            long base = start & ~(long) CHUNK_MASK;
            int end = (int) Math.min(CHUNK_PAGES - 1, to - base);
            int[] flags = first.flags;
            for (int i = offset(start); i <= end; i++) {
                if ((flags[i] & want) == want) {
                    return base + i;
                }
            }
            start = base + CHUNK_PAGES;
            if (start > to || start < 0) {
                return -1;
            }
        }
        Map.Entry<Long, Chunk> e = chunks.ceilingEntry(start >> CHUNK_SHIFT);
        while (e != null) {
            long base = e.getKey() << CHUNK_SHIFT;
            if (base > to) {
                return -1;
            }
            int[] flags = e.getValue().flags;
            int i = (int) Math.max(0, start - base);
            int end = (int) Math.min(CHUNK_PAGES - 1, to - base);
            for (; i <= end; i++) {
                if ((flags[i] & want) == want) {
                    return base + i;
                }
            }
            e = chunks.higherEntry(e.getKey());
        }
        return -1;
    }

    // ---- insertion and removal -------------------------------------------------------------

    /**
     * Adds page {@code index} with a zeroed buffer from the pool, not uptodate and clean.
     *
     * @return a view of the page's (zeroed) buffer
     * @throws ErrnoException with {@link Errno#ENOSPC} if the pool is exhausted: the caller must
     *     evict clean pages or wait for writeback
     * @throws IllegalStateException if the page is already cached
     */
    public ByteBuffer insert(long index) {
        if (index < 0) {
            throw new IllegalArgumentException("negative page index " + index);
        }
        if (contains(index)) {
            throw new IllegalStateException("page " + index + " of inode " + inode + " is already cached");
        }
        int slot = allocateSlot();
        Chunk c = chunks.computeIfAbsent(index >> CHUNK_SHIFT, k -> new Chunk());
        int o = offset(index);
        c.slots[o] = slot;
        c.flags[o] = PageFlags.PRESENT;
        c.present++;
        cachedPages++;
        ledger.addCached(1);
        ByteBuffer data = pool.buffer(slot);
        zero(data, 0, pageSize);
        return data;
    }

    /**
     * Drops page {@code index} from the cache; a dirty page's data is discarded (U2).
     *
     * @throws IllegalStateException if the page is under writeback: wait for it first
     */
    public void remove(long index) {
        Chunk c = present(index);
        int o = offset(index);
        int f = c.flags[o];
        if ((f & PageFlags.WRITEBACK) != 0) {
            throw new IllegalStateException("page " + index + " of inode " + inode + " is under writeback");
        }
        if ((f & PageFlags.DIRTY) != 0) {
            accountDirty(-1);
        }
        if ((f & PageFlags.HELD) != 0) {
            ledger.addHeld(-1);
        }
        pool.free(c.slots[o]);
        c.flags[o] = 0;
        c.slots[o] = 0;
        if (c.buffers != null) {
            c.buffers[o] = null;
        }
        cachedPages--;
        ledger.addCached(-1);
        if (--c.present == 0) {
            chunks.remove(index >> CHUNK_SHIFT);
            if (c == lastChunk) {
                lastKey = -1;
                lastChunk = null;
            }
        }
    }

    /**
     * Makes the page's contents safe to modify (S5): if a write of the current buffer is in flight,
     * the page gets a copy of it, and the buffer in flight stays untouched until its writeback ends.
     *
     * @return a view of the buffer to modify
     */
    public ByteBuffer prepareWrite(long index) {
        Chunk c = present(index);
        int o = offset(index);
        if ((c.flags[o] & (PageFlags.WRITEBACK | PageFlags.COPIED)) == PageFlags.WRITEBACK) {
            int copy = allocateSlot();
            ByteBuffer target = pool.buffer(copy);
            target.put(pool.buffer(c.slots[o]));
            c.slots[o] = copy;
            c.flags[o] |= PageFlags.COPIED;
        }
        return pool.buffer(c.slots[o]);
    }

    // ---- state transitions (S1–S5) ---------------------------------------------------------

    /** Sets or clears plain state bits (UPTODATE, ERROR, MAPPED_TO_DISK); not the accounted ones. */
    public void setFlag(long index, int bits, boolean on) {
        if ((bits & ~(PageFlags.UPTODATE | PageFlags.ERROR | PageFlags.MAPPED_TO_DISK)) != 0) {
            throw new IllegalArgumentException("flags " + Integer.toBinaryString(bits) + " have their own transitions");
        }
        Chunk c = present(index);
        int o = offset(index);
        c.flags[o] = on ? c.flags[o] | bits : c.flags[o] & ~bits;
    }

    /**
     * Marks the page dirty and tags it DIRTY (a write, or S4's redirty). A held page stops being
     * held: the rewrite makes it writable again.
     *
     * @return {@code true} if it was clean before
     */
    public boolean markDirty(long index) {
        Chunk c = present(index);
        int o = offset(index);
        int f = c.flags[o];
        if ((f & PageFlags.HELD) != 0) {
            ledger.addHeld(-1);
        }
        c.flags[o] = (f & ~PageFlags.HELD) | PageFlags.DIRTY | PageFlags.TAG_DIRTY;
        if ((f & PageFlags.DIRTY) == 0) {
            accountDirty(1);
            return true;
        }
        return false;
    }

    /**
     * S1: clears PG_dirty before I/O and takes the page out of the dirty count; the DIRTY tag
     * stays until writeback starts (S2).
     *
     * @return {@code true} if the page was dirty
     */
    public boolean clearDirtyForIo(long index) {
        Chunk c = present(index);
        int o = offset(index);
        if ((c.flags[o] & PageFlags.DIRTY) == 0) {
            return false;
        }
        c.flags[o] &= ~PageFlags.DIRTY;
        accountDirty(-1);
        return true;
    }

    /**
     * S2: the page's current buffer goes to the device: sets WRITEBACK, clears the DIRTY tag if the
     * page is clean, clears TOWRITE.
     *
     * @return the pool slot now in flight (the bio's segment carries it back to {@link #endWriteback})
     */
    public int startWriteback(long index) {
        Chunk c = present(index);
        int o = offset(index);
        int f = c.flags[o];
        if ((f & PageFlags.WRITEBACK) != 0) {
            throw new IllegalStateException("page " + index + " of inode " + inode + " is already under writeback");
        }
        f |= PageFlags.WRITEBACK;
        f &= ~PageFlags.TAG_TOWRITE;
        if ((f & PageFlags.DIRTY) == 0) {
            f &= ~PageFlags.TAG_DIRTY;
        }
        c.flags[o] = f;
        writebackPages++;
        ledger.addWriteback(1);
        return c.slots[o];
    }

    /**
     * S3: the write of {@code slot} ended: clears WRITEBACK, counts the completion, and frees the
     * older buffer if the page was copied meanwhile (S5).
     */
    public void endWriteback(long index, int slot) {
        Chunk c = present(index);
        int o = offset(index);
        int f = c.flags[o];
        if ((f & PageFlags.WRITEBACK) == 0) {
            throw new IllegalStateException("page " + index + " of inode " + inode + " is not under writeback");
        }
        if ((f & PageFlags.COPIED) != 0) {
            if (slot == c.slots[o]) {
                throw new IllegalStateException("page " + index + " ended writeback of its current copy");
            }
            pool.free(slot);
        } else if (slot != c.slots[o]) {
            throw new IllegalStateException("page " + index + " ended writeback of unknown slot " + slot);
        }
        c.flags[o] = f & ~(PageFlags.WRITEBACK | PageFlags.COPIED);
        writebackPages--;
        ledger.addWriteback(-1);
        ledger.addWritten(1);
    }

    /**
     * Holds the page after a failed write (the {@code sticky} policy): it keeps its data, is no
     * longer dirty or tagged, and is counted as held until rewritten or truncated.
     */
    public void hold(long index) {
        Chunk c = present(index);
        int o = offset(index);
        int f = c.flags[o];
        if ((f & PageFlags.HELD) != 0) {
            return;
        }
        if ((f & PageFlags.DIRTY) != 0) {
            accountDirty(-1);
        }
        c.flags[o] = (f & ~(PageFlags.DIRTY | PageFlags.TAG_DIRTY | PageFlags.TAG_TOWRITE)) | PageFlags.HELD;
        ledger.addHeld(1);
    }

    /**
     * C2: tags TOWRITE every page tagged DIRTY in {@code [from, to]}.
     *
     * @return how many pages were tagged
     */
    public long tagToWrite(long from, long to) {
        long tagged = 0;
        for (long i = next(from, to, PageFlags.TAG_DIRTY); i >= 0; i = next(i + 1, to, PageFlags.TAG_DIRTY)) {
            Chunk c = chunk(i);
            c.flags[offset(i)] |= PageFlags.TAG_TOWRITE;
            tagged++;
        }
        return tagged;
    }

    // ---- per-block buffers (S6) ------------------------------------------------------------

    /** The page's buffers ({@link BufferState} per block, live array), or {@code null} if it has none. */
    public long[] buffers(long index) {
        Chunk c = present(index);
        int o = offset(index);
        return c.buffers == null ? null : c.buffers[o];
    }

    /**
     * Gives the page buffers, each starting with {@code initialState} (create_empty_buffers).
     *
     * @return the live buffer array
     */
    public long[] createBuffers(long index, long initialState) {
        Chunk c = present(index);
        int o = offset(index);
        if (c.buffers == null) {
            c.buffers = new long[CHUNK_PAGES][];
        }
        long[] b = new long[blocksPerPage];
        java.util.Arrays.fill(b, initialState);
        c.buffers[o] = b;
        c.flags[o] |= PageFlags.HAS_BUFFERS;
        return b;
    }

    /** Drops the page's buffers (try_to_free_buffers). */
    public void dropBuffers(long index) {
        Chunk c = present(index);
        int o = offset(index);
        if (c.buffers != null) {
            c.buffers[o] = null;
        }
        c.flags[o] &= ~PageFlags.HAS_BUFFERS;
    }

    // ---- helpers ---------------------------------------------------------------------------

    /** Zeroes {@code [from, to)} of a page view. */
    public static void zero(ByteBuffer page, int from, int to) {
        for (int i = from; i < to; i += ZEROS.length) {
            page.put(i, ZEROS, 0, Math.min(ZEROS.length, to - i));
        }
    }

    /** A slot from the pool; ENOSPC if it is exhausted. */
    private int allocateSlot() {
        int slot = pool.allocate();
        if (slot < 0) {
            throw new ErrnoException(Errno.ENOSPC, "page pool exhausted (" + pool.capacityPages() + " pages)");
        }
        return slot;
    }

    private void accountDirty(int delta) {
        dirtyPages += delta;
        ledger.addDirty(delta);
    }

    private Chunk chunk(long index) {
        if (index < 0) {
            return null;
        }
        long key = index >> CHUNK_SHIFT;
        if (key == lastKey) {
            return lastChunk;
        }
        Chunk c = chunks.get(key);
        if (c != null) {
            lastKey = key;
            lastChunk = c;
        }
        return c;
    }

    private Chunk present(long index) {
        Chunk c = chunk(index);
        if (c == null || (c.flags[offset(index)] & PageFlags.PRESENT) == 0) {
            throw new IllegalStateException("page " + index + " of inode " + inode + " is not cached");
        }
        return c;
    }

    private static int offset(long index) {
        return (int) (index & CHUNK_MASK);
    }
}
