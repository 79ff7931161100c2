package dev.writebackd.mpage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockMapper;
import dev.writebackd.layout.MetadataBuffers;
import dev.writebackd.layout.MetadataCache;
import dev.writebackd.page.DirtyLedger;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import dev.writebackd.page.PagePool;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One file on a recording {@link MemoryDevice}: its page cache, a block mapper (a {@link TestMapper}
 * unless a real layout is given), metadata buffers, and a driver that runs writeback passes the way
 * the owning actor will — submit a step's bios, record its errors, meet its need, step again — and
 * completes bios on demand.
 */
final class Harness {
    static final int PAGE = 4096;
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
    final List<SubmittedBio> submitted = new ArrayList<>();
    /** Performed by the device, not yet completed. */
    final List<Performed> inFlight = new ArrayList<>();
    /** Errors recorded for the mapping: by the writer (steps) and by completions. */
    final List<Errno> errors = new ArrayList<>();
    /** Needs met while running passes, in order. */
    final List<WriteNeed> needs = new ArrayList<>();
    /** Performs every submitted bio at once and records it; fail bios here to fail completions. */
    final MemoryDevice device;
    /** Runs between two steps of a pass, after the need was met (a concurrent writer, say). */
    Consumer<WriteNeed> betweenSteps = need -> { };

    /** A bio the device performed, with its result, waiting for its completion to be applied. */
    record Performed(SubmittedBio bio, Errno result) {}

    /** A file on the fake layout: logical block {@code b} at physical {@code 1000 + b}. */
    Harness(int blockSize) {
        this(blockSize, new TestMapper(1000), new TestMetadata(blockSize));
    }

    /** A file on {@code layout}, alone on a fresh device. */
    Harness(int blockSize, BlockMapper layout, MetadataBuffers buffers) {
        this(blockSize, INODE, layout, buffers, new MemoryDevice(blockSize, DEVICE_BYTES),
                new PagePool(PAGE, 16L << 20, 1 << 20), new DirtyLedger());
    }

    /** File {@code inode} sharing {@code other}'s device, layout, metadata, pool and ledger. */
    Harness(Harness other, long inode) {
        this(other.blockSize, inode, other.layout, other.buffers, other.device, other.pool, other.ledger);
    }

    private Harness(int blockSize, long inode, BlockMapper layout, MetadataBuffers buffers, MemoryDevice device,
            PagePool pool, DirtyLedger ledger) {
        this.blockSize = blockSize;
        this.blocksPerPage = PAGE / blockSize;
        this.pool = pool;
        this.ledger = ledger;
        this.cache = new PageCache(inode, pool, ledger, blockSize);
        this.layout = layout;
        this.buffers = buffers;
        this.mapper = layout instanceof TestMapper t ? t : null;
        this.metadata = buffers instanceof TestMetadata t ? t : null;
        this.device = device;
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
        return drive(new WritebackPass(cache, layout, buffers, request));
    }

    WritePagesReply pass(WritePagesRequest request, int maxSegments) {
        return drive(new WritebackPass(cache, layout, buffers, request, maxSegments));
    }

    WritePagesReply drive(WritebackPass pass) {
        for (int steps = 0; steps < 10_000; steps++) {
            WritebackPass.Step step = pass.step();
            submit(step.bios());
            errors.addAll(step.errors());
            if (step.isDone()) {
                return step.reply();
            }
            meet(step.need());
            betweenSteps.accept(step.need());
        }
        throw new AssertionError("the pass does not end");
    }

    void meet(WriteNeed need) {
        needs.add(need);
        if (need instanceof WriteNeed.ReadMetadata r && mapper != null) {
            mapper.metadataRead(r.block());
        } else if (need instanceof WriteNeed.ReadMetadata r && buffers instanceof MetadataCache real) {
            real.readCompleted(r.block(), device.submit(real.readBio(r.block())) == null);
        } else if (need instanceof WriteNeed.WaitForWriteback w) {
            completeAll();
            assertThat(cache.has(w.pageIndex(), PageFlags.WRITEBACK)).as("page %d still under writeback", w.pageIndex()).isFalse();
        } else if (need instanceof WriteNeed.WaitForMetadataWrite m && metadata != null) {
            metadata.writeCompleted(m.block(), true); // a write the test pretends is in flight
        } else if (need instanceof WriteNeed.WaitForMetadataWrite) {
            completeAll();
        } else {
            throw new AssertionError("unexpected need " + need);
        }
    }

    /** Submits bios: the device performs them now; their completions wait for {@link #complete}. */
    void submit(List<SubmittedBio> bios) {
        for (SubmittedBio bio : bios) {
            submitted.add(bio);
            inFlight.add(new Performed(bio, device.submit(bio.bio())));
        }
    }

    /** Applies the completion of every bio in flight, in submission order. */
    void completeAll() {
        while (!inFlight.isEmpty()) {
            complete(inFlight.get(0).bio());
        }
    }

    /** Applies the completion of {@code bio}, with the device's result, and submits a boundary write. */
    WriteCompletion.Completed complete(SubmittedBio bio) {
        Performed performed = inFlight.stream().filter(p -> p.bio() == bio).findFirst()
                .orElseThrow(() -> new AssertionError("bio not in flight"));
        inFlight.remove(performed);
        WriteCompletion.Completed done = WriteCompletion.complete(cache, buffers, bio, performed.result());
        if (done.mappingError() != null) {
            errors.add(done.mappingError());
        }
        if (done.boundaryWrite() != null) {
            submit(List.of(done.boundaryWrite()));
        }
        return done;
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
