package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockMapper;
import dev.writebackd.layout.MetadataBuffers;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.util.List;

/**
 * One writeback pass over a file ({@code mpage_writepages} with {@code write_cache_pages}, C1–C7,
 * W11): chooses the dirty pages of one request and hands them to a {@link PageWriter}.
 *
 * <p>Constructing a pass starts it: TOWRITE tagging (C2) happens here, once, so resuming never
 * re-tags, and the unmapped blocks of the pages it will write are reserved in contiguous runs
 * (delayed allocation). {@link #step()} then runs until the pass is done or needs something; the
 * caller submits the step's bios (in order, together: one plug, W11), records its errors, meets its
 * need and calls {@code step()} again. A long pass also ends a step once it has closed a plug's
 * worth of bios ({@link WriteNeed.Unplug}, met at once), so the device writes them while the pass
 * goes on rather than wait for the whole pass. While a pass waits, the pages of its open bio are under
 * writeback: the owner must not truncate the file before the pass is done.
 *
 * <p>Single-threaded and stateful (the scan cursor, the page being written, the open bio): owned by
 * the actor that owns the file's {@link PageCache}, one pass per file at a time.
 */
public final class WritebackPass {
    /** A step ends with {@link WriteNeed.Unplug} once it has closed this many bios (the kernel's plug limit)... */
    public static final int UNPLUG_BIOS = 32;
    /** ...or bios of this many bytes in all (4 MiB: four full bios of 256 pages of 4 KiB). */
    public static final long UNPLUG_BYTES = 4L << 20;

    private final PageCache cache;
    private final BlockMapper mapper;
    private final PageWriter writer;
    private final boolean syncAll;
    private final boolean cyclic;
    private final boolean rangeWhole;
    private final int tag;
    private final long end;
    private final boolean idle;
    private long index;
    private long doneIndex;
    private long current = -1;
    private long nrToWrite;
    private long pagesWritten;
    private long pagesSkipped;
    private Errno firstError;
    private boolean finished;

    /**
     * What one {@link #step()} produced: bios to submit now, in order, and errors recorded for the
     * mapping (E2, C7), then either a need to meet before the next step or the pass's reply.
     *
     * @param bios bios to submit before anything else
     * @param errors errors for the file's errseq, in the order they happened
     * @param need what to do before calling {@code step()} again, or {@code null} when done
     * @param reply the pass's result once done, else {@code null}
     */
    public record Step(List<SubmittedBio> bios, List<Errno> errors, WriteNeed need, WritePagesReply reply) {
        /** Freezes the lists; exactly one of need and reply is set. */
        public Step {
            bios = List.copyOf(bios);
            errors = List.copyOf(errors);
            if ((need == null) == (reply == null)) {
                throw new IllegalArgumentException("a step ends with either a need or a reply");
            }
        }

        /** {@code true} once the pass has finished. */
        public boolean isDone() {
            return reply != null;
        }
    }

    /** A pass with up to {@link Bio#MAX_SEGMENTS} pages per bio. */
    public WritebackPass(PageCache cache, BlockMapper mapper, MetadataBuffers metadata, WritePagesRequest request) {
        this(cache, mapper, metadata, request, Bio.MAX_SEGMENTS);
    }

    /**
     * Starts a pass for {@code request} over {@code cache}'s file.
     *
     * @param maxSegments the most pages per bio (the configured max-bio-segments)
     */
    public WritebackPass(PageCache cache, BlockMapper mapper, MetadataBuffers metadata, WritePagesRequest request,
            int maxSegments) {
        this.cache = requireNonNull(cache, "cache");
        this.mapper = requireNonNull(mapper, "mapper");
        requireNonNull(request, "request");
        this.writer = new PageWriter(cache, mapper, metadata, request.mode(), request.isBackground(), maxSegments);
        this.syncAll = request.mode() == SyncMode.ALL;
        this.cyclic = request.cyclic();
        this.nrToWrite = request.nrToWrite();
        // C1: a cyclic pass resumes at writebackIndex and runs to EOF; a ranged one covers its pages.
        this.index = cyclic ? cache.writebackIndex() : request.rangeStart();
        this.end = request.rangeEnd();
        this.rangeWhole = request.isWholeRange();
        this.doneIndex = index;
        this.idle = nrToWrite <= 0; // C5
        this.tag = request.tagsToWrite() ? PageFlags.TAG_TOWRITE : PageFlags.TAG_DIRTY;
        if (!idle) {
            if (request.tagsToWrite()) {
                cache.tagToWrite(index, end); // C2
            }
            reserve();
        }
    }

