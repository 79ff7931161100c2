package dev.writebackd.mpage;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import dev.writebackd.page.BufferState;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies a finished read bio of {@link PageReader} or {@link WriteBegin} to the page cache.
 *
 * <p>A page-wide segment (R13): on error the page is marked in error and stays not uptodate, else
 * it becomes uptodate. A readahead page's failure is reported to no one (R1): the page simply stays
 * not uptodate, and a later real read ({@link PageReader#readPage}) retries it. A single-block read
 * of a page with buffers (B6, S6): the block becomes uptodate, or the page is marked in error; when
 * the page's last block read ends, the page becomes uptodate if every block is and no error was seen.
 *
 * <p>Stateless; called by the page cache's owner.
 */
public final class ReadCompletion {
    private ReadCompletion() {}

    /**
     * Applies {@code bio}'s result.
     *
     * @param error {@code null} on success, else the error that failed the whole bio
     * @return the pages of the bio whose reads have all ended (uptodate, or in error), in bio order
     */
    public static List<Long> complete(PageCache cache, Bio bio, Errno error) {
        requireNonNull(cache, "cache");
        requireNonNull(bio, "bio");
        if (bio.op() != BioOp.READ || bio.inode() != cache.inode()) {
            throw new IllegalArgumentException("not a read of inode " + cache.inode() + ": " + bio);
        }
        List<Long> ended = new ArrayList<>(bio.segments().size());
        for (Segment segment : bio.segments()) {
            long index = segment.pageIndex();
            if (index == Segment.NO_PAGE || !cache.contains(index) || cache.slot(index) != segment.slot()) {
                continue;
            }
            long[] buffers = cache.buffers(index);
            int block = buffers == null ? -1 : inFlightBlock(cache, buffers, bio);
            if (block < 0) {
                cache.setFlag(index, error == null ? PageFlags.UPTODATE : PageFlags.ERROR, true);
                ended.add(index);
            } else if (blockEnded(cache, index, buffers, block, error)) {
                ended.add(index);
            }
        }
        return ended;
    }

    /** The buffer whose in-flight read is {@code bio}, or -1 if the bio reads the page as a whole. */
    private static int inFlightBlock(PageCache cache, long[] buffers, Bio bio) {
        long physical = bio.startSector() / (cache.blockSize() / BlockDevice.SECTOR_SIZE);
        for (int i = 0; i < buffers.length; i++) {
            long state = buffers[i];
            if (BufferState.has(state, BufferState.MAPPED) && BufferReader.readInFlight(state)
                    && BufferState.block(state) == physical) {
                return i;
            }
        }
        return -1;
    }

    /** Settles one block; {@code true} if it was the page's last block read in flight. */
    private static boolean blockEnded(PageCache cache, long index, long[] buffers, int block, Errno error) {
        buffers[block] &= ~BufferState.IN_FLIGHT;
        if (error == null) {
            buffers[block] |= BufferState.UPTODATE;
        } else {
            buffers[block] &= ~BufferState.UPTODATE;
            cache.setFlag(index, PageFlags.ERROR, true);
        }
        boolean allUptodate = true;
        for (long state : buffers) {
            if (BufferReader.readInFlight(state)) {
                return false;
            }
            allUptodate &= BufferState.has(state, BufferState.UPTODATE);
        }
        if (allUptodate && !cache.has(index, PageFlags.ERROR)) {
            cache.setFlag(index, PageFlags.UPTODATE, true);
        }
        return true;
    }
}
