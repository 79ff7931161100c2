package dev.writebackd.page;

import java.nio.ByteBuffer;
import java.util.concurrent.Executor;

/**
 * Page memory: fixed-size page buffers carved from large off-heap slabs, handed out as integer
 * slots.
 *
 * <p>Slabs are allocated on demand up to a capacity and never returned to the system; a slab is
 * zero-filled by the JVM when allocated, which also touches its memory, so a page taken from the
 * pool later never faults. Slabs are aligned to 4096 bytes so pages can be used for O_DIRECT. With
 * {@link #growAheadOn}, the next slab is allocated by another thread before the free pages run out.
 *
 * <p>Thread-safe: one pool is shared by every file of a device.
 */
public final class PagePool {
    /** Alignment of every page buffer (the largest block size, and O_DIRECT's usual need). */
    public static final int ALIGNMENT = 4096;
    /** Default slab size: 64 MiB. */
    public static final int DEFAULT_SLAB_BYTES = 64 << 20;

    private final int pageSize;
    private final int pagesPerSlab;
    private final int slabShift;
    private final int maxSlabs;
    /** The slabs, replaced by a longer copy when one is added (so {@link #buffer} needs no lock). */
    private volatile ByteBuffer[] slabs = new ByteBuffer[0];
    private int[] freeSlots = new int[1024];
    private int freeCount;
    private int usedPages;
    /** Runs {@link #growAhead}, off the callers' threads; {@code null}: slabs grow only on demand. */
    private Executor grower;
    /** A slab is being allocated ahead of demand. */
    private boolean growing;

    /**
     * Creates a pool.
     *
     * @param pageSize page size in bytes (a power of two)
     * @param capacityBytes the most page memory the pool may ever hold
     * @param slabBytes bytes per slab (a power of two, at least one page)
     */
    public PagePool(int pageSize, long capacityBytes, int slabBytes) {
        if (Integer.bitCount(pageSize) != 1 || Integer.bitCount(slabBytes) != 1 || slabBytes < pageSize) {
            throw new IllegalArgumentException("page size " + pageSize + " and slab size " + slabBytes
                    + " must be powers of two, slab ≥ page");
        }
        if (capacityBytes < pageSize) {
            throw new IllegalArgumentException("capacity " + capacityBytes + " is below one page");
        }
        this.pageSize = pageSize;
        this.pagesPerSlab = slabBytes / pageSize;
        this.slabShift = Integer.numberOfTrailingZeros(pagesPerSlab);
        long slabCount = (capacityBytes + slabBytes - 1) / slabBytes;
        if (slabCount * pagesPerSlab > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("capacity " + capacityBytes + " needs too many slots");
        }
        this.maxSlabs = (int) slabCount;
    }

    /** A pool with {@link #DEFAULT_SLAB_BYTES} slabs (smaller if the capacity is smaller). */
    public PagePool(int pageSize, long capacityBytes) {
        this(pageSize, capacityBytes, (int) Math.min(DEFAULT_SLAB_BYTES,
                Math.max(pageSize, Long.highestOneBit(Math.max(capacityBytes, pageSize)))));
    }

    /** Bytes per page. */
    public int pageSize() {
        return pageSize;
    }

    /** The most pages this pool can hand out at once. */
    public long capacityPages() {
        return (long) maxSlabs * pagesPerSlab;
    }

    /**
     * From now on, once a slab is in use and fewer than half a slab's pages are free, the
     * next slab is allocated and touched ahead of demand by a task on {@code executor}, so that the
     * threads taking pages (the writers) seldom pay for fresh memory themselves.
     */
    public synchronized void growAheadOn(Executor executor) {
        this.grower = java.util.Objects.requireNonNull(executor, "executor");
        maybeGrowAhead();
    }

