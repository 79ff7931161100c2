package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockAllocator;
import dev.writebackd.layout.BlockLayout;
import dev.writebackd.layout.BlockMapper;
import dev.writebackd.layout.ConsistencyProblem;
import dev.writebackd.layout.Ext2Mapper;
import dev.writebackd.layout.Extent;
import dev.writebackd.layout.MetadataBuffers;
import dev.writebackd.layout.MetadataCache;
import dev.writebackd.layout.MetadataNeededException;
import dev.writebackd.page.DirtyLedger;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import dev.writebackd.page.PagePool;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import java.util.function.Supplier;

/**
 * Files on one recording {@link MemoryDevice}, driven synchronously through whole operations —
 * write, truncate, writeback, read, sync — the way the owning actors will: each step's bios are
 * submitted in order, then its need is met, then the same object is stepped again.
 *
 * <p>The mapper is a real layout ({@link #onLayout}: {@code extent} or {@code ext2} with its
 * {@link MetadataCache} on the device) or a fake ({@link TestMapper}, {@link TestMetadata}), whose
 * needs the fakes meet themselves: a map block "read" is reported to the test mapper, a metadata
 * write "in flight" completes in the test metadata.
 *
 * <p>The device runs one bio at a time. Writes follow the {@link Completion} mode; queued bios are
 * completed by the test ({@link #complete}, {@link #completeSome} in any order, {@link #completeAll})
 * or, oldest first, by a need that waits for them. Map-block reads, and the block reads of a write or
 * of a truncate, are performed and completed as they are submitted; so are the reads of
 * {@link #read}, except in {@link Completion#HELD} mode, where they stay in flight like the async
 * readahead they are, and the driver, as the owner must, waits for a page's reads before writing
 * it and for a file's reads before truncating it. A read and a write of one sector that reach the
 * device in an order the cache did not choose — one overtaking the other while still queued — fail
 * the run.
 *
 * <p>Every bio, need and error is recorded per file. Single-threaded.
 */
final class CoreDriver {
    static final int PAGE = 4096;

    /** When write bios are performed by the device and when their completions are applied. */
    enum Completion {
        /** Performed and completed as they are submitted. */
        AT_ONCE,
        /** Performed when submitted; completed later, when the test or a need says (bios "in flight"). */
        PERFORMED,
        /**
         * Queued unperformed until completed, in any order: later writes land on pages under
         * writeback (S5), WB_SYNC_ALL passes and truncates wait for them (C3, U1, U2). The reads of
         * {@link #read} are held too.
         */
        HELD
    }

    /** One file: its page cache, its read state, its open handle's readahead window, and what happened to it. */
    final class File {
        final long inode;
        PageCache cache;
        FileReads reads;
        ReadaheadWindow window;
        /** Every write bio submitted for the file, in order, boundary map-block writes included. */
        final List<SubmittedBio> submitted = new ArrayList<>();
        /** Errors recorded for the mapping (E2): by the writer's steps and by completions. */
        final List<Errno> errors = new ArrayList<>();
        /** Needs met for the file's writebacks and truncates, in order. */
        final List<WriteNeed> needs = new ArrayList<>();

        private File(long inode) {
            this.inode = inode;
            freshCache(0);
        }

        long size() {
            return cache.size();
        }

        private void freshCache(long size) {
            cache = new PageCache(inode, pool, ledger, blockSize);
            cache.setSize(size);
            reads = new FileReads(cache, mapper);
            window = new ReadaheadWindow();
        }

        @Override
        public String toString() {
            return "inode " + inode;
        }
    }

    /**
     * A bio on its way: a write ({@code write} set) or a readahead read of {@code owner}'s pages; its
     * file ({@code null}: sync's map-block writes) and, once performed, the result.
     */
    private static final class Queued {
        final Bio bio;
        final SubmittedBio write;
        final File owner;
        boolean performed;
        Errno result;

        Queued(Bio bio, SubmittedBio write, File owner) {
            this.bio = bio;
            this.write = write;
            this.owner = owner;
        }

        boolean isRead() {
            return write == null;
        }
    }

