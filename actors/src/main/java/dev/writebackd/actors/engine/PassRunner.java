package dev.writebackd.actors.engine;

import static java.util.Objects.requireNonNull;

import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockMapper;
import dev.writebackd.layout.MetadataBuffers;
import dev.writebackd.mpage.SubmittedBio;
import dev.writebackd.mpage.WriteNeed;
import dev.writebackd.mpage.WritePagesReply;
import dev.writebackd.mpage.WritePagesRequest;
import dev.writebackd.mpage.WritebackPass;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PageFlags;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * One file's writeback passes, run one at a time in the order they were asked for (the
 * coordinator's chunks, fsync's and sync's passes): each {@link WritebackPass} is stepped until it
 * needs something, its bios and errors handed to the owner at every step (W11: one submit per
 * step), and resumed once the need is met.
 *
 * <p>A need for a page's writeback is met when the page is no longer under writeback: the owner
 * calls {@link #resume()} after each completion. Map-block reads and in-flight map-block writes
 * are the owner's to meet ({@link Io}). Mutable, single-threaded: owned by the inode actor.
 *
 * @param <O> what asked for a pass, handed back when it is done
 */
final class PassRunner<O> {

    /** What the runner needs from its owner. */
    interface Io<O> {
        /** Submits one step's bios, together. */
        void submit(List<SubmittedBio> bios);

        /** Records one step's errors for the file (E2, C7). */
        void errors(List<Errno> errors);

        /** Whether map block {@code block} is cached; if not, starts reading it and resumes later. */
        boolean metadataReady(long block);

        /** Whether no write of map block {@code block} is in flight; if one is, resumes later. */
        boolean metadataWriteDone(long block);

        /** The pass asked for by {@code origin} is done, with {@code reply}. */
        void done(O origin, WritePagesReply reply);
    }

    private record Job<O>(WritePagesRequest request, O origin) {}

    private final PageCache cache;
    private final BlockMapper mapper;
    private final MetadataBuffers metadata;
    private final int maxSegments;
    private final Io<O> io;
    private final Deque<Job<O>> queue = new ArrayDeque<>();
    private WritebackPass pass;
    private Job<O> job;
    private WriteNeed need;
    private boolean held;

    PassRunner(PageCache cache, BlockMapper mapper, MetadataBuffers metadata, int maxSegments, Io<O> io) {
        this.cache = cache;
        this.mapper = mapper;
        this.metadata = metadata;
        this.maxSegments = maxSegments;
        this.io = requireNonNull(io, "io");
    }

    /** Queues a pass for {@code request}, and starts it if nothing is in the way. */
    void enqueue(WritePagesRequest request, O origin) {
        queue.addLast(new Job<>(requireNonNull(request, "request"), origin));
        startNext();
    }

    /** Forgets every pass, running or queued, and answers who asked for them (the owner failed). */
    List<O> drain() {
        List<O> origins = new java.util.ArrayList<>();
        if (job != null) {
            origins.add(job.origin());
        }
        queue.forEach(queued -> origins.add(queued.origin()));
        queue.clear();
        pass = null;
        job = null;
        need = null;
        return origins;
    }

    /** Whether passes are waiting to start. */
    boolean queued() {
        return !queue.isEmpty();
    }

    /** Whether a pass is in progress. */
    boolean running() {
        return pass != null;
    }

    /** Starts no new pass until {@link #release()} (a truncate waits for the one in progress, if any). */
    void hold() {
        held = true;
    }

    /** Lets queued passes run again. */
    void release() {
        held = false;
        startNext();
    }

    /** Goes on with the waiting pass if its need is met now (a completion, a map block read). */
    void resume() {
        if (pass != null && need != null && met(need)) {
            need = null;
            run();
            startNext();
        }
    }

    private void startNext() {
        while (pass == null && !queue.isEmpty() && !held) {
            job = queue.pollFirst();
            pass = new WritebackPass(cache, mapper, metadata, job.request(), maxSegments);
            run();
        }
    }

    private void run() {
        while (pass != null) {
            WritebackPass.Step step = pass.step();
            io.submit(step.bios());
            io.errors(step.errors());
            if (step.isDone()) {
                Job<O> done = job;
                pass = null;
                job = null;
                io.done(done.origin(), step.reply());
                return;
            }
            if (!met(step.need())) {
                need = step.need();
                return;
            }
        }
    }

    private boolean met(WriteNeed wanted) {
        if (wanted instanceof WriteNeed.Unplug) {
            return true; // the step's bios are submitted: go on at once, the device works meanwhile
        }
        if (wanted instanceof WriteNeed.WaitForWriteback wait) {
            return !cache.has(wait.pageIndex(), PageFlags.WRITEBACK);
        }
        if (wanted instanceof WriteNeed.ReadMetadata read) {
            return io.metadataReady(read.block());
        }
        if (wanted instanceof WriteNeed.WaitForMetadataWrite write) {
            return io.metadataWriteDone(write.block());
        }
        throw new IllegalStateException("a writeback pass cannot need " + wanted);
    }
}
