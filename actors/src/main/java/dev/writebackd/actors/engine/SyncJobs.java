package dev.writebackd.actors.engine;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import dev.writebackd.mpage.SubmittedBio;
import dev.writebackd.mpage.WritePagesRequest;
import dev.writebackd.mpage.WritebackReason;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * One file's fsyncs and syncs, for its {@link InodeActor}, after their writeback pass: E1 in order
 * — wait for every write of the file in flight (the flusher's too), the map blocks under ext2,
 * report the handle's unseen error once (E3, E4), else flush the device and commit the metadata;
 * a sync never reports errors (E6). Also the automatic device flush that settles the durable
 * futures of written pages. Single-threaded (the actor's).
 */
final class SyncJobs {

    /** An fsync (with its handle) or a sync (handle -1, never reports errors), after its pass. */
    static final class SyncJob {
        final long handleId;
        final ActorRef<StatusReply<Done>> fsyncReplyTo;
        final ActorRef<Done> syncReplyTo;
        boolean mapBlocksWritten;

        SyncJob(long handleId, ActorRef<StatusReply<Done>> fsyncReplyTo, ActorRef<Done> syncReplyTo) {
            this.handleId = handleId;
            this.fsyncReplyTo = fsyncReplyTo;
            this.syncReplyTo = syncReplyTo;
        }

        boolean isFsync() {
            return fsyncReplyTo != null;
        }
    }

    private final InodeFile file;
    private final Map<Bio, SyncJob> fsyncFlushes = new IdentityHashMap<>();
    private final Map<SyncJob, List<DurabilityTracker.Ticket>> flushTickets = new IdentityHashMap<>();
    private final Map<SyncJob, Long> flushWritten = new IdentityHashMap<>();
    private List<DurabilityTracker.Ticket> autoFlush;
    /** The blocks the automatic flush makes durable (ordered mode), taken when it was asked for. */
    private long autoFlushWritten;
    private int commits;
    /** fsyncs whose metadata commit is running. */
    private final java.util.Set<SyncJob> committing = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

    SyncJobs(InodeFile file) {
        this.file = file;
    }

    void fsync(InodeActor.Fsync command) {
        if (!file.handles.containsKey(command.handleId())) {
            command.replyTo().tell(StatusReply.error(InodeFile.badHandle(command.handleId())));
            return;
        }
        retryNow();
        file.passes.enqueue(WritePagesRequest.syncAll(WritebackReason.FSYNC),
                new SyncJob(command.handleId(), command.replyTo(), null));
    }

    void syncFile(InodeActor.SyncFile command) {
        retryNow();
        file.passes.enqueue(WritePagesRequest.syncAll(WritebackReason.SYNC), new SyncJob(-1, null, command.replyTo()));
    }

    /** Whether no fsync waits for a flush or a commit and no automatic flush is asked for. */
    boolean idle() {
        return fsyncFlushes.isEmpty() && autoFlush == null && commits == 0;
    }

    /** Pages waiting for a {@code redirty} retry are written now: fsync, sync and shutdown don't wait for backoffs. */
    private void retryNow() {
        file.failedPages.retryNow();
        file.reportDirty();
    }

    /** Every write of the file in flight when the pass (or the map-block writes) ended has completed. */
    void writebackWaited(SyncJob job) {
        if (!job.mapBlocksWritten && writeMapBlocks(job)) {
            return; // comes back here once they are written
        }
        if (!job.isFsync()) {
            job.syncReplyTo.tell(Done.getInstance());
            return;
        }
        InodeFile.OpenFile handle = file.handles.get(job.handleId);
        if (handle == null) {
            job.fsyncReplyTo.tell(StatusReply.error(InodeFile.badHandle(job.handleId)));
            return;
        }
        Errno unseen = handle.fileErrors.checkAndAdvance(); // E3, E4: once per handle
        if (unseen != null) {
            job.fsyncReplyTo.tell(StatusReply.error(new ErrnoException(unseen, "writeback of the file failed")));
            return;
        }
        Optional<Map.Entry<Long, Errno>> held = file.failedPages.firstHeld();
        if (held.isPresent()) {
            job.fsyncReplyTo.tell(StatusReply.error(new ErrnoException(held.get().getValue(), file.failedPages.held()
                    + " pages failed to write and are held, the first at byte "
                    + held.get().getKey() * file.cache.pageSize())));
            return;
        }
        Bio flush = Bio.flush(Set.of(BioFlag.SYNC));
        fsyncFlushes.put(flush, job);
        List<DurabilityTracker.Ticket> tickets = file.durability.takeWritten();
        if (autoFlush != null) {
            tickets.addAll(autoFlush); // waiting for the periodic commit: this fsync's commit covers them too
        }
        flushTickets.put(job, tickets);
        flushWritten.put(job, file.device.layout().takeWritten());
        file.io.submitFlush(flush);
    }

    /**
     * ext2's fsync writes the dirty map blocks after the data and waits for them, before the flush
     * (DESIGN "Persistence"); their errors are the file's. The metadata cache is the device's, so
     * every dirty map block goes, not only this file's.
     *
     * @return {@code true} if writes are in flight and the job waits for them
     */
    private boolean writeMapBlocks(SyncJob job) {
        job.mapBlocksWritten = true;
        if (file.device.metadataCache() == null) {
            return false;
        }
        List<SubmittedBio> writes = new ArrayList<>();
        for (long block : file.device.metadataCache().dirtyBlocks()) {
            Bio bio = file.device.metadataCache().writeIfDirty(block);
            if (bio != null) {
                writes.add(SubmittedBio.metadata(bio));
            }
        }
        file.io.submitWrites(writes);
        return !file.waits.await(job); // also the boundary map blocks written behind the data meanwhile (W9)
    }

    /** fsync's device flush {@code flush} ended with {@code error} ({@code null} if it succeeded). */
    void flushed(Bio flush, Errno error) {
        SyncJob job = fsyncFlushes.remove(flush);
        file.device.layout().flushed(flushWritten.remove(job), error == null); // ordered mode: now committable
        if (error != null) {
            DurabilityTracker.flushed(flushTickets.remove(job), error);
            fsyncFailed(job, "the device flush failed: " + error);
            return;
        }
        file.reportSize();
        commits++;
        committing.add(job);
        file.context.pipeToSelf(file.device.committer().commit(file.inode),
                (ok, failure) -> new InodeActor.CommitDone(job, failure));
    }

    /** The metadata commit of fsync {@code job} ended, with {@code failure} if it failed. */
    void committed(SyncJob job, Throwable failure) {
        DurabilityTracker.flushed(flushTickets.remove(job), failure == null ? null : Errno.EIO);
        commits--;
        committing.remove(job);
        if (failure != null) {
            file.context.getLog().warn("Metadata commit of inode {} failed", file.inode, failure);
            fsyncFailed(job, "committing the file's metadata failed");
        } else {
            job.fsyncReplyTo.tell(StatusReply.success(Done.getInstance()));
        }
    }

    /** E1 (ours): a failed flush or commit fails this fsync and is recorded so every handle learns of it. */
    private void fsyncFailed(SyncJob job, String why) {
        file.errseq.set(Errno.EIO);
        file.device.deviceErrseq().set(Errno.EIO);
        InodeFile.OpenFile handle = file.handles.get(job.handleId);
        if (handle != null) {
            handle.fileErrors.checkAndAdvance(); // reported to this caller now, so not again
        }
        job.fsyncReplyTo.tell(StatusReply.error(new ErrnoException(Errno.EIO, why)));
    }

    /** Settles durable futures whose pages are all written with the next device flush. */
    void requestFlushForDurability() {
        if (autoFlush == null && file.durability.hasWritten()) {
            autoFlush = file.durability.takeWritten();
            autoFlushWritten = file.device.layout().takeWritten();
            file.device.awaitDurable(file.flushed, DurabilityTracker.urgent(autoFlush));
        } else if (autoFlush != null && file.durability.hasUrgentWritten()) {
            file.device.awaitDurable(file.flushed, true); // a synced write: hurry the commit asked for
        }
    }

    /** The automatic flush ended with {@code error} ({@code null} if it succeeded). */
    void autoFlushed(Errno error) {
        if (error != null) {
            file.errseq.set(Errno.EIO);
        }
        file.device.layout().flushed(autoFlushWritten, error == null); // committable before the futures complete
        DurabilityTracker.flushed(autoFlush, error);
        autoFlush = null;
        requestFlushForDurability();
    }

    /**
     * The actor failed: every fsync waiting here fails with {@code error}, every sync ends (E6),
     * and every write's durable future fails.
     *
     * @param passOrigins who asked for the passes the actor was running or had queued
     */
    void failAll(List<Object> passOrigins, Errno error, String why) {
        List<SyncJob> jobs = new ArrayList<>(file.waits.drain());
        jobs.addAll(fsyncFlushes.values());
        jobs.addAll(committing);
        fsyncFlushes.clear();
        committing.clear();
        for (Object origin : passOrigins) {
            if (origin instanceof SyncJob job) {
                jobs.add(job);
            } else if (origin instanceof Flushing.WritePages chunk) {
                chunk.replyTo().tell(new Flushing.ChunkWritten(file.inode, new dev.writebackd.mpage.WritePagesReply(
                        0, chunk.request().nrToWrite(), 0, false, null)));
            }
        }
        for (SyncJob job : jobs) {
            if (job.isFsync()) {
                job.fsyncReplyTo.tell(StatusReply.error(new ErrnoException(error, why)));
            } else {
                job.syncReplyTo.tell(Done.getInstance());
            }
        }
        flushTickets.values().forEach(tickets -> DurabilityTracker.abandon(tickets, error, why));
        flushTickets.clear();
        abandonAutoFlush(error, why);
        file.durability.failAll(error, why);
    }

    /** Fails the durable futures waiting for the automatic flush (the file is going away). */
    void abandonAutoFlush(Errno errno, String why) {
        if (autoFlush != null) {
            DurabilityTracker.abandon(autoFlush, errno, why);
        }
    }
}