    final int blockSize;
    final MemoryDevice device;
    final BlockMapper mapper;
    final MetadataBuffers buffers;
    /** The real metadata cache on the device, or {@code null} with fake metadata buffers. */
    final MetadataCache metadata;
    /** {@link #mapper} when it is a real layout, else {@code null}. */
    final BlockLayout layout;
    final PagePool pool;
    final DirtyLedger ledger;
    final Completion completion;
    final int maxSegments;
    private final List<File> files = new ArrayList<>();
    private final List<Queued> queue = new ArrayList<>();
    /** Failed map-block writes of {@link #sync}, which belong to no file. */
    private final List<Errno> metadataErrors = new ArrayList<>();
    private final Map<String, Integer> counts = new TreeMap<>();

    /**
     * A driver over {@code device}, mapping with {@code mapper} and cleaning aliases and writing
     * boundary blocks through {@code buffers}; files are added with {@link #addFile}.
     *
     * @param maxSegments the most pages per write bio of a pass (small values split bios often, W7)
     */
    CoreDriver(MemoryDevice device, BlockMapper mapper, MetadataBuffers buffers, PagePool pool, DirtyLedger ledger,
            Completion completion, int maxSegments) {
        this.device = requireNonNull(device, "device");
        this.blockSize = device.blockSize();
        this.mapper = requireNonNull(mapper, "mapper");
        this.buffers = requireNonNull(buffers, "buffers");
        this.metadata = buffers instanceof MetadataCache real ? real : null;
        this.layout = mapper instanceof BlockLayout real ? real : null;
        this.pool = requireNonNull(pool, "pool");
        this.ledger = requireNonNull(ledger, "ledger");
        this.completion = requireNonNull(completion, "completion");
        this.maxSegments = maxSegments;
    }

    /**
     * A fresh device of {@code deviceBytes} with the layout called {@code layoutName}
     * ({@link BlockLayout#create}) and a page pool of 256 MiB; no files yet.
     */
    static CoreDriver onLayout(String layoutName, int blockSize, long deviceBytes, Completion completion,
            int maxSegments) {
        MetadataCache metadata = new MetadataCache(blockSize);
        BlockLayout layout = BlockLayout.create(layoutName, new BlockAllocator(deviceBytes / blockSize), blockSize,
                metadata);
        return new CoreDriver(new MemoryDevice(blockSize, deviceBytes, false), layout, layout.metadataBuffers(),
                new PagePool(PAGE, 256L << 20, 1 << 20), new DirtyLedger(), completion, maxSegments);
    }

    /** Adds an empty file {@code inode}. */
    File addFile(long inode) {
        File f = new File(inode);
        files.add(f);
        return f;
    }

    List<File> files() {
        return Collections.unmodifiableList(files);
    }

    File file(int i) {
        return files.get(i);
    }

    /** Errors of map-block writes issued by {@link #sync}, which belong to no file. */
    List<Errno> metadataErrors() {
        return Collections.unmodifiableList(metadataErrors);
    }

    /** How often each kind of event happened (needs met, writes onto pages under writeback, …). */
    Map<String, Integer> counts() {
        return Collections.unmodifiableMap(counts);
    }

    int count(String event) {
        return counts.getOrDefault(event, 0);
    }

    /** Bios submitted and not yet completed: writes, and in {@link Completion#HELD} mode reads. */
    int queued() {
        return queue.size();
    }

    // ---- operations --------------------------------------------------------------------------

    /** Writes {@code bytes} at {@code offset}, page by page through {@link WriteBegin} (S6), which grows i_size. */
    void write(File f, long offset, byte[] bytes) {
        long position = offset;
        int done = 0;
        while (done < bytes.length) {
            long index = position / PAGE;
            int from = (int) (position % PAGE);
            int n = Math.min(PAGE - from, bytes.length - done);
            if (f.cache.has(index, PageFlags.WRITEBACK)) {
                tally("write onto a page under writeback");
            }
            completeReads(f, page -> page == index, "write waits for a page being read"); // the page lock
            runWrite(f, new WriteBegin(f.cache, mapper, index, from, from + n, ByteBuffer.wrap(bytes, done, n)));
            position += n;
            done += n;
        }
        if (f.cache.size() < offset + bytes.length) {
            throw new AssertionError(f + ": i_size " + f.cache.size() + " after a write ending at "
                    + (offset + bytes.length));
        }
    }

