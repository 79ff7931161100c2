package dev.writebackd.page;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Page memory: fixed-size page buffers carved from large off-heap slabs, handed out as integer
 * slots.
 *
 * <p>Slabs are allocated on demand up to a capacity and never returned to the system; a slab is
 * zero-filled by the JVM when allocated, which also touches its memory, so a page taken from the
 * pool later never faults. Slabs are aligned to 4096 bytes so pages can be used for O_DIRECT.
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
    private final List<ByteBuffer> slabs = new ArrayList<>();
    private int[] freeSlots = new int[1024];
    private int freeCount;
    private int usedPages;

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
        return freeSlots[--freeCount];
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
        ByteBuffer slab;
        synchronized (this) {
            checkSlot(slot);
            slab = slabs.get(slot >>> slabShift);
        }
        return slab.slice((slot & (pagesPerSlab - 1)) * pageSize, pageSize);
    }

    private boolean growSlab() {
        if (slabs.size() == maxSlabs) {
            return false;
        }
        int slabBytes = pagesPerSlab * pageSize;
        ByteBuffer slab = ByteBuffer.allocateDirect(slabBytes + ALIGNMENT).alignedSlice(ALIGNMENT);
        int base = slabs.size() * pagesPerSlab;
        slabs.add(slab);
        if (freeSlots.length < freeCount + pagesPerSlab) {
            freeSlots = java.util.Arrays.copyOf(freeSlots, freeCount + pagesPerSlab);
        }
        // Hand out low slots first, so memory is used slab by slab.
        for (int i = pagesPerSlab - 1; i >= 0; i--) {
            freeSlots[freeCount++] = base + i;
        }
        return true;
    }

    private void checkSlot(int slot) {
        if (slot < 0 || (slot >>> slabShift) >= slabs.size()) {
            throw new IllegalArgumentException("no such slot " + slot);
        }
    }
}
