package dev.writebackd.actors.engine;

import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import dev.writebackd.page.PageFlags;
import java.util.function.BiConsumer;
import org.slf4j.Logger;

/**
 * What an {@link InodeActor} that failed (an unexpected exception) leaves behind. It is not
 * restarted, since a fresh actor would silently drop the dirty pages; instead every pending request
 * fails with EIO, writes' durable futures fail, the error is recorded in the device's errseq
 * (syncfs reports it), the pages not under writeback go back to the pool, and the next open starts a
 * new actor from the file's metadata. Pages under writeback when it failed keep their pool slots.
 */
final class InodeFailure {
    private InodeFailure() {}

    /**
     * Cleans up after the failed actor of {@code file}, on its thread (its PostStop).
     *
     * @param refuse answers a stashed command with an error
     */
    static void failed(InodeFile file, Logger log, BiConsumer<InodeActor.Command, ErrnoException> refuse) {
        long lost = file.cache.dirtyPages() + file.failedPages.held();
        log.error("The actor of file {} failed: its pending requests fail with EIO, {} pages of unwritten data are lost",
                file.inode, lost);
        String why = "the actor of file " + file.inode + " failed; " + lost + " unwritten pages are lost";
        ErrnoException error = new ErrnoException(Errno.EIO, why);
        file.stopping = true;
        file.errseq.set(Errno.EIO);
        file.device.deviceErrseq().set(Errno.EIO);
        file.ops.failAll(error);
        file.syncs.failAll(file.passes.drain(), Errno.EIO, why);
        file.throttle.releaseAll();
        file.stash.forEach(command -> refuse.accept(command, error));
        for (long page = file.cache.next(0, Long.MAX_VALUE, 0); page >= 0;
                page = file.cache.next(page + 1, Long.MAX_VALUE, 0)) {
            if (!file.cache.has(page, PageFlags.WRITEBACK)) {
                file.cache.remove(page);
            }
        }
        file.ages.clear();
        file.device.cacheBudget().unregister(file.inode);
        file.device.completions().tell(new CompletionActor.Unregister(file.inode));
        if (file.dirtyReported) {
            file.device.coordinator().tell(new Flushing.InodeClean(file.inode));
        }
    }
}
