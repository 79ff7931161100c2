package dev.writebackd.block;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.zip.CRC32C;

/**
 * An in-memory block device for tests: sparse, recording, and able to fail on command.
 *
 * <p><b>Storage.</b> Contents live in 64 KiB chunks created on first write; a never-written range
 * reads as zeros, so a device of terabytes costs only what was written.
 *
 * <p><b>Recording.</b> Every {@link #submit} — read, write, flush, and also bios that fail — is
 * appended to {@link #requests()} in the order the device performed them, as a {@link Request}
 * describing the bio as submitted (before end-of-device clipping) and its result. Writes keep a
 * copy of their bytes (unless turned off at construction) and always their CRC32C.
 *
 * <p><b>Failing on command.</b> {@link #failNext} fails the next {@code count} bios of an op;
 * {@link #failWhen} fails every bio a predicate accepts until {@link #heal()}. Rules are checked in
 * the order they were added, after the end-of-device check (B9), so a bio past the end fails with
 * EIO without using up a rule; the first rule that matches fails the bio. A failed bio changes
 * nothing: a failed write leaves the contents as they were, a failed read leaves the buffers alone.
 *
 * <p>Thread-safe: one lock orders every request, so the recorded order is the order of effect.
 * Predicates run under that lock and must not call back into the device.
 */
public final class MemoryDevice implements BlockDevice {
    private static final int CHUNK_SHIFT = 16;
    private static final int CHUNK_SIZE = 1 << CHUNK_SHIFT;

    private final int blockSize;
    private final long sizeBytes;
    private final boolean keepWriteData;
    private final Object lock = new Object();
    // Guarded by lock.
    private final Map<Long, byte[]> chunks = new HashMap<>();
    private final List<Request> requests = new ArrayList<>();
    private final List<FailRule> rules = new ArrayList<>();
    private boolean closed;

    /** A device of {@code sizeBytes} with blocks of {@code blockSize}, keeping written data. */
    public MemoryDevice(int blockSize, long sizeBytes) {
        this(blockSize, sizeBytes, true);
    }