    /**
     * Allocates (and so touches) slabs now until the pool holds at least {@code bytes} of page
     * memory or reaches its capacity. Blocking: call it before the pool is in use, or on a thread
     * that may wait (never an actor's).
     *
     * @return the page memory the pool holds afterwards, in bytes
     */
    public long prefill(long bytes) {
        long slabBytes = (long) pagesPerSlab * pageSize;
        while (true) {
            synchronized (this) {
                if ((long) slabs.length * slabBytes >= bytes || slabs.length >= maxSlabs) {
                    return (long) slabs.length * slabBytes;
                }
            }
            ByteBuffer slab = newSlab(); // outside the lock: zeroing 64 MiB takes a while
            synchronized (this) {
                if (slabs.length < maxSlabs) {
                    addSlab(slab);
                }
            }
        }
    }

    /** Slabs allocated so far. */
    public int slabCount() {
        return slabs.length;
    }

    /** Pages currently handed out. */
    public synchronized int usedPages() {
        return usedPages;
    }

    /**
     * Takes a page buffer. Its contents are whatever the previous owner left: callers fill or zero
     * it.
     *
     * @return the slot, or -1 if the pool is at capacity
     */
    public synchronized int allocate() {
        if (freeCount == 0 && !growSlab()) {
            return -1;
        }
        usedPages++;
        int slot = freeSlots[--freeCount];
        maybeGrowAhead();
        return slot;
    }

    /** Under the lock: starts a grow ahead of demand when the free pages run low. */
    private void maybeGrowAhead() {
        if (grower != null && !growing && freeCount < pagesPerSlab / 2 && slabs.length > 0
                && slabs.length < maxSlabs) {
            growing = true;
            try {
                grower.execute(this::growAhead);
            } catch (RuntimeException e) { // rejected (the executor is shutting down): grow on demand instead
                growing = false;
            }
        }
    }

    /** Allocates (and so touches) a slab outside the lock, then adds it unless the pool filled up meanwhile. */
    private void growAhead() {
        ByteBuffer slab = newSlab();
        synchronized (this) {
            growing = false;
            if (slabs.length < maxSlabs) {
                addSlab(slab);
            }
        }
    }

    /** Returns a page buffer to the pool. The slot must not be used afterwards. */
    public synchronized void free(int slot) {
        checkSlot(slot);
        if (freeCount == freeSlots.length) {
            freeSlots = java.util.Arrays.copyOf(freeSlots, freeSlots.length * 2);
        }
        freeSlots[freeCount++] = slot;
        usedPages--;
    }

    /**
     * A view of the page held in {@code slot}: position 0, limit = page size. Views are cheap and
     * independent; the memory is shared.
     */
    public ByteBuffer buffer(int slot) {
        ByteBuffer[] all = slabs;
        if (slot < 0 || (slot >>> slabShift) >= all.length) {
            throw new IllegalArgumentException("no such slot " + slot);
        }
        return all[slot >>> slabShift].slice((slot & (pagesPerSlab - 1)) * pageSize, pageSize);
    }

    private boolean growSlab() {
        if (slabs.length == maxSlabs) {
            return false;
        }
        addSlab(newSlab());
        return true;
    }

    private ByteBuffer newSlab() {
        return ByteBuffer.allocateDirect(pagesPerSlab * pageSize + ALIGNMENT).alignedSlice(ALIGNMENT);
    }

    /** Under the lock. */
    private void addSlab(ByteBuffer slab) {
        ByteBuffer[] all = slabs;
        int base = all.length * pagesPerSlab;
        ByteBuffer[] more = java.util.Arrays.copyOf(all, all.length + 1);
        more[all.length] = slab;
        slabs = more;
        if (freeSlots.length < freeCount + pagesPerSlab) {
            freeSlots = java.util.Arrays.copyOf(freeSlots, freeCount + pagesPerSlab);
        }
        // The new slab's slots go below those still free, low slots last: memory is used slab by slab.
        System.arraycopy(freeSlots, 0, freeSlots, pagesPerSlab, freeCount);
        for (int i = 0; i < pagesPerSlab; i++) {
            freeSlots[i] = base + pagesPerSlab - 1 - i;
        }
        freeCount += pagesPerSlab;
    }

    private void checkSlot(int slot) {
        if (slot < 0 || (slot >>> slabShift) >= slabs.length) {
            throw new IllegalArgumentException("no such slot " + slot);
        }
    }
}