    /** Changes the file's size ({@link Truncation}, U1–U4), reading the map blocks it needs first. */
    void truncate(File f, long newSize) {
        completeReads(f, page -> true, "truncate waits for reads");
        if (newSize < f.size()) {
            long keep = (newSize + blockSize - 1) / blockSize;
            for (long b = mapper.metadataNeeded(f.inode, keep, Long.MAX_VALUE - keep); b >= 0;
                    b = mapper.metadataNeeded(f.inode, keep, Long.MAX_VALUE - keep)) {
                readMetadata(b);
            }
        }
        Truncation truncation = new Truncation(f.cache, mapper, newSize);
        for (int guard = 0; guard < 10_000; guard++) {
            Optional<WriteNeed> need = truncation.step();
            if (need.isEmpty()) {
                return;
            }
            meet(f, need.get());
        }
        throw new AssertionError(f + ": the truncate to " + newSize + " does not end");
    }

    /** A whole writeback pass over {@code f}. */
    WritePagesReply writeback(File f, WritePagesRequest request) {
        return writeback(f, request, need -> { });
    }

    /**
     * A whole writeback pass over {@code f}; {@code betweenSteps} runs after each need was met, before
     * the pass goes on (a writer of the same file, say).
     */
    WritePagesReply writeback(File f, WritePagesRequest request, Consumer<WriteNeed> betweenSteps) {
        return drive(f, new WritebackPass(f.cache, mapper, buffers, request, maxSegments), betweenSteps);
    }

    /** Runs {@code pass} over {@code f} to its end: submits each step's bios, records its errors, meets its need. */
    WritePagesReply drive(File f, WritebackPass pass, Consumer<WriteNeed> betweenSteps) {
        for (int guard = 0; guard < 100_000; guard++) {
            WritebackPass.Step step = pass.step();
            submit(f, step.bios());
            f.errors.addAll(step.errors());
            if (step.isDone()) {
                return step.reply();
            }
            meet(f, step.need());
            betweenSteps.accept(step.need());
        }
        throw new AssertionError(f + ": the pass does not end");
    }

    /** One whole-file pass over every file: WB_SYNC_ALL as sync(2) runs it, or unlimited WB_SYNC_NONE. */
    List<WritePagesReply> writebackAll(SyncMode mode) {
        WritePagesRequest request = mode == SyncMode.ALL
                ? WritePagesRequest.syncAll(WritebackReason.SYNC)
                : new WritePagesRequest(SyncMode.NONE, WritePagesRequest.UNLIMITED, 0, WritePagesRequest.WHOLE_FILE_END,
                        false, WritebackReason.BACKGROUND, false);
        List<WritePagesReply> replies = new ArrayList<>();
        for (File f : files) {
            replies.add(writeback(f, request));
        }
        return replies;
    }

    /** Reads through the file's open handle (its readahead window). */
    byte[] read(File f, long offset, int length) {
        return read(f, f.window, offset, length);
    }

    /**
     * Reads with {@code window} ({@link FileReads}: cached pages served, missing ones read ahead).
     * In {@link Completion#HELD} mode the read bios stay in flight until the read waits for them
     * ({@link ReadStep.AwaitReads}) or, for readahead beyond the read, until later.
     */
    byte[] read(File f, ReadaheadWindow window, long offset, int length) {
        FileReads.Read read = f.reads.read(window, offset, length);
        for (int guard = 0; guard < 100_000; guard++) {
            ReadStep step = read.step();
            if (completion == Completion.HELD) {
                for (Bio bio : step.bios()) {
                    tally("data read held");
                    queue.add(new Queued(bio, null, f));
                }
            } else {
                performReads(f, step.bios());
            }
            if (step instanceof ReadStep.AwaitReads && completion == Completion.HELD) {
                completeOldestRead(f);
            } else if (step instanceof ReadStep.Done) {
                if (!step.bios().isEmpty()) {
                    tally("readahead left in flight");
                }
                ByteBuffer out = ByteBuffer.allocate(read.length());
                read.copyTo(out);
                return out.array();
            } else if (step instanceof ReadStep.ReadMetadata need) {
                readMetadata(need.block());
            } else if (step instanceof ReadStep.Failed failed) {
                throw new AssertionError(f + ": read of " + length + " bytes at " + offset + " failed with "
                        + failed.errno());
            }
        }
        throw new AssertionError(f + ": read of " + length + " bytes at " + offset + " does not end");
    }

