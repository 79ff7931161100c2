package dev.writebackd.actors.engine;

import dev.writebackd.actors.io.BioDispatcher;
import dev.writebackd.actors.io.BioResult;
import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.Segment;
import dev.writebackd.mpage.SubmittedBio;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One file's device I/O, for its {@link InodeActor}: writes go to the completion actor (which
 * submits them and reports their ends), reads, map-block reads and flushes straight to the bio
 * actor, whose answers come back here. Never blocks; single-threaded (the actor's).
 */
final class InodeIo {
    /** How soon to look again at a map block another file is reading or writing. */
    static final Duration METADATA_POLL = Duration.ofMillis(2);

    private final InodeFile file;
    private final Set<Long> metadataReads = new HashSet<>();

    InodeIo(InodeFile file) {
        this.file = file;
    }

    /** Submits a step's writes together, noting them for fsync's waits and the durable futures. */
    void submitWrites(List<SubmittedBio> bios) {
        if (bios.isEmpty()) {
            return;
        }
        for (SubmittedBio bio : bios) {
            file.waits.submitted(bio.bio());
            for (Segment segment : bio.bio().segments()) {
                if (segment.pageIndex() != Segment.NO_PAGE) {
                    file.durability.submitted(segment.pageIndex(), segment.slot());
                }
            }
        }
        file.device.completions().tell(new CompletionActor.SubmitWrites(file.inode, bios));
    }

    /** Submits reads of the file's pages or map blocks; the pages read count as touched (readahead too). */
    void submitReads(List<Bio> bios) {
        if (bios.isEmpty()) {
            return;
        }
        for (Bio bio : bios) {
            long first = Long.MAX_VALUE;
            long last = -1;
            for (Segment segment : bio.segments()) {
                if (segment.pageIndex() != Segment.NO_PAGE) {
                    first = Math.min(first, segment.pageIndex());
                    last = Math.max(last, segment.pageIndex());
                }
            }
            file.ages.touch(first, last);
        }
        file.device.bios().tell(new BioDispatcher.Submit(bios, file.ioReplies));
    }

    /** Whether no map-block read of this file is in flight. */
    boolean idle() {
        return metadataReads.isEmpty();
    }

    /** Sends a device flush; its answer comes back through {@link #completed}. */
    void submitFlush(Bio flush) {
        file.device.bios().tell(new BioDispatcher.Submit(List.of(flush), file.ioReplies));
    }

    /**
     * Starts reading map block {@code block} into the metadata cache.
     *
     * @return {@code true} if it is cached already: go on at once
     */
    boolean readMetadata(long block) {
        if (file.device.metadataCache().lookup(block) != null) {
            return true;
        }
        Bio bio = file.device.metadataCache().readBio(block);
        if (bio != null) {
            metadataReads.add(block);
            submitReads(List.of(bio));
        } else if (!metadataReads.contains(block)) {
            pollMetadataLater(); // another file is reading it
        }
        return false;
    }

    /** Whether no write of map block {@code block} is in flight; if one is, looks again soon. */
    boolean metadataWriteDone(long block) {
        if (file.device.metadataCache() == null || !file.device.metadataCache().isWriteInFlight(block)) {
            return true;
        }
        pollMetadataLater();
        return false;
    }

    private void pollMetadataLater() {
        file.timers.startSingleTimer(InodeActor.MetadataPoll.INSTANCE, METADATA_POLL);
    }

    /** The bio actor's answers: flushes to fsync, map blocks to the metadata cache, data to the reads. */
    void completed(BioDispatcher.Completed completed) {
        for (BioResult result : completed.results()) {
            Bio bio = result.bio();
            if (bio.op() == BioOp.FLUSH) {
                file.syncs.flushed(bio, result.error());
            } else if (bio.flags().contains(BioFlag.META)) {
                long block = bio.segments().get(0).metaBlock();
                metadataReads.remove(block);
                file.device.metadataCache().readCompleted(block, result.succeeded());
            } else {
                file.reads.complete(bio, result.error());
            }
        }
        resumeWaiting();
    }

    /** Steps the pass and the page operation again: what they waited for may have arrived. */
    void resumeWaiting() {
        file.passes.resume();
        file.ops.runOp();
    }
}
