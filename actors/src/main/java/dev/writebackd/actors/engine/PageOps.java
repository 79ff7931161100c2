package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.error.ErrnoException;
import dev.writebackd.layout.BlockMapper;
import dev.writebackd.layout.MetadataNeededException;
import dev.writebackd.mpage.FileReads;
import dev.writebackd.mpage.ReadStep;
import dev.writebackd.mpage.ReadaheadWindow;
import dev.writebackd.mpage.Truncation;
import dev.writebackd.mpage.WriteBegin;
import dev.writebackd.mpage.WriteNeed;
import dev.writebackd.page.PageCache;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The operations on one file's pages that may have to wait for the device — a write that reads
 * the blocks it does not cover (S6), a read, a truncate — each a resumable cursor over the
 * algorithms that do the work ({@link WriteBegin}, {@link FileReads.Read}, {@link Truncation}).
 *
 * <p>All speak {@link ReadStep}: {@code Done} or {@code Failed} end the operation;
 * {@code ReadMetadata} asks for a map block; {@code AwaitReads} means "submit these bios, and step
 * me again after the next I/O of this file completes". Mutable, single-threaded: owned by the inode
 * actor, which runs one of them at a time.
 */
final class PageOps {
    private PageOps() {}

    /** A resumable operation on the file's pages. */
    interface Op {
        /**
         * Advances the operation as far as it can go now.
         *
         * @throws ErrnoException with ENOSPC if the page pool has no room for a page it needs
         */
        ReadStep step();
    }

    /**
     * A write: its chunks applied page by page through {@link WriteBegin}, in order. A page with a
     * read in flight is not written until that read has ended (the kernel's page lock): the read
     * fills the page's memory from the device and would overwrite the new bytes.
     *
     * <p>A write that starts past the end of the file grows it first, as a truncate would (U4), when
     * the old end cuts a page: that page is zeroed past the old end, and so is its block on the
     * device, so the gap between the old end and the write reads as zeros even where the device
     * holds other bytes there.
     */
    static final class WriteOp implements Op {
        private final PageCache cache;
        private final FileReads reads;
        private final BlockMapper mapper;
        private final WriteQueue.Entry entry;
        private final InodeFile.OpenFile handle;
        private final WriteData data;
        private final DurabilityTracker tracker;
        private final DurabilityTracker.Ticket ticket;
        private int chunk;
        private WriteBegin begin;
        private int bytesApplied;
        private long pagesDirtied;
        private TruncateOp grow;
        private boolean grown;

        WriteOp(PageCache cache, FileReads reads, BlockMapper mapper, WriteQueue.Entry entry, InodeFile.OpenFile handle,
                DurabilityTracker tracker, DurabilityTracker.Ticket ticket) {
            this.cache = cache;
            this.reads = reads;
            this.mapper = mapper;
            this.entry = requireNonNull(entry, "entry");
            this.handle = handle;
            this.data = entry.data();
            this.tracker = tracker;
            this.ticket = ticket;
        }

        @Override
        public ReadStep step() {
            if (!grown) {
                ReadStep growing = growStep();
                if (growing != null) {
                    return growing;
                }
            }
            while (chunk < data.chunks()) {
                long page = data.firstPage() + chunk;
                if (begin == null) {
                    if (reads.beingRead(page)) {
                        return new ReadStep.AwaitReads(List.of()); // stepped again when a read ends
                    }
                    begin = new WriteBegin(cache, mapper, page, data.from(chunk), data.to(chunk), data.shared(chunk));
                }
                long dirtyBefore = cache.dirtyPages();
                ReadStep step = begin.step();
                pagesDirtied += Math.max(0, cache.dirtyPages() - dirtyBefore);
                if (!(step instanceof ReadStep.Done)) {
                    return step;
                }
                tracker.applied(ticket, page, cache.slot(page));
                bytesApplied += data.to(chunk) - data.from(chunk);
                data.release(chunk);
                begin = null;
                chunk++;
            }
            return new ReadStep.Done(List.of());
        }