    /**
     * sync(2) (E6): a WB_SYNC_ALL pass over every file, every write completed, then the dirty map
     * blocks written behind the data (ext2), a device flush, and the frees committed (U3).
     */
    void sync() {
        writebackAll(SyncMode.ALL);
        completeAll();
        for (int guard = 0; metadata != null && metadata.dirtyBlocks().length > 0; guard++) {
            if (guard == 100) {
                throw new AssertionError("map blocks stay dirty: " + Arrays.toString(metadata.dirtyBlocks()));
            }
            for (long block : metadata.dirtyBlocks()) {
                Bio write = metadata.writeIfDirty(block);
                if (write != null) {
                    submit(null, List.of(SubmittedBio.metadata(write)));
                }
            }
            completeAll();
        }
        if (device.submit(Bio.flush(Set.of())) != null) {
            throw new AssertionError("the device failed a flush");
        }
        commitFrees();
    }

    /** Commits the pending frees now (a commit interval ended), whatever is in flight. */
    void commitFrees() {
        layout.allocator().commitFrees();
    }

    // ---- the queue -----------------------------------------------------------------------------

    /** Submits write bios of {@code owner}, in order, per the {@link Completion} mode. */
    void submit(File owner, List<SubmittedBio> bios) {
        for (SubmittedBio bio : bios) {
            if (owner != null) {
                owner.submitted.add(bio);
            }
            Queued q = new Queued(bio.bio(), bio, owner);
            if (completion != Completion.HELD) {
                perform(q);
            }
            if (completion == Completion.AT_ONCE) {
                applyCompletion(q);
            } else {
                queue.add(q);
            }
        }
    }

    /** Completes every queued bio, oldest first, including the boundary writes they add. */
    void completeAll() {
        while (!queue.isEmpty()) {
            finish(queue.remove(0));
        }
    }

    /**
     * Completes {@code bio}, which must be queued: performs it if the device has not yet, applies
     * its completion ({@link WriteCompletion}) and submits the boundary write it asks for.
     */
    WriteCompletion.Completed complete(SubmittedBio bio) {
        for (int i = 0; i < queue.size(); i++) {
            if (queue.get(i).write == bio) {
                return finish(queue.remove(i));
            }
        }
        throw new AssertionError("bio not in flight: " + bio);
    }

    /**
     * Completes a random subset of the queued bios in a random order (the device reorders); the
     * boundary writes they add stay queued.
     *
     * @return how many were completed
     */
    int completeSome(Random random) {
        List<Queued> chosen = new ArrayList<>();
        for (Queued q : queue) {
            if (random.nextInt(3) > 0) {
                chosen.add(q);
            }
        }
        Collections.shuffle(chosen, random);
        queue.removeAll(chosen);
        chosen.forEach(this::finish);
        return chosen.size();
    }

    private WriteCompletion.Completed finish(Queued q) {
        if (!q.performed) {
            perform(q);
        }
        return applyCompletion(q);
    }

    private void perform(Queued q) {
        if (q.isRead()) {
            checkNoWriteOvertaken(q.bio);
        } else {
            checkNoReadOvertaken(q.bio);
            tally(q.write.kind() + " write");
        }
        q.result = device.submit(q.bio);
        q.performed = true;
    }

    /** Applies a performed write's completion and submits the boundary write it asks for (W9, B7). */
    private WriteCompletion.Completed applyCompletion(Queued q) {
        if (q.isRead()) {
            q.owner.reads.complete(q.bio, q.result);
            return null;
        }
        if (q.owner == null) {
            for (Segment s : q.bio.segments()) {
                buffers.writeCompleted(s.metaBlock(), q.result == null);
            }
            if (q.result != null) {
                metadataErrors.add(q.result);
            }
            return null;
        }
        WriteCompletion.Completed done = WriteCompletion.complete(q.owner.cache, buffers, q.write, q.result);
        if (done.mappingError() != null) {
            q.owner.errors.add(done.mappingError());
        }
        if (done.boundaryWrite() != null) {
            tally("boundary write");
            submit(q.owner, List.of(done.boundaryWrite()));
        }
        return done;
    }

    // ---- caches --------------------------------------------------------------------------------

    /**
     * A cold start of the caches: every file gets a fresh, empty page cache (i_size kept, as the
     * inode keeps it) and the metadata cache drops every map block, so that every byte and every
     * pointer is read from the device again. The layout's in-memory state (extent maps, ext2 inode
     * pointers, the allocator) stays. Nothing may be dirty or in flight.
     */
    void dropCaches() {
        if (!queue.isEmpty()) {
            throw new AssertionError(queue.size() + " writes still queued");
        }
        for (File f : files) {
            for (long i = f.cache.next(0, Long.MAX_VALUE, 0); i >= 0; i = f.cache.next(i + 1, Long.MAX_VALUE, 0)) {
                if (f.cache.has(i, PageFlags.DIRTY)) {
                    throw new AssertionError(f + ": page " + i + " is still dirty");
                }
                f.cache.remove(i);
            }
            f.freshCache(f.cache.size());
        }
        if (metadata != null && (metadata.evictClean() < 0 || metadata.size() != 0)) {
            throw new AssertionError(metadata.size() + " map blocks stay cached: "
                    + Arrays.toString(metadata.dirtyBlocks()) + " of them dirty");
        }
    }

