package dev.writebackd.block.fault;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.FileDevice;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Set;

/**
 * Rebuilds a device image from a write log ({@link WriteLogDevice}) as it stood at a flush: the
 * base image, then the logged writes, flushes and power cuts replayed in order through a
 * {@link VolatileCacheDevice} over the output image, stopping once flush {@code N} is done. Power
 * cuts are replayed with their recorded mode and seed, so they drop exactly the sectors they
 * dropped in the run (the replay checks the count). Flush 0 is the base image.
 *
 * <p>The output is a sparse file of the logged device's size; it is written under a temporary name
 * next to it and moved into place only when the replay succeeded, so a failed replay (a damaged
 * log, a flush the log does not reach) leaves any existing output untouched.
 *
 * <p>Stateless; safe to call from several threads on different outputs.
 */
public final class LogReplay {
    private LogReplay() {}

    /**
     * What a replay did.
     *
     * @param flushEpoch the flush the image stands at
     * @param writesApplied logged writes replayed
     * @param powerCuts power cuts replayed
     * @param sizeBytes the image's size
     */
    public record Result(long flushEpoch, long writesApplied, long powerCuts, long sizeBytes) {}

    /**
     * Writes the image at flush {@code toFlush} of the log at {@code log} to {@code out} (replacing
     * it if it exists).
     *
     * @throws IllegalArgumentException if {@code toFlush} is negative
     * @throws WriteLogException if the log is damaged, ends before that flush, or its power cuts do
     *     not replay as recorded
     * @throws IOException if the log cannot be read or the image written
     */
    public static Result replay(Path log, long toFlush, Path out) throws IOException {
        requireNonNull(log, "log");
        requireNonNull(out, "out");
        if (toFlush < 0) {
            throw new IllegalArgumentException("negative flush number " + toFlush);
        }
        Path absolute = out.toAbsolutePath();
        Path temp = absolute.resolveSibling("." + absolute.getFileName() + ".replay-tmp");
        Files.deleteIfExists(temp);
        boolean done = false;
        try (WriteLog reader = WriteLog.open(log)) {
            Result result;
            FileDevice image = FileDevice.open(temp, reader.blockSize(), reader.sizeBytes(), false);
            try (VolatileCacheDevice cache = new VolatileCacheDevice(image)) {
                result = replay(reader, toFlush, image, cache);
            }
            Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            done = true;
            return result;
        } finally {
            if (!done) {
                Files.deleteIfExists(temp);
            }
        }
    }

    private static Result replay(WriteLog reader, long toFlush, BlockDevice image, VolatileCacheDevice cache)
            throws IOException {
        long epoch = 0;
        long writes = 0;
        long cuts = 0;
        for (WriteLog.Record record = reader.next(); record != null; record = reader.next()) {
            if (record instanceof WriteLog.Data data && data.base()) {
                check(image.submit(write(data)), "writing the base image");
                continue;
            }
            if (toFlush == 0) {
                break; // the base image is complete
            }
            if (record instanceof WriteLog.Data data) {
                check(cache.submit(write(data)), "replaying a write");
                writes++;
            } else if (record instanceof WriteLog.Flush flush) {
                check(cache.submit(Bio.flush(Set.of())), "replaying flush " + flush.epoch());
                epoch = flush.epoch();
                if (epoch == toFlush) {
                    break;
                }
            } else if (record instanceof WriteLog.PowerCut cut) {
                PowerCutResult replayed = cache.powerCut(cut.mode(), cut.seed());
                cuts++;
                if (replayed.droppedSectors() != cut.droppedSectors()) {
                    throw new WriteLogException("the power cut after flush " + epoch + " (seed " + cut.seed()
                            + ") dropped " + replayed.droppedSectors() + " sectors in the replay but "
                            + cut.droppedSectors() + " in the run: the log does not sit right above the cache");
                }
            }
        }
        if (epoch != toFlush) {
            throw new WriteLogException("the log holds " + epoch + " flushes" + (reader.tornTail() ? " (its last record is torn)" : "")
                    + ", not " + toFlush);
        }
        return new Result(epoch, writes, cuts, reader.sizeBytes());
    }

    private static Bio write(WriteLog.Data data) {
        return new Bio(BioOp.WRITE, data.sector(),
                List.of(new Segment(ByteBuffer.wrap(data.data()), Segment.NO_PAGE, -1, -1)), Set.of(), 0);
    }

    private static void check(Errno errno, String what) throws IOException {
        if (errno != null) {
            throw new IOException(what + " into the output image failed: " + errno);
        }
    }
}
