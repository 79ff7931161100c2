package dev.writebackd.mpage;

/**
 * What a write-side algorithm (page writer, writeback pass, truncation) needs before it can go on.
 *
 * <p>The caller first submits the bios the step returned, then meets the need asynchronously, then
 * calls the same object again; the algorithm retries exactly where it stopped (DESIGN "Engine
 * contracts").
 */
public sealed interface WriteNeed {

    /**
     * Page {@code pageIndex} is under writeback and must finish first: C3 in WB_SYNC_ALL, B3 in sync
     * mode, U1/U2 before a truncate changes or drops the page.
     *
     * @param pageIndex the page to wait for
     */
    record WaitForWriteback(long pageIndex) implements WriteNeed {}

    /**
     * The block mapper answered {@code NeedsMetadata}: read map block {@code block} into the
     * metadata cache. The open bio stays open; the page is retried afterwards.
     *
     * @param block the device block to read
     */
    record ReadMetadata(long block) implements WriteNeed {}

    /**
     * A block newly mapped to the file still has a metadata write in flight (B8): wait for it, so
     * the old metadata can never land over the new data.
     *
     * @param block the device block whose write must finish
     */
    record WaitForMetadataWrite(long block) implements WriteNeed {}

    /**
     * Truncate only (U1): page {@code pageIndex} holds the new end of file inside a block and must be
     * read (made uptodate) into the cache, so the tail past the new size can be zeroed on the device.
     *
     * @param pageIndex the page to read
     */
    record ReadPage(long pageIndex) implements WriteNeed {}

    /**
     * Writeback passes only: the step has closed a plug's worth of bios (see
     * {@link WritebackPass#UNPLUG_BIOS}, {@link WritebackPass#UNPLUG_BYTES}). Nothing is to be
     * waited for: submit them and step again at once, so the device starts on them while the pass
     * goes on (the kernel's plug is flushed the same way once it holds enough requests).
     */
    record Unplug() implements WriteNeed {}
}