    /**
     * Memory pressure: drops the clean pages of {@code f} that nothing is writing or reading — each
     * with probability 1/2, or all of them — and every clean map block with no write in flight.
     *
     * @return the pages dropped
     */
    int evictClean(File f, Random random) {
        boolean all = random.nextBoolean();
        int busy = PageFlags.DIRTY | PageFlags.WRITEBACK | PageFlags.TAG_DIRTY | PageFlags.TAG_TOWRITE;
        int dropped = 0;
        for (long i = f.cache.next(0, Long.MAX_VALUE, 0); i >= 0; i = f.cache.next(i + 1, Long.MAX_VALUE, 0)) {
            if ((f.cache.flags(i) & busy) == 0 && !f.reads.beingRead(i) && (all || random.nextBoolean())) {
                f.cache.remove(i);
                dropped++;
            }
        }
        if (metadata != null) {
            metadata.evictClean();
        }
        return dropped;
    }

    // ---- the layout ----------------------------------------------------------------------------

    /** The layout's consistency check (blocks claimed twice, claimed but free, leaked), map blocks read as needed. */
    List<ConsistencyProblem> checkConsistency() {
        return withMetadata(layout::checkConsistency);
    }

    /** File {@code f}'s mapped data blocks, map blocks read as needed. */
    List<Extent> extents(File f) {
        return withMetadata(() -> layout.extents(f.inode));
    }

    /**
     * Every physical block some file claims (data, reservations and, for ext2, map blocks) with the
     * inode claiming it.
     *
     * @throws AssertionError naming the block if two files claim one block
     */
    Map<Long, Long> owners() {
        Map<Long, Long> owners = new HashMap<>();
        for (long inode : layout.inodes()) {
            List<Long> blocks = new ArrayList<>();
            for (Extent e : withMetadata(() -> layout.extents(inode))) {
                addRun(blocks, e);
            }
            for (Extent e : layout.reservations(inode)) {
                addRun(blocks, e);
            }
            if (layout instanceof Ext2Mapper ext2) {
                blocks.addAll(withMetadata(() -> ext2.mapBlocks(inode)));
            }
            for (long block : blocks) {
                Long other = owners.put(block, inode);
                if (other != null && other != inode) {
                    throw new AssertionError("block " + block + " is claimed by inodes " + other + " and " + inode);
                }
            }
        }
        return owners;
    }

    private static void addRun(List<Long> blocks, Extent e) {
        for (long b = e.physical(); b < e.physicalEnd(); b++) {
            blocks.add(b);
        }
    }

    /** Runs {@code query}, reading each map block it needs from the device first. */
    private <T> T withMetadata(Supplier<T> query) {
        for (int guard = 0; guard < 10_000; guard++) {
            try {
                return query.get();
            } catch (MetadataNeededException e) {
                readMetadata(e.block());
            }
        }
        throw new AssertionError("map blocks keep missing");
    }

    // ---- needs and reads -----------------------------------------------------------------------

    /** Meets one need of a write-side step of {@code f} and records it. */
    void meet(File f, WriteNeed need) {
        f.needs.add(need);
        tally(need.getClass().getSimpleName());
        if (need instanceof WriteNeed.WaitForWriteback w) {
            waitFor(need, () -> !f.cache.has(w.pageIndex(), PageFlags.WRITEBACK));
        } else if (need instanceof WriteNeed.ReadMetadata r) {
            readMetadata(r.block());
        } else if (need instanceof WriteNeed.WaitForMetadataWrite m && buffers instanceof TestMetadata fake) {
            fake.writeCompleted(m.block(), true); // a write the test pretends is in flight
        } else if (need instanceof WriteNeed.WaitForMetadataWrite m) {
            waitFor(need, () -> !metadata.isWriteInFlight(m.block()));
        } else if (need instanceof WriteNeed.ReadPage r) {
            readPage(f, r.pageIndex());
        } else if (need instanceof WriteNeed.Unplug) {
            return; // the bios are submitted: nothing to wait for
        } else {
            throw new AssertionError("unknown need " + need);
        }
    }

