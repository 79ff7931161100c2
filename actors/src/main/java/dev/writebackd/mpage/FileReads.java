package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockMapper;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The read side of one file's page cache: what a read of {@code [offset, offset + length)} asks
 * for (the kernel's {@code filemap_read} with {@code page_cache_sync_ra} and
 * {@code page_cache_async_ra}).
 *
 * <p>Cached uptodate pages are served. At the first page that is not cached, the open file's
 * {@link ReadaheadWindow} says which pages to read (A1–A3); they are read with one
 * {@link PageReader#readahead} request, clipped at EOF, and the window's marker is set on the page
 * it names when that request reads it. Reaching a page that carries the marker clears it and reads
 * the next window ahead of the reader. A page that is not uptodate and not being read (a failed
 * readahead page, R1, or a page with buffers only partly uptodate) is read on its own
 * ({@link PageReader#readPage}, R14); if that read fails too, the read fails with EIO.
 *
 * <p>It keeps what outlives one read: the marked pages (the kernel's PG_readahead) and the read
 * bios in flight per page, so a page being read is waited for rather than read twice. Every read
 * bio of this file handed out by {@link Read#step()} must come back through {@link #complete}.
 *
 * <p>Mutable: single-threaded, owned by the actor that owns the page cache.
 */
public final class FileReads {
    private final PageCache cache;
    private final BlockMapper mapper;
    private final Set<Long> marked = new HashSet<>();
    private final Map<Long, Integer> biosInFlight = new HashMap<>();

    /** Read state for the file cached in {@code cache}, mapped by {@code mapper}. */
    public FileReads(PageCache cache, BlockMapper mapper) {
        this.cache = requireNonNull(cache, "cache");
        this.mapper = requireNonNull(mapper, "mapper");
    }

    /**
     * Starts a read of {@code length} bytes at {@code offset}, cut at EOF, for an open file whose
     * readahead state is {@code window}. Nothing happens until {@link Read#step()}.
     */
    public Read read(ReadaheadWindow window, long offset, int length) {
        requireNonNull(window, "window");
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("bad read of " + length + " bytes at " + offset);
        }
        return new Read(window, offset, (int) Math.max(0, Math.min(length, cache.size() - offset)));
    }

    /**
     * Applies a finished read bio of this file ({@link ReadCompletion#complete}) and forgets it.
     *
     * @param error {@code null} on success, else the error that failed the whole bio
     * @return the pages whose reads have all ended
     */
    public List<Long> complete(Bio bio, Errno error) {
        List<Long> ended = ReadCompletion.complete(cache, requireNonNull(bio, "bio"), error);
        for (Segment segment : bio.segments()) {
            biosInFlight.computeIfPresent(segment.pageIndex(), (page, n) -> n == 1 ? null : n - 1);
        }
        return ended;
    }

    /** {@code true} if page {@code index} carries the async readahead marker. */
    public boolean marked(long index) {
        return marked.contains(index);
    }

    /** {@code true} while a read bio of page {@code index} is in flight. */
    public boolean beingRead(long index) {
        return biosInFlight.containsKey(index);
    }

    /** {@code true} while any read bio of this file is in flight. */
    public boolean anyBeingRead() {
        return !biosInFlight.isEmpty();
    }

    private void track(List<Bio> bios, List<Bio> into) {
        for (Bio bio : bios) {
            for (Segment segment : bio.segments()) {
                biosInFlight.merge(segment.pageIndex(), 1, Integer::sum);
            }
        }
        into.addAll(bios);
    }

    /** One read in progress: a resumable cursor over its pages. Single-threaded, like its owner. */
    public final class Read {
        private final ReadaheadWindow window;
        private final long offset;
        private final int length;
        private final long lastPage;
        private final Set<Long> reread = new HashSet<>();
        private long next;
        private boolean missed;
        private PageReader reader;
        private ReadStep finished;

        private Read(ReadaheadWindow window, long offset, int length) {
            this.window = window;
            this.offset = offset;
            this.length = length;
            this.next = offset / cache.pageSize();
            this.lastPage = (offset + length - 1) / cache.pageSize();
        }

        /** Bytes this read returns: the request cut at EOF. */
        public int length() {
            return length;
        }

        /**
         * Advances the read.
         *
         * @return {@link ReadStep.Done} once every page of the read is uptodate (its bios, if any, are
         *     readahead beyond it: submit them); {@link ReadStep.ReadMetadata} or
         *     {@link ReadStep.AwaitReads} to be met before stepping again; {@link ReadStep.Failed}
         *     with EIO if a page could not be read; once finished, every further call answers the
         *     same, without bios
         * @throws dev.writebackd.error.ErrnoException with ENOSPC if the page pool has no room for a
         *     page the read needs
         */
        public ReadStep step() {
            if (finished != null) {
                return finished;
            }
            List<Bio> bios = new ArrayList<>();
            while (true) {
                if (reader != null) {
                    ReadStep step = reader.step();
                    track(step.bios(), bios);
                    if (step instanceof ReadStep.ReadMetadata need) {
                        return new ReadStep.ReadMetadata(bios, need.block());
                    }
                    reader = null;
                }
                if (length == 0 || next > lastPage) {
                    if (!missed && length > 0) {
                        window.onCacheHit(offset / cache.pageSize(), (int) (lastPage - offset / cache.pageSize() + 1));
                    }
                    finished = new ReadStep.Done(List.of());
                    return new ReadStep.Done(bios);
                }
                long page = next;
                if (!cache.contains(page)) {
                    missed = true;
                    reader = readahead(window.onRead(page, (int) (lastPage - page + 1)));
                    if (reader == null || !reader.reads(page)) {
                        // The pool had no room for the window: read just this page, or fail.
                        reader = PageReader.readPage(cache, mapper, page);
                        reread.add(page);
                    }
                    continue;
                }
                if (marked.remove(page)) {
                    reader = readahead(window.onMarkedPage(page, firstMissAfter(page)));
                    if (reader != null) {
                        continue;
                    }
                }
                if (cache.has(page, PageFlags.UPTODATE)) {
                    next++;
                } else if (beingRead(page)) {
                    return new ReadStep.AwaitReads(bios);
                } else if (reread.add(page)) {
                    reader = PageReader.readPage(cache, mapper, page);
                } else {
                    finished = new ReadStep.Failed(Errno.EIO);
                    return new ReadStep.Failed(bios, Errno.EIO);
                }
            }
        }

        /**
         * Copies the read's bytes into {@code dst} (call after {@link ReadStep.Done}).
         *
         * @return the number of bytes copied: {@link #length()}
         */
        public int copyTo(ByteBuffer dst) {
            requireNonNull(dst, "dst");
            int pageSize = cache.pageSize();
            long position = offset;
            long end = offset + length;
            while (position < end) {
                long page = position / pageSize;
                int from = (int) (position % pageSize);
                int count = (int) Math.min(pageSize - from, end - position);
                dst.put(cache.data(page).slice(from, count));
                position += count;
            }
            return length;
        }

        /** A readahead request for {@code range} cut at EOF, with its marker set; or {@code null}. */
        private PageReader readahead(ReadaheadWindow.Range range) {
            if (range == null) {
                return null;
            }
            long eofPage = (cache.size() + cache.pageSize() - 1) / cache.pageSize();
            int size = (int) Math.min(range.size(), eofPage - range.start());
            if (size <= 0) {
                return null;
            }
            PageReader ahead = PageReader.readahead(cache, mapper, range.start(), size);
            if (range.hasMarker() && ahead.reads(range.markerIndex())) {
                marked.add(range.markerIndex());
            }
            return ahead;
        }

        private long firstMissAfter(long page) {
            long limit = page + window.maxPages() + 1;
            long miss = page + 1;
            while (miss < limit && cache.contains(miss)) {
                miss++;
            }
            return miss;
        }
    }
}
