package dev.writebackd.actors.engine;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import dev.writebackd.mpage.SubmittedBio;
import dev.writebackd.mpage.WriteCompletion;
import dev.writebackd.mpage.WritePagesReply;
import dev.writebackd.page.PageFlags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One file's writeback, for its {@link InodeActor}: the passes' view of the file
 * ({@link PassRunner.Io}), what happens when a pass is done, and the completion actor's batched
 * ends of writeback — pages' writeback ended ({@link WriteCompletion}), the error policy's verdicts
 * applied, boundary map blocks written behind their data (W9, B7), and whatever waited woken.
 * Single-threaded (the actor's).
 */
final class InodeWriteback {
    private final InodeFile file;
    private final PassIo passIo = new PassIo();

    InodeWriteback(InodeFile file) {
        this.file = file;
    }

    /** What the pass runner needs from the file. */
    PassRunner.Io<Object> passIo() {
        return passIo;
    }

    /** A coordinator's chunk: queued behind the passes already asked for. */
    void writePages(Flushing.WritePages command) {
        file.passes.enqueue(command.request(), command);
    }

    /** A batch of the file's writes ended (completion actor). */
    void writesEnded(CompletionActor.WritesEnded message) {
        long ended = 0;
        List<SyncJobs.SyncJob> waited = new ArrayList<>();
        List<Long> retries = new ArrayList<>();
        Duration retryAfter = Duration.ZERO;
        for (CompletionActor.EndedWrite write : message.writes()) {
            file.failedPages.failed(write.verdicts());
            WriteCompletion.Completed completed =
                    WriteCompletion.complete(file.cache, file.metadata, write.bio(), write.error());
            Bio data = write.bio().bio();
            if (write.error() == null && !data.flags().contains(BioFlag.META)) {
                long blockSize = file.device.layout().blockSize();
                file.device.layout().written(file.inode, data.startSector() * BlockDevice.SECTOR_SIZE / blockSize,
                        data.lengthBytes() / blockSize);
            }
            if (completed.boundaryWrite() != null) {
                file.io.submitWrites(List.of(completed.boundaryWrite())); // W9, B7: behind its data
            }
            for (Segment segment : data.segments()) {
                long page = segment.pageIndex();
                if (page != Segment.NO_PAGE && file.cache.contains(page)
                        && !file.cache.has(page, PageFlags.WRITEBACK)) {
                    ended++;
                    Optional<Duration> backoff = file.failedPages.ended(page);
                    if (backoff.isPresent()) {
                        retries.add(page);
                        retryAfter = backoff.get().compareTo(retryAfter) > 0 ? backoff.get() : retryAfter;
                    }
                }
            }
            waited.addAll(file.waits.ended(data));
        }
        if (!retries.isEmpty()) {
            file.timers.startSingleTimer(file.nextTimerKey(), new InodeActor.RetryDue(retries), retryAfter);
        }
        if (ended > 0) {
            file.ages.cleaned();
            file.device.coordinator().tell(new Flushing.WritebackEnded(file.inode, ended)); // F5
        }
        waited.forEach(file.syncs::writebackWaited);
        file.syncs.requestFlushForDurability();
        file.io.resumeWaiting();
        file.reportDirty();
    }

    /** The {@code redirty} backoff of {@code pages} is over: they are dirty again. */
    void retryDue(List<Long> pages) {
        file.failedPages.retryDue(pages);
        file.reportDirty();
    }

    private void passDone(Object origin, WritePagesReply reply) {
        if (origin instanceof Flushing.WritePages chunk) {
            chunk.replyTo().tell(new Flushing.ChunkWritten(file.inode, reply));
        } else if (origin instanceof SyncJobs.SyncJob sync && file.waits.await(sync)) {
            file.syncs.writebackWaited(sync);
        }
        file.reportDirty();
        file.stash.wantReplay();
        file.ops.startTruncateIfIdle();
    }

    /** The pass runner's view of the file. */
    private final class PassIo implements PassRunner.Io<Object> {
        @Override
        public void submit(List<SubmittedBio> bios) {
            file.io.submitWrites(bios);
        }

        @Override
        public void errors(List<Errno> errors) {
            file.recordErrors(errors);
        }

        @Override
        public boolean metadataReady(long block) {
            return file.io.readMetadata(block);
        }

        @Override
        public boolean metadataWriteDone(long block) {
            return file.io.metadataWriteDone(block);
        }

        @Override
        public void done(Object origin, WritePagesReply reply) {
            passDone(origin, reply);
        }
    }
}