    /** Completes queued bios, oldest first, until {@code met}. */
    private void waitFor(WriteNeed need, BooleanSupplier met) {
        while (!met.getAsBoolean()) {
            if (queue.isEmpty()) {
                throw new AssertionError(need + " can never be met: nothing is in flight");
            }
            finish(queue.remove(0));
        }
    }

    /**
     * Completes {@code f}'s queued reads of the pages {@code pages} accepts, oldest first: the owner
     * waits for them as the kernel's page lock would.
     *
     * @param event what to count if any was still in flight, or {@code null}
     */
    private void completeReads(File f, LongPredicate pages, String event) {
        for (int i = 0; i < queue.size(); ) {
            Queued q = queue.get(i);
            if (q.isRead() && q.owner == f && q.bio.segments().stream().anyMatch(s -> pages.test(s.pageIndex()))) {
                queue.remove(i);
                if (event != null) {
                    tally(event);
                }
                finish(q);
            } else {
                i++;
            }
        }
    }

    /** Completes {@code f}'s oldest queued read: a read waiting for pages being read steps again after each. */
    private void completeOldestRead(File f) {
        for (int i = 0; i < queue.size(); i++) {
            Queued q = queue.get(i);
            if (q.isRead() && q.owner == f) {
                finish(queue.remove(i));
                return;
            }
        }
        throw new AssertionError(f + ": a read waits for pages being read, but none is");
    }

    /** Reads map block {@code block} into the metadata cache (a {@code NeedsMetadata} answer). */
    void readMetadata(long block) {
        tally("map block read");
        if (mapper instanceof TestMapper fake) {
            fake.metadataRead(block);
            return;
        }
        Bio read = metadata.readBio(block);
        if (read == null) {
            return; // cached meanwhile
        }
        checkNoWriteOvertaken(read);
        metadata.readCompleted(block, device.submit(read) == null);
        if (metadata.lookup(block) == null) {
            throw new AssertionError("map block " + block + " could not be read");
        }
    }

    /** Reads page {@code index} alone (R14), for a truncate that cuts a block of it (U1). */
    private void readPage(File f, long index) {
        PageReader reader = PageReader.readPage(f.cache, mapper, index);
        for (int guard = 0; guard < 10_000; guard++) {
            ReadStep step = reader.step();
            performReads(f, step.bios());
            if (step instanceof ReadStep.ReadMetadata need) {
                readMetadata(need.block());
            } else {
                return;
            }
        }
        throw new AssertionError(f + ": the read of page " + index + " does not end");
    }

    private void runWrite(File f, WriteBegin write) {
        for (int guard = 0; guard < 10_000; guard++) {
            ReadStep step = write.step();
            performReads(f, step.bios());
            if (step instanceof ReadStep.Done) {
                return;
            } else if (step instanceof ReadStep.ReadMetadata need) {
                readMetadata(need.block());
            } else if (step instanceof ReadStep.Failed failed) {
                throw new AssertionError(f + ": a write failed with " + failed.errno());
            }
        }
        throw new AssertionError(f + ": a write does not end");
    }

    /** Performs read bios of {@code f} one at a time, in order, each completed at once. */
    private void performReads(File f, List<Bio> bios) {
        for (Bio bio : bios) {
            checkNoWriteOvertaken(bio);
            tally("data read");
            f.reads.complete(bio, device.submit(bio));
        }
    }

    private void checkNoWriteOvertaken(Bio read) {
        checkNotOvertaken(read, false);
    }

    private void checkNoReadOvertaken(Bio write) {
        checkNotOvertaken(write, true);
    }

    /** The device must never see a read and a write of one sector in an order the cache did not choose. */
    private void checkNotOvertaken(Bio bio, boolean queuedReads) {
        for (Queued q : queue) {
            if (!q.performed && q.isRead() == queuedReads && q.bio != bio && q.bio.startSector() < bio.endSector()
                    && bio.startSector() < q.bio.endSector()) {
                throw new AssertionError("a " + bio.op() + " of sectors [" + bio.startSector() + ", "
                        + bio.endSector() + ") overtakes a queued " + q.bio.op() + " of [" + q.bio.startSector()
                        + ", " + q.bio.endSector() + ")");
            }
        }
    }

    private void tally(String event) {
        counts.merge(event, 1, Integer::sum);
    }
}