        /** Steps the grow to the write's offset, if one is needed: {@code null} once it is done. */
        private ReadStep growStep() {
            if (grow == null) {
                long size = cache.size();
                if (data.offset() <= size || size % cache.pageSize() == 0) {
                    grown = true;
                    return null;
                }
                grow = new TruncateOp(cache, mapper, reads, data.offset());
            }
            ReadStep step = grow.step();
            if (!(step instanceof ReadStep.Done done)) {
                return step;
            }
            grown = true;
            grow = null;
            // Readahead the edge read started: submitted now, and this write stepped again after a completion.
            return done.bios().isEmpty() ? null : new ReadStep.AwaitReads(done.bios());
        }

        /** The write being applied, with where its answer goes. */
        WriteQueue.Entry entry() {
            return entry;
        }

        /** The handle it goes through. */
        InodeFile.OpenFile handle() {
            return handle;
        }

        /** Its durability ticket. */
        DurabilityTracker.Ticket ticket() {
            return ticket;
        }

        /** Bytes copied into the cache so far: the whole write once it is done. */
        int bytesApplied() {
            return bytesApplied;
        }

        /** Pages this write turned from clean to dirty (the throttle's count). */
        long pagesDirtied() {
            return pagesDirtied;
        }
    }

    /** A read of cached or device data through the file's {@link FileReads}. */
    static final class ReadOp implements Op {
        private final FileReads.Read read;

        ReadOp(FileReads reads, ReadaheadWindow window, long offset, int length) {
            this.read = reads.read(window, offset, length);
        }

        @Override
        public ReadStep step() {
            return read.step();
        }

        /** The bytes read, once the read is done: a fresh read-only heap buffer. */
        ByteBuffer result() {
            ByteBuffer out = ByteBuffer.allocate(read.length());
            read.copyTo(out);
            return out.flip().asReadOnlyBuffer();
        }
    }

    /**
     * A change of the file's size through {@link Truncation}: it waits for the writeback of the
     * page holding the edge as an {@code AwaitReads} without bios, reads that page through the
     * file's reads when it must (U1), and reads a map block when the layout needs one to free blocks
     * (U3, ext2). It starts only once no read of the file is in flight (the page lock): a read
     * would fill the memory of a page the truncate zeroes or frees.
     */
    static final class TruncateOp implements Op {
        private final PageCache cache;
        private final Truncation truncation;
        private final FileReads reads;
        private FileReads.Read edgeRead;
        private final List<Bio> carried = new ArrayList<>();
        private boolean started;

        TruncateOp(PageCache cache, BlockMapper mapper, FileReads reads, long newSize) {
            this.cache = cache;
            this.truncation = new Truncation(cache, mapper, newSize);
            this.reads = reads;
        }

        @Override
        public ReadStep step() {
            if (!started) {
                if (reads.anyBeingRead()) {
                    return new ReadStep.AwaitReads(List.of()); // stepped again when a read ends
                }
                started = true;
            }
            while (true) {
                if (edgeRead != null) {
                    ReadStep read = edgeRead.step();
                    if (!(read instanceof ReadStep.Done done)) {
                        return withCarried(read);
                    }
                    carried.addAll(done.bios()); // readahead beyond the edge, if any
                    edgeRead = null;
                }
                Optional<WriteNeed> need;
                try {
                    need = truncation.step();
                } catch (MetadataNeededException e) {
                    return new ReadStep.ReadMetadata(takeCarried(), e.block());
                }
                if (need.isEmpty()) {
                    return new ReadStep.Done(takeCarried());
                }
                if (need.get() instanceof WriteNeed.ReadPage readPage) {
                    int pageSize = cache.pageSize();
                    edgeRead = reads.read(new ReadaheadWindow(1), readPage.pageIndex() * pageSize, pageSize);
                    continue;
                }
                // WaitForWriteback: the page's write completes as an I/O of this file.
                return new ReadStep.AwaitReads(takeCarried());
            }
        }

        private ReadStep withCarried(ReadStep step) {
            if (carried.isEmpty()) {
                return step;
            }
            List<Bio> bios = takeCarried();
            bios.addAll(step.bios());
            if (step instanceof ReadStep.ReadMetadata m) {
                return new ReadStep.ReadMetadata(bios, m.block());
            }
            if (step instanceof ReadStep.Failed f) {
                return new ReadStep.Failed(bios, f.errno());
            }
            return new ReadStep.AwaitReads(bios);
        }

        private List<Bio> takeCarried() {
            List<Bio> bios = new ArrayList<>(carried);
            carried.clear();
            return bios;
        }
    }
}