    /**
     * Runs the pass until it needs something or is done.
     *
     * @throws IllegalStateException if the pass is already done
     */
    public Step step() {
        if (finished) {
            throw new IllegalStateException("the pass over inode " + cache.inode() + " is done");
        }
        if (idle) {
            return finish(true);
        }
        writer.forgetMappedRun(); // the file may have changed while the pass waited
        while (true) {
            if (current < 0) {
                long page = cache.next(index, end, tag);
                if (page < 0) {
                    return finish(false);
                }
                doneIndex = page;
                Choice choice = choose(page);
                if (choice == Choice.WAIT) {
                    return needStep(new WriteNeed.WaitForWriteback(page));
                }
                index = page + 1;
                if (choice == Choice.SKIP) {
                    continue;
                }
                current = page;
            } else if (!cache.contains(current)) {
                current = -1; // truncated while the pass waited
                continue;
            }
            // S1; again after a wait, should the page have been written meanwhile: it goes out newest.
            cache.clearDirtyForIo(current);
            writer.mapAheadUpTo(syncAll || nrToWrite >= end - current ? end : current + nrToWrite - 1);
            PageWriter.Result result = writer.write(current);
            if (result.status() == PageWriter.Status.BLOCKED) {
                return needStep(result.need());
            }
            long page = current;
            current = -1;
            switch (result.status()) {
                case FAILED -> {
                    if (firstError == null) {
                        firstError = result.error();
                    }
                    if (!syncAll) {
                        doneIndex = page + 1; // C4: stop at once, this page not charged
                        return finish(true);
                    }
                }
                case WRITTEN -> pagesWritten++;
                case REDIRTIED -> pagesSkipped++;
                default -> { }
            }
            if (--nrToWrite <= 0 && !syncAll) {
                return finish(true); // C5
            }
            if (writer.closedBios() >= UNPLUG_BIOS || writer.closedBytes() >= UNPLUG_BYTES) {
                return needStep(new WriteNeed.Unplug());
            }
        }
    }

    /** C3's verdict on a tagged page. */
    private enum Choice { WRITE, SKIP, WAIT }

    /**
     * C3: a page no longer dirty is skipped; one under writeback is skipped in WB_SYNC_NONE (it
     * stays dirty for a later pass) and waited for in WB_SYNC_ALL.
     */
    private Choice choose(long page) {
        if (!cache.has(page, PageFlags.DIRTY)) {
            return Choice.SKIP;
        }
        if (cache.has(page, PageFlags.WRITEBACK)) {
            return syncAll ? Choice.WAIT : Choice.SKIP;
        }
        return Choice.WRITE;
    }

    /**
     * Delayed allocation: reserves the unmapped blocks of each run of consecutive pages the pass
     * will write (inside EOF, within nrToWrite), so they land contiguously however they were
     * written. A failed reservation is not an error here: map(create) then fails per page (W2, B5).
     */
    private void reserve() {
        long blocksInsideEof = (cache.size() + cache.blockSize() - 1) / cache.blockSize();
        if (blocksInsideEof == 0) {
            return;
        }
        long last = Math.min(end, (blocksInsideEof - 1) / cache.blocksPerPage());
        long budget = syncAll ? Long.MAX_VALUE : nrToWrite;
        int bits = tag | PageFlags.DIRTY;
        long runStart = -1;
        long runEnd = -1;
        for (long i = cache.next(index, last, bits); i >= 0 && budget-- > 0; i = cache.next(i + 1, last, bits)) {
            if (runStart < 0 || i != runEnd + 1) {
                reserveRun(runStart, runEnd, blocksInsideEof);
                runStart = i;
            }
            runEnd = i;
        }
        reserveRun(runStart, runEnd, blocksInsideEof);
    }

    private void reserveRun(long firstPage, long lastPage, long blocksInsideEof) {
        if (firstPage >= 0) {
            long firstBlock = firstPage * cache.blocksPerPage();
            long endBlock = Math.min((lastPage + 1) * cache.blocksPerPage(), blocksInsideEof);
            mapper.reserve(cache.inode(), firstBlock, endBlock - firstBlock);
        }
    }

    private Step needStep(WriteNeed need) {
        return new Step(writer.takeBios(), writer.takeErrors(), need, null);
    }

    /** W11 and C6: submits the last open bio, stores writebackIndex, answers. */
    private Step finish(boolean stopped) {
        finished = true;
        writer.submitOpen();
        if (cyclic && !stopped) {
            doneIndex = 0; // ran off the end: the next cyclic pass starts over
        }
        if (!idle && (cyclic || (rangeWhole && nrToWrite > 0))) {
            cache.setWritebackIndex(doneIndex);
        }
        boolean stillDirty = cache.dirtyPages() > 0;
        WritePagesReply reply = new WritePagesReply(pagesWritten, nrToWrite, pagesSkipped, stillDirty, firstError);
        return new Step(writer.takeBios(), writer.takeErrors(), null, reply);
    }
}
