package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.page.PagePool;
import java.nio.ByteBuffer;

/**
 * A write's bytes, copied once from the caller into page-sized buffers before any message leaves
 * (DESIGN "Write data"): one chunk per page the write touches, chunk {@code i} holding the bytes
 * for page {@code firstPage() + i} from in-page offset {@link #from(int)} to {@link #to(int)}.
 *
 * <p>Chunks live in pool pages; if the pool has no page free, a chunk is copied to the heap
 * instead (the inode actor then reports the exhausted cache itself). The bytes are never changed
 * after the copy: the buffer is owned by one actor at a time, and the inode actor that applies the
 * write hands each pool page back with {@link #release(int)}.
 */
public final class WriteData {
    private final PagePool pool;
    private final long offset;
    private final int length;
    /** Chunk {@code i}'s bytes from position 0 to its limit; never handed out writable. */
    private final ByteBuffer[] chunks;
    private final int[] slots;

    private WriteData(PagePool pool, long offset, int length, ByteBuffer[] chunks, int[] slots) {
        this.pool = pool;
        this.offset = offset;
        this.length = length;
        this.chunks = chunks;
        this.slots = slots;
    }

    /**
     * Copies {@code src}'s remaining bytes, to be written at file offset {@code offset}. {@code src}
     * is not consumed.
     */
    public static WriteData copyOf(PagePool pool, long offset, ByteBuffer src) {
        requireNonNull(pool, "pool");
        requireNonNull(src, "src");
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset);
        }
        int pageSize = pool.pageSize();
        int length = src.remaining();
        int count = length == 0 ? 0 : (int) ((offset + length - 1) / pageSize - offset / pageSize + 1);
        ByteBuffer[] chunks = new ByteBuffer[count];
        int[] slots = new int[count];
        int from = src.position();
        long position = offset;
        for (int i = 0; i < count; i++) {
            int inPage = (int) (position % pageSize);
            int n = Math.min(pageSize - inPage, length - (from - src.position()));
            int slot = pool.allocate();
            ByteBuffer chunk = slot < 0 ? ByteBuffer.allocate(n) : pool.buffer(slot);
            chunk.put(0, src, from, n).limit(n);
            chunks[i] = chunk;
            slots[i] = slot;
            from += n;
            position += n;
        }
        return new WriteData(pool, offset, length, chunks, slots);
    }

    /** The file offset of the first byte. */
    public long offset() {
        return offset;
    }

    /** Bytes in the write. */
    public int length() {
        return length;
    }

    /** Number of chunks: pages the write touches. */
    public int chunks() {
        return chunks.length;
    }

    /** Index of the first page the write touches. */
    public long firstPage() {
        return offset / pool.pageSize();
    }

    /** Index of the last page the write touches ({@code firstPage() - 1} for an empty write). */
    public long lastPage() {
        return firstPage() + chunks.length - 1;
    }

    /** The in-page offset where chunk {@code i} starts. */
    public int from(int i) {
        return i == 0 ? (int) (offset % pool.pageSize()) : 0;
    }

    /** The in-page offset where chunk {@code i} ends (exclusive). */
    public int to(int i) {
        return from(i) + chunks[i].limit();
    }

    /** A read-only view of chunk {@code i}'s bytes (position 0). */
    public ByteBuffer chunk(int i) {
        return chunks[i].asReadOnlyBuffer();
    }

    /**
     * Chunk {@code i}'s buffer itself, for a reader in this package that neither changes it nor
     * moves its position (one that takes its own view, as {@link dev.writebackd.mpage.WriteBegin} does).
     */
    ByteBuffer shared(int i) {
        return chunks[i];
    }

    /** Hands chunk {@code i}'s pool page back; later calls for it do nothing. */
    public void release(int i) {
        if (slots[i] >= 0) {
            pool.free(slots[i]);
            slots[i] = -1;
        }
    }

    /** Hands every pool page still held back. */
    public void releaseAll() {
        for (int i = 0; i < slots.length; i++) {
            release(i);
        }
    }
}
