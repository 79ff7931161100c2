package dev.writebackd.block;

import static java.util.Objects.requireNonNull;

import com.sun.nio.file.ExtendedOpenOption;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.io.EOFException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A block device kept in a regular file, read and written with positional I/O.
 *
 * <p><b>One system call per bio.</b> Each bio becomes a single positional write or read, never one
 * per page. Every thread that submits gets a channel of its own (and a bounce buffer of its own):
 * <ul>
 *   <li>under O_DIRECT, a write of several segments is copied into the thread's aligned direct
 *       bounce buffer and written with one positional write of contiguous memory. The JDK would
 *       pass direct pool pages to one {@code writev} without a copy (one iovec per page), but on
 *       the bench's virtio disk (254 segments per request at most) 1 GiB in 1 MiB writes from 256
 *       iovecs each took 1.7–2× as long as from one buffer into a sparse file and up to 1.4× as
 *       long into a preallocated one: more than the copy of 1 MiB costs.
 *   <li>otherwise, when every segment buffer is direct (off-heap pool pages) — and, under
 *       O_DIRECT, aligned — the bio goes out as one gathering write / scattering read
 *       ({@code writev} / {@code readv}) at the bio's position, which is why the channel is per
 *       thread: FileChannel has no positional gathering write, and the position of a private
 *       channel is private. No copy is made.
 *   <li>otherwise (heap buffers, or buffers O_DIRECT cannot take) the segments are copied into the
 *       thread's aligned direct bounce buffer and written with one positional write; reads read into
 *       it with one positional read and scatter. The JDK would copy heap buffers anyway.
 * </ul>
 *
 * <p><b>O_DIRECT</b> is used when asked for and possible: the block size is a multiple of the file
 * store's block size ({@link java.nio.file.FileStore#getBlockSize()}), and the file opens with
 * {@link ExtendedOpenOption#DIRECT} and reads under it. Otherwise the whole device uses buffered
 * I/O, and the reason is logged once, when the device is opened; {@link #directIo()} says which
 * mode is active. Under O_DIRECT a bio that is not aligned to the store's block size (a
 * sector-granular write, say) is done as read-modify-write of the aligned range around it, these
 * being serialised among themselves so two of them in one aligned unit cannot undo each other.
 *
 * <p>FLUSH is {@code force(false)}; a write with {@link BioFlag#FUA} is followed by one. Bios past
 * the device end are clipped first (B9). I/O failures complete the bio with EIO; nothing is thrown.
 *
 * <p>Thread-safe: any number of bios may be in flight at once, one per thread. A thread
 * interrupted during I/O closes only its own channel (the JDK closes a channel on interrupt); the
 * next bio from that thread reopens it by path, so the file must not be replaced while open.
 */
public final class FileDevice implements BlockDevice {
    private static final Logger LOG = LoggerFactory.getLogger(FileDevice.class);
    private static final int MIN_BOUNCE = 64 * 1024;
    private static final long PREALLOCATE_CHUNK = 8L << 20;
    private static final int BUFFER_ALIGNMENT = 4096;
    private static final OpenOption[] READ_WRITE = {StandardOpenOption.READ,
            StandardOpenOption.WRITE};
    private static final OpenOption[] READ_WRITE_DIRECT = {StandardOpenOption.READ,
            StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT};

    private final Path path;
    private final int blockSize;
    private final long sizeBytes;
    private final boolean directIo;
    /** The alignment O_DIRECT demands of positions, lengths and buffers; 1 when buffered. */
    private final int alignment;
    private final Set<FileChannel> channels = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<Worker> workers = new ThreadLocal<>();
    private final Object readModifyWrite = new Object();
    private volatile boolean closed;

    private FileDevice(Path path, int blockSize, long sizeBytes, boolean directIo, int alignment) {
        this.path = path;
        this.blockSize = blockSize;
        this.sizeBytes = sizeBytes;
        this.directIo = directIo;
        this.alignment = alignment;
    }

    /**
     * Opens the device in file {@code path}, creating it sparse at {@code sizeBytes} if absent
     * (see {@link #open(Path, int, long, boolean, boolean)} to preallocate it instead).
     *
     * @param preferDirectIo use O_DIRECT if possible (see the class comment); the fallback to
     *     buffered I/O is logged once
     * @throws ErrnoException EINVAL if the file exists but is not a regular file or has another
     *     size
     * @throws IOException if the file cannot be created or opened
     * @throws IllegalArgumentException for an unsupported block size or a size not a multiple of it
     */
    public static FileDevice open(Path path, int blockSize, long sizeBytes, boolean preferDirectIo)
            throws IOException {
        return open(path, blockSize, sizeBytes, preferDirectIo, false);
    }

    /**
     * Opens the device in file {@code path}, creating it if absent: sparse, or with
     * {@code preallocate} filled with zeros so that every block of the file is allocated and
     * written before the device is used. A write into a preallocated file is an overwrite, which
     * the host file system performs without allocating blocks or converting unwritten extents
     * (and, on ext4, under O_DIRECT without serialising concurrent writes); the price is writing
     * the whole size once, at creation, and the disk space it takes from then on. An existing file
     * is used as it is.
     *
     * @param preferDirectIo use O_DIRECT if possible (see the class comment); the fallback to
     *     buffered I/O is logged once
     * @param preallocate when the file is created, fill it with zeros rather than leave it sparse
     * @throws ErrnoException EINVAL if the file exists but is not a regular file or has another
     *     size
     * @throws IOException if the file cannot be created, filled or opened
     * @throws IllegalArgumentException for an unsupported block size or a size not a multiple of it
     */
    public static FileDevice open(Path path, int blockSize, long sizeBytes, boolean preferDirectIo,
            boolean preallocate) throws IOException {
        requireNonNull(path, "path");
        DeviceLimits.checkGeometry(blockSize, sizeBytes);
        createIfAbsent(path, sizeBytes, preallocate);
        if (!Files.isRegularFile(path)) {
            throw new ErrnoException(Errno.EINVAL, path + " is not a regular file");
        }
        long actual = Files.size(path);
        if (actual != sizeBytes) {
            throw new ErrnoException(Errno.EINVAL, path + " holds " + actual
                    + " bytes, the device is configured for " + sizeBytes);
        }
        int storeBlock = 0;
        String noDirect = null;
        if (preferDirectIo) {
            try {
                storeBlock = Math.toIntExact(Files.getFileStore(path).getBlockSize());
                noDirect = directIoProblem(path, blockSize, storeBlock);
            } catch (IOException | UnsupportedOperationException | ArithmeticException e) {
                noDirect = "the file store's block size is unknown (" + e + ")";
            }
            if (noDirect != null) {
                LOG.info("{}: O_DIRECT requested but {}; using buffered I/O for the whole device",
                        path, noDirect);
            }
        }
        boolean direct = preferDirectIo && noDirect == null;
        LOG.debug("{}: opened, {} bytes in {}-byte blocks, {} I/O", path, sizeBytes, blockSize,
                direct ? "direct" : "buffered");
        return new FileDevice(path, blockSize, sizeBytes, direct, direct ? storeBlock : 1);
    }

    private static void createIfAbsent(Path path, long sizeBytes, boolean preallocate)
            throws IOException {
        try {
            Files.createFile(path);
        } catch (FileAlreadyExistsException e) {
            return;
        }
        try {
            if (preallocate) {
                fillWithZeros(path, sizeBytes);
            } else {
                try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
                    file.setLength(sizeBytes); // ftruncate: no block is allocated
                }
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(path);
            throw e;
        }
    }

    /**
     * Writes {@code sizeBytes} zeros into the new file {@code path} and forces them out: with
     * O_DIRECT where the file system takes it, so the zeros do not fill the host's page cache (the
     * device's O_DIRECT writes would then have to drop those pages again), else buffered.
     */
    private static void fillWithZeros(Path path, long sizeBytes) throws IOException {
        long start = System.nanoTime();
        int chunk = Math.toIntExact(Math.min(sizeBytes, PREALLOCATE_CHUNK));
        ByteBuffer zeros = alignedBuffer(Math.max(chunk, BUFFER_ALIGNMENT), BUFFER_ALIGNMENT);
        boolean direct = sizeBytes % BUFFER_ALIGNMENT == 0;
        FileChannel channel = null;
        if (direct) {
            try {
                channel = FileChannel.open(path, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
            } catch (IOException | UnsupportedOperationException e) {
                direct = false;
            }
        }
        if (channel == null) {
            channel = FileChannel.open(path, StandardOpenOption.WRITE);
        }
        try (FileChannel out = channel) {
            for (long at = 0; at < sizeBytes; ) {
                zeros.clear().limit(Math.toIntExact(Math.min(chunk, sizeBytes - at)));
                at += out.write(zeros, at);
            }
            out.force(true);
        }
        LOG.info("{}: preallocated {} bytes ({}) in {} ms", path, sizeBytes, direct ? "O_DIRECT" : "buffered",
                (System.nanoTime() - start) / 1_000_000);
    }

    /** Why O_DIRECT cannot be used on {@code path}, or {@code null} if it works. */
    private static String directIoProblem(Path path, int blockSize, int storeBlock) {
        if (storeBlock <= 0 || Integer.bitCount(storeBlock) != 1) {
            return "the file store's block size " + storeBlock + " is not a power of two";
        }
        if (blockSize % storeBlock != 0) {
            return "the block size " + blockSize + " is not a multiple of the file store's block size "
                    + storeBlock;
        }
        // Some file systems accept the flag at open and refuse the I/O: read one unit to be sure.
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ,
                ExtendedOpenOption.DIRECT)) {
            ByteBuffer probe = alignedBuffer(storeBlock, storeBlock);
            while (probe.hasRemaining()) {
                if (channel.read(probe, probe.position()) < 0) {
                    throw new EOFException("short file");
                }
            }
            return null;
        } catch (IOException | UnsupportedOperationException e) {
            return "the file system refuses it (" + e + ")";
        }
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    /** The file holding the device. */
    public Path path() {
        return path;
    }

    /** Whether O_DIRECT is in use; {@code false} means buffered I/O for the whole device. */
    public boolean directIo() {
        return directIo;
    }

    /**
     * Performs {@code bio} with one positional write or read (or a force for FLUSH), after
     * clipping it to the device end (B9).
     *
     * @return {@code null}, or EIO if the bio lies past the end, the I/O failed, or the device is
     *     closed
     */
    @Override
    public Errno submit(Bio bio) {
        requireNonNull(bio, "bio");
        if (closed) {
            return Errno.EIO;
        }
        DeviceLimits.Clip clip = DeviceLimits.clip(bio, sectors());
        if (clip instanceof DeviceLimits.Clip.Failed failed) {
            return failed.errno();
        }
        Bio doing = clip.bioFor(bio);
        try {
            Worker worker = worker();
            switch (doing.op()) {
                case FLUSH -> worker.channel.force(false);
                case WRITE -> {
                    write(worker, doing);
                    if (doing.flags().contains(BioFlag.FUA)) {
                        worker.channel.force(false);
                    }
                }
                case READ -> read(worker, doing);
            }
            return null;
        } catch (IOException e) {
            LOG.debug("{}: {} at sector {} failed", path, doing.op(), doing.startSector(), e);
            return Errno.EIO;
        }
    }

    private void write(Worker worker, Bio bio) throws IOException {
        long position = bio.startSector() * SECTOR_SIZE;
        int length = Math.toIntExact(bio.lengthBytes());
        if (!isAligned(position) || !isAligned(length)) {
            readModifyWrite(worker, bio, position, length);
        } else if (canGoDirectly(bio.segments()) && (!directIo || bio.segments().size() == 1)) {
            writeFully(worker.channel, buffers(bio.segments()), position, length);
        } else {
            ByteBuffer bounce = worker.bounce(length);
            gather(bounce, bio.segments());
            writeFully(worker.channel, bounce, position);
        }
    }

    /**
     * Copies the segments, in order, into {@code bounce} from its position on, leaving its
     * position and limit as they were (absolute puts: no buffer is duplicated).
     */
    private static void gather(ByteBuffer bounce, List<Segment> segments) {
        int at = bounce.position();
        for (Segment segment : segments) {
            ByteBuffer source = segment.buffer();
            bounce.put(at, source, source.position(), source.remaining());
            at += source.remaining();
        }
    }

    private void read(Worker worker, Bio bio) throws IOException {
        long position = bio.startSector() * SECTOR_SIZE;
        int length = Math.toIntExact(bio.lengthBytes());
        if (isAligned(position) && isAligned(length) && canGoDirectly(bio.segments())) {
            readFully(worker.channel, buffers(bio.segments()), position, length);
            return;
        }
        ByteBuffer bounce = readAround(worker, position, length);
        for (Segment segment : bio.segments()) {
            ByteBuffer target = segment.buffer().duplicate();
            target.put(bounce.slice(bounce.position(), target.remaining()));
            bounce.position(bounce.position() + segment.length());
        }
    }

    /** O_DIRECT and an unaligned bio: rewrite the aligned range around it. */
    private void readModifyWrite(Worker worker, Bio bio, long position, int length)
            throws IOException {
        synchronized (readModifyWrite) {
            ByteBuffer bounce = readAround(worker, position, length);
            gather(bounce, bio.segments());
            writeFully(worker.channel, bounce.rewind(), alignDown(position));
        }
    }

    /**
     * Reads the aligned range around {@code [position, position + length)} into the bounce
     * buffer, which is returned positioned at {@code position} with its limit at the range's end.
     */
    private ByteBuffer readAround(Worker worker, long position, int length) throws IOException {
        long start = alignDown(position);
        int span = Math.toIntExact(alignDown(position + length + alignment - 1) - start);
        ByteBuffer bounce = worker.bounce(span);
        readFully(worker.channel, bounce, start);
        return bounce.position((int) (position - start));
    }

    /** Whether the segments' own buffers can go to the channel without a copy. */
    private boolean canGoDirectly(List<Segment> segments) {
        for (Segment segment : segments) {
            ByteBuffer buffer = segment.buffer();
            if (!buffer.isDirect()) {
                return false;
            }
            if (directIo && (!isAligned(segment.length())
                    || buffer.alignmentOffset(buffer.position(), alignment) != 0)) {
                return false;
            }
        }
        return true;
    }

    private boolean isAligned(long value) {
        return value % alignment == 0;
    }

    private long alignDown(long value) {
        return value - value % alignment;
    }

    private static ByteBuffer[] buffers(List<Segment> segments) {
        ByteBuffer[] buffers = new ByteBuffer[segments.size()];
        for (int i = 0; i < buffers.length; i++) {
            buffers[i] = segments.get(i).buffer().duplicate();
        }
        return buffers;
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer, long position)
            throws IOException {
        int start = buffer.position();
        while (buffer.hasRemaining()) {
            channel.write(buffer, position + buffer.position() - start);
        }
    }

    /** One gathering write at {@code position}; the channel is the calling thread's own. */
    private static void writeFully(FileChannel channel, ByteBuffer[] buffers, long position,
            long length) throws IOException {
        if (buffers.length == 1) {
            writeFully(channel, buffers[0], position);
            return;
        }
        channel.position(position);
        for (long done = 0; done < length; ) {
            done += channel.write(buffers);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position)
            throws IOException {
        int start = buffer.position();
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position() - start) < 0) {
                throw new EOFException("end of file at " + (position + buffer.position() - start));
            }
        }
    }

    /** One scattering read at {@code position}; the channel is the calling thread's own. */
    private static void readFully(FileChannel channel, ByteBuffer[] buffers, long position,
            long length) throws IOException {
        if (buffers.length == 1) {
            readFully(channel, buffers[0], position);
            return;
        }
        channel.position(position);
        for (long done = 0; done < length; ) {
            long n = channel.read(buffers);
            if (n < 0) {
                throw new EOFException("end of file at " + (position + done));
            }
            done += n;
        }
    }

    private Worker worker() throws IOException {
        Worker worker = workers.get();
        if (worker != null && worker.channel.isOpen()) {
            return worker;
        }
        if (worker != null) {
            channels.remove(worker.channel);
        }
        FileChannel channel = directIo
                ? FileChannel.open(path, READ_WRITE_DIRECT)
                : FileChannel.open(path, READ_WRITE);
        channels.add(channel);
        if (closed) { // close() may have run between the check in submit and the add
            channels.remove(channel);
            channel.close();
            throw new ClosedChannelException();
        }
        Worker fresh = new Worker(channel, worker == null ? null : worker.bounce);
        workers.set(fresh);
        return fresh;
    }

    /** A direct buffer of at least {@code capacity} bytes whose address is aligned. */
    private static ByteBuffer alignedBuffer(int capacity, int alignment) {
        // alignedSlice rounds both ends inwards: a whole number of units plus one spare is enough.
        int rounded = Math.toIntExact((capacity + (long) alignment - 1) / alignment * alignment);
        return ByteBuffer.allocateDirect(rounded + alignment).alignedSlice(alignment)
                .limit(capacity);
    }

    /** Closes every channel; bios submitted afterwards fail with EIO. Idempotent. */
    @Override
    public void close() {
        closed = true;
        for (FileChannel channel : channels) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.warn("{}: closing a channel failed", path, e);
            }
        }
        channels.clear();
    }

    /** One thread's channel and bounce buffer; confined to that thread. */
    private final class Worker {
        final FileChannel channel;
        private ByteBuffer bounce;

        Worker(FileChannel channel, ByteBuffer bounce) {
            this.channel = channel;
            this.bounce = bounce;
        }

        /** The bounce buffer, cleared, with {@code length} bytes to fill. */
        ByteBuffer bounce(int length) {
            if (bounce == null || bounce.capacity() < length) {
                int capacity = Math.max(MIN_BOUNCE, Integer.highestOneBit(length - 1) << 1);
                bounce = alignedBuffer(capacity, Math.max(BUFFER_ALIGNMENT, alignment));
            }
            return bounce.clear().limit(length);
        }
    }
}
