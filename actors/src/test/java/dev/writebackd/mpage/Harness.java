package dev.writebackd.mpage;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockMapper;
import dev.writebackd.layout.MetadataBuffers;
import dev.writebackd.page.DirtyLedger;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import dev.writebackd.page.PagePool;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One file of a {@link CoreDriver} in {@link CoreDriver.Completion#PERFORMED} mode, for pinning
 * rules: a page cache, a block mapper (a {@link TestMapper} unless a real layout is given), metadata
 * buffers, and passes run the way the owning actor will — submit a step's bios, record its errors,
 * meet its need, step again. The device performs each write as it is submitted; its completion
 * waits until the test applies it ({@link #complete}, {@link #completeAll}) or a need waits for it.
 */
final class Harness {
    static final int PAGE = CoreDriver.PAGE;
    static final long INODE = 7;
    static final long DEVICE_BYTES = 64L << 20;

    final int blockSize;
    final int blocksPerPage;
    final PagePool pool;
    final DirtyLedger ledger;
    final PageCache cache;
    /** What the writer maps with. */
    final BlockMapper layout;
    /** What the writer cleans aliases in and writes boundary blocks through. */
    final MetadataBuffers buffers;
    /** {@link #layout} when it is the fake one, else {@code null}. */
    final TestMapper mapper;
    /** {@link #buffers} when they are the fake ones, else {@code null}. */
    final TestMetadata metadata;
    /** Every bio submitted, in order, including boundary map-block writes. */
    final List<SubmittedBio> submitted;
    /** Errors recorded for the mapping: by the writer (steps) and by completions. */
    final List<Errno> errors;
    /** Needs met while running passes, in order. */
    final List<WriteNeed> needs;
    /** Performs every submitted bio at once and records it; fail bios here to fail completions. */
    final MemoryDevice device;
    /** Runs between two steps of a pass, after the need was met (a concurrent writer, say). */
    Consumer<WriteNeed> betweenSteps = need -> { };

    private final CoreDriver driver;
    private final CoreDriver.File file;

    /** A file on the fake layout: logical block {@code b} at physical {@code 1000 + b}. */
    Harness(int blockSize) {
        this(blockSize, new TestMapper(1000), new TestMetadata(blockSize));
    }

    /** A file on {@code layout}, alone on a fresh device. */
    Harness(int blockSize, BlockMapper layout, MetadataBuffers buffers) {
        this(new CoreDriver(new MemoryDevice(blockSize, DEVICE_BYTES), layout, buffers,
                new PagePool(PAGE, 16L << 20, 1 << 20), new DirtyLedger(), CoreDriver.Completion.PERFORMED,
                Bio.MAX_SEGMENTS), INODE);
    }

    /** File {@code inode} sharing {@code other}'s device, layout, metadata, pool, ledger and bios in flight. */
    Harness(Harness other, long inode) {
        this(other.driver, inode);
    }

    private Harness(CoreDriver driver, long inode) {
        this.driver = driver;
        this.file = driver.addFile(inode);
        this.blockSize = driver.blockSize;
        this.blocksPerPage = PAGE / blockSize;
        this.pool = driver.pool;
        this.ledger = driver.ledger;
        this.cache = file.cache;
        this.layout = driver.mapper;
        this.buffers = driver.buffers;
        this.mapper = layout instanceof TestMapper t ? t : null;
        this.metadata = buffers instanceof TestMetadata t ? t : null;
        this.device = driver.device;
        this.submitted = file.submitted;
        this.errors = file.errors;
        this.needs = file.needs;
    }

    // ---- requests ----------------------------------------------------------------------------

    /** Background writeback of the whole file. */
    static WritePagesRequest none(long nrToWrite) {
        return new WritePagesRequest(SyncMode.NONE, nrToWrite, 0, WritePagesRequest.WHOLE_FILE_END, false,
                WritebackReason.BACKGROUND, false);
    }

    /** An fsync's pass. */
    static WritePagesRequest all() {
        return WritePagesRequest.syncAll(WritebackReason.FSYNC);
    }

    /** Periodic writeback, resuming at writebackIndex. */
    static WritePagesRequest cyclic(long nrToWrite) {
        return new WritePagesRequest(SyncMode.NONE, nrToWrite, 0, 0, true, WritebackReason.PERIODIC, false);
    }

    /** sync(2)'s pass over pages {@code [firstPage, lastPage]}: neither background nor tagged. */
    static WritePagesRequest range(boolean syncAll, long nrToWrite, long firstPage, long lastPage) {
        return new WritePagesRequest(syncAll ? SyncMode.ALL : SyncMode.NONE, nrToWrite, firstPage, lastPage, false,
                WritebackReason.SYNC, false);
    }

    // ---- the file ----------------------------------------------------------------------------

    /** A write of the whole page {@code index}, filled with {@code fill}; i_size grows to cover it. */
    void write(long index, int fill) {
        if (!cache.contains(index)) {
            cache.insert(index);
        }
        ByteBuffer b = cache.prepareWrite(index);
        for (int i = 0; i < PAGE; i++) {
            b.put(i, (byte) fill);
        }
        cache.setFlag(index, PageFlags.UPTODATE, true);
        cache.markDirty(index);
        cache.setSize(Math.max(cache.size(), (index + 1) * PAGE));
    }

    void write(long first, long last, int fill) {
        for (long i = first; i <= last; i++) {
            write(i, fill);
        }
    }

    /** Overwrites {@code [from, PAGE)} of the cached page without dirtying it (an mmap store past EOF). */
    void scribble(long index, int from, int fill) {
        ByteBuffer b = cache.data(index);
        for (int i = from; i < PAGE; i++) {
            b.put(i, (byte) fill);
        }
    }

    /** Gives page {@code index} buffers in the given states. */
    long[] buffers(long index, long... states) {
        long[] b = cache.createBuffers(index, 0);
        System.arraycopy(states, 0, b, 0, states.length);
        return b;
    }

    // ---- driving the page writer directly ----------------------------------------------------

    PageWriter writer(SyncMode mode) {
        return new PageWriter(cache, layout, buffers, mode, false, Bio.MAX_SEGMENTS);
    }

    /** Clears the page for I/O (S1) and hands it to {@code writer}; submits what the writer closed. */
    PageWriter.Result writePage(PageWriter writer, long index) {
        cache.clearDirtyForIo(index);
        PageWriter.Result result = writer.write(index);
        submit(writer.takeBios());
        errors.addAll(writer.takeErrors());
        return result;
    }

    void closeWriter(PageWriter writer) {
        writer.submitOpen();
        submit(writer.takeBios());
    }

    // ---- running passes ----------------------------------------------------------------------

    /** Runs a pass to its end, meeting every need; bios stay in flight unless a need completes them. */
    WritePagesReply pass(WritePagesRequest request) {
        return pass(request, Bio.MAX_SEGMENTS);
    }

    WritePagesReply pass(WritePagesRequest request, int maxSegments) {
        return driver.drive(file, new WritebackPass(cache, layout, buffers, request, maxSegments),
                need -> betweenSteps.accept(need));
    }

    void meet(WriteNeed need) {
        driver.meet(file, need);
    }

    /** Submits bios: the device performs them now; their completions wait for {@link #complete}. */
    void submit(List<SubmittedBio> bios) {
        driver.submit(file, bios);
    }

    /** Applies the completion of every bio in flight, in submission order. */
    void completeAll() {
        driver.completeAll();
    }

    /** Applies the completion of {@code bio}, with the device's result, and submits a boundary write. */
    WriteCompletion.Completed complete(SubmittedBio bio) {
        return driver.complete(bio);
    }

    /** The device's bytes of physical block {@code block}. */
    byte[] disk(long block) {
        return device.readBytes(block * blockSize, blockSize);
    }

    // ---- looking at bios ---------------------------------------------------------------------

    /** A bio as the rules see it. */
    record Shape(BioOp op, long startSector, List<Integer> lengths, Set<BioFlag> flags, List<Long> pages) {}

    static Shape shape(SubmittedBio bio) {
        Bio b = bio.bio();
        return new Shape(b.op(), b.startSector(), b.segments().stream().map(Segment::length).toList(), b.flags(),
                b.segments().stream().map(Segment::pageIndex).toList());
    }

    List<Shape> shapes() {
        return submitted.stream().map(Harness::shape).toList();
    }

    /** The shape of a page bio covering {@code pages} consecutive pages from {@code firstPage}, whole. */
    Shape pagesBio(long firstPage, int pages, Set<BioFlag> flags) {
        return new Shape(BioOp.WRITE, mapper.physical(firstPage * blocksPerPage) * (blockSize / 512),
                java.util.Collections.nCopies(pages, PAGE), flags,
                java.util.stream.LongStream.range(firstPage, firstPage + pages).boxed().toList());
    }

    /** The shape of a single-block bio writing block {@code j} of page {@code index}. */
    Shape blockBio(long index, int j, Set<BioFlag> flags) {
        return new Shape(BioOp.WRITE, mapper.physical(index * blocksPerPage + j) * (blockSize / 512),
                List.of(blockSize), flags, List.of(index));
    }

    static final Set<BioFlag> BACKGROUND = Set.of(BioFlag.BACKGROUND);
    static final Set<BioFlag> SYNC = Set.of(BioFlag.SYNC);
}