    /**
     * A device of {@code sizeBytes} with blocks of {@code blockSize}.
     *
     * @param keepWriteData record a copy of every write's bytes in {@link #requests()}; when
     *     {@code false} only their checksum is kept (for tests that write a lot)
     */
    public MemoryDevice(int blockSize, long sizeBytes, boolean keepWriteData) {
        DeviceLimits.checkGeometry(blockSize, sizeBytes);
        this.blockSize = blockSize;
        this.sizeBytes = sizeBytes;
        this.keepWriteData = keepWriteData;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    /**
     * Performs {@code bio} after clipping it to the device end (B9) and checking the fail rules;
     * records it either way. A closed device fails every bio with EIO.
     */
    @Override
    public Errno submit(Bio bio) {
        requireNonNull(bio, "bio");
        synchronized (lock) {
            Errno result = perform(bio);
            requests.add(Request.of(bio, result, keepWriteData));
            return result;
        }
    }

    private Errno perform(Bio bio) {
        if (closed) {
            return Errno.EIO;
        }
        DeviceLimits.Clip clip = DeviceLimits.clip(bio, sectors());
        if (clip instanceof DeviceLimits.Clip.Failed failed) {
            return failed.errno();
        }
        Errno injected = injectedFailure(bio);
        if (injected != null) {
            return injected;
        }
        Bio doing = clip.bioFor(bio);
        long offset = doing.startSector() * SECTOR_SIZE;
        for (Segment segment : doing.segments()) {
            ByteBuffer buffer = segment.buffer();
            if (doing.op() == BioOp.WRITE) {
                copyIn(offset, buffer.duplicate());
            } else if (doing.op() == BioOp.READ) {
                copyOut(offset, buffer.duplicate());
            }
            offset += segment.length();
        }
        return null;
    }

    private Errno injectedFailure(Bio bio) {
        for (Iterator<FailRule> it = rules.iterator(); it.hasNext(); ) {
            FailRule rule = it.next();
            if (rule.when.test(bio)) {
                if (rule.remaining > 0 && --rule.remaining == 0) {
                    it.remove();
                }
                return rule.errno;
            }
        }
        return null;
    }

    /**
     * Fails the next {@code count} bios with op {@code op} with {@code errno}. Calls add up: each
     * is a rule of its own, used up after {@code count} failures.
     */
    public void failNext(BioOp op, Errno errno, int count) {
        requireNonNull(op, "op");
        requireNonNull(errno, "errno");
        if (count <= 0) {
            throw new IllegalArgumentException("count " + count);
        }
        synchronized (lock) {
            rules.add(new FailRule(bio -> bio.op() == op, errno, count));
        }
    }

    /** Fails every bio that {@code when} accepts with {@code errno}, until {@link #heal()}. */
    public void failWhen(Predicate<Bio> when, Errno errno) {
        requireNonNull(when, "when");
        requireNonNull(errno, "errno");
        synchronized (lock) {
            rules.add(new FailRule(when, errno, 0));
        }
    }

    /** Removes every fail rule: from now on bios succeed (within the device). */
    public void heal() {
        synchronized (lock) {
            rules.clear();
        }
    }

    /** Every request so far, oldest first, as an immutable list. */
    public List<Request> requests() {
        synchronized (lock) {
            return List.copyOf(requests);
        }
    }

    /** Forgets the recorded requests (contents and fail rules stay). */
    public void clearRequests() {
        synchronized (lock) {
            requests.clear();
        }
    }

    /** Copies {@code length} bytes at byte {@code offset} of the device, not recorded as a request. */
    public byte[] readBytes(long offset, int length) {
        synchronized (lock) {
            return readBytes(chunks, sizeBytes, offset, length);
        }
    }

    /**
     * Overwrites the device at byte {@code offset} with {@code bytes}, behind the bios' back (not
     * recorded): for tests that plant or corrupt contents.
     */
    public void writeBytes(long offset, byte[] bytes) {
        requireNonNull(bytes, "bytes");
        checkRange(offset, bytes.length, sizeBytes);
        synchronized (lock) {
            copyIn(offset, ByteBuffer.wrap(bytes));
        }
    }

    /** An immutable copy of the whole contents. */
    public Snapshot snapshot() {
        synchronized (lock) {
            return new Snapshot(sizeBytes, deepCopy(chunks));
        }
    }

    /** Replaces the whole contents with {@code snapshot}'s (not recorded). */
    public void restore(Snapshot snapshot) {
        requireNonNull(snapshot, "snapshot");
        if (snapshot.sizeBytes != sizeBytes) {
            throw new IllegalArgumentException("snapshot of " + snapshot.sizeBytes
                    + " bytes for a device of " + sizeBytes);
        }
        synchronized (lock) {
            chunks.clear();
            chunks.putAll(deepCopy(snapshot.chunks));
        }
    }

    /** Marks the device closed: later bios fail with EIO (and are still recorded). */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
        }
    }

    private static void checkRange(long offset, int length, long sizeBytes) {
        if (offset < 0 || length < 0 || offset > sizeBytes - length) {
            throw new IndexOutOfBoundsException("[" + offset + ", +" + length + ") outside "
                    + sizeBytes + " bytes");
        }
    }

    /** Writes {@code src}'s remaining bytes at {@code offset}, consuming them. */
    private void copyIn(long offset, ByteBuffer src) {
        while (src.hasRemaining()) {
            int inChunk = (int) (offset & (CHUNK_SIZE - 1));
            int n = Math.min(src.remaining(), CHUNK_SIZE - inChunk);
            byte[] chunk = chunks.computeIfAbsent(offset >>> CHUNK_SHIFT, k -> new byte[CHUNK_SIZE]);
            src.get(chunk, inChunk, n);
            offset += n;
        }
    }

    /** Fills {@code dst}'s remaining bytes from {@code offset}. */
    private void copyOut(long offset, ByteBuffer dst) {
        readChunks(chunks, offset, dst);
    }

    /** Copies {@code length} bytes at byte {@code offset} of a device of {@code sizeBytes} held in {@code chunks}. */
    private static byte[] readBytes(Map<Long, byte[]> chunks, long sizeBytes, long offset, int length) {
        checkRange(offset, length, sizeBytes);
        ByteBuffer out = ByteBuffer.allocate(length);
        readChunks(chunks, offset, out);
        return out.array();
    }

    private static void readChunks(Map<Long, byte[]> chunks, long offset, ByteBuffer dst) {
        while (dst.hasRemaining()) {
            int inChunk = (int) (offset & (CHUNK_SIZE - 1));
            int n = Math.min(dst.remaining(), CHUNK_SIZE - inChunk);
            byte[] chunk = chunks.get(offset >>> CHUNK_SHIFT);
            if (chunk == null) {
                dst.put(new byte[n]);
            } else {
                dst.put(chunk, inChunk, n);
            }
            offset += n;
        }
    }

    private static Map<Long, byte[]> deepCopy(Map<Long, byte[]> chunks) {
        Map<Long, byte[]> copy = new HashMap<>();
        chunks.forEach((index, chunk) -> copy.put(index, chunk.clone()));
        return copy;
    }

    private static final class FailRule {
        final Predicate<Bio> when;
        final Errno errno;
        int remaining; // 0: until healed

        FailRule(Predicate<Bio> when, Errno errno, int remaining) {
            this.when = when;
            this.errno = errno;
            this.remaining = remaining;
        }
    }

    /**
     * One recorded request: the bio as submitted, and how it ended.
     *
     * @param op the operation
     * @param startSector its first sector
     * @param sectorCount its length in sectors as submitted (0 for a flush), before any clipping
     * @param flags its flags
     * @param inode its owning file, or 0
     * @param crc32c for a write, the CRC32C of all its bytes as submitted; otherwise 0
     * @param data for a write recorded with data kept, a read-only copy of its bytes as submitted;
     *     otherwise empty
     * @param result {@code null} if it succeeded, else the error it failed with
     */
    public record Request(BioOp op, long startSector, long sectorCount, Set<BioFlag> flags,
            long inode, int crc32c, ByteBuffer data, Errno result) {
        /** Validates and freezes the request. */
        public Request {
            requireNonNull(op, "op");
            flags = Set.copyOf(requireNonNull(flags, "flags"));
            data = requireNonNull(data, "data").asReadOnlyBuffer();
        }

        static Request of(Bio bio, Errno result, boolean keepData) {
            int crc = 0;
            ByteBuffer data = ByteBuffer.allocate(0);
            if (bio.op() == BioOp.WRITE) {
                CRC32C checksum = new CRC32C();
                if (keepData) {
                    data = ByteBuffer.allocate((int) bio.lengthBytes());
                }
                for (Segment segment : bio.segments()) {
                    checksum.update(segment.buffer().duplicate());
                    if (keepData) {
                        data.put(segment.buffer().duplicate());
                    }
                }
                data.flip();
                crc = (int) checksum.getValue();
            }
            return new Request(bio.op(), bio.startSector(), bio.sectorCount(), bio.flags(),
                    bio.inode(), crc, data, result);
        }

        /** The written bytes (see {@code data}), a fresh read-only view at position 0. */
        @Override
        public ByteBuffer data() {
            return data.duplicate();
        }

        /** A copy of the written bytes (see {@code data}) as an array. */
        public byte[] dataBytes() {
            byte[] bytes = new byte[data.remaining()];
            data.duplicate().get(bytes);
            return bytes;
        }

        /** The first sector after the request as submitted. */
        public long endSector() {
            return startSector + sectorCount;
        }

        /** Whether the request failed. */
        public boolean failed() {
            return result != null;
        }
    }

    /** An immutable copy of a {@link MemoryDevice}'s contents. */
    public static final class Snapshot {
        private final long sizeBytes;
        private final Map<Long, byte[]> chunks;

        private Snapshot(long sizeBytes, Map<Long, byte[]> chunks) {
            this.sizeBytes = sizeBytes;
            this.chunks = chunks;
        }

        /** The device size the snapshot was taken of. */
        public long sizeBytes() {
            return sizeBytes;
        }

        /** Copies {@code length} bytes at byte {@code offset}. */
        public byte[] readBytes(long offset, int length) {
            return MemoryDevice.readBytes(chunks, sizeBytes, offset, length);
        }
    }
}
