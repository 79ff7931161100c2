package dev.writebackd.mpage;

import static dev.writebackd.mpage.CoreDriver.PAGE;

import dev.writebackd.block.Bio;
import dev.writebackd.layout.ConsistencyProblem;
import dev.writebackd.layout.Extent;
import dev.writebackd.mpage.CoreDriver.Completion;
import dev.writebackd.mpage.CoreDriver.File;
import dev.writebackd.page.PageFlags;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * One seeded random run of the engine core against {@link FileModel}s, over several files: writes of
 * every shape, truncates, writeback passes of every kind (some doing other work while they wait,
 * the same file written among it), random reads and sequential scans, bios completed out of order,
 * evictions and commits of freed blocks — checked through the page cache after every writeback, and
 * from the device through cold caches after every full sync.
 *
 * <p>Everything random comes from the seed, so (layout, block size, completion mode, seed, ops)
 * replays a run exactly; a failure names them and the last operations.
 */
final class ModelRun {
    static final int FILES = 4;
    static final long DEVICE_BYTES = 64L << 20;
    private static final int CHECKPOINT_EVERY = 80;
    private static final int LOG_LINES = 60;
    /** Files grow past this only by the rare far writes. */
    private static final long SOFT_CAP = 512 << 10;

    final String layout;
    final int blockSize;
    final Completion completion;
    final long seed;
    final CoreDriver driver;
    private final Random random;
    private final FileModel[] models = new FileModel[FILES];
    private final long[] readCursor = new long[FILES];
    private final Deque<String> log = new ArrayDeque<>();
    /** The first byte mapped through ext2's double-indirect block: far writes land past it. */
    private final long far;
    private int op;
    private int checks;

    ModelRun(String layout, int blockSize, Completion completion, long seed) {
        this.layout = layout;
        this.blockSize = blockSize;
        this.completion = completion;
        this.seed = seed;
        this.random = new Random(seed * 1_000_003L + blockSize * 31L + layout.hashCode() + completion.ordinal());
        int maxSegments = random.nextBoolean() ? Bio.MAX_SEGMENTS : 2 + random.nextInt(6);
        this.driver = CoreDriver.onLayout(layout, blockSize, DEVICE_BYTES, completion, maxSegments);
        this.far = (12L + blockSize / 4) * blockSize;
        for (int i = 0; i < FILES; i++) {
            driver.addFile(11 + i);
            models[i] = new FileModel();
        }
    }

    /** Runs {@code ops} random operations with a checkpoint every so often and one at the end. */
    ModelRun run(int ops) {
        try {
            for (op = 1; op <= ops; op++) {
                step();
                checkSizesAndErrors();
                if (op % CHECKPOINT_EVERY == 0) {
                    checkpoint();
                }
            }
            op = ops;
            checkpoint();
        } catch (Throwable t) {
            throw new AssertionError(replay(), t);
        }
        return this;
    }

    /** Full-file comparisons made (through the cache and cold). */
    int checks() {
        return checks;
    }

    // ---- operations ----------------------------------------------------------------------------

    private void step() {
        int r = random.nextInt(100);
        if (r < 40) {
            write(random.nextInt(FILES), "");
        } else if (r < 48) {
            truncate(random.nextInt(FILES), "");
        } else if (r < 70) {
            writeback(random.nextInt(FILES), "", true);
        } else if (r < 74) {
            SyncMode mode = random.nextBoolean() ? SyncMode.ALL : SyncMode.NONE;
            note("writeback all files, " + mode);
            driver.writebackAll(mode);
            checkThroughCache();
        } else if (r < 84) {
            read(random.nextInt(FILES), "");
        } else if (r < 91) {
            complete();
        } else if (r < 95) {
            int f = random.nextInt(FILES);
            note("evict clean pages of f" + f + " and clean map blocks: " + driver.evictClean(driver.file(f), random)
                    + " pages");
            if (random.nextBoolean()) {
                readCursor[f] = below(models[f].size() / PAGE + 1) * PAGE;
                scan(f, "  then ");
            }
        } else {
            note("commit frees");
            driver.commitFrees();
        }
    }

    private void write(int f, String prefix) {
        FileModel m = models[f];
        long size = Math.min(m.size(), SOFT_CAP);
        int bpp = PAGE / blockSize;
        long offset;
        int length;
        int kind = random.nextInt(100);
        if (kind < 20) { // inside one block or two
            offset = below(size + blockSize);
            length = 1 + random.nextInt(blockSize - 1);
        } else if (kind < 35) { // across a page boundary
            offset = (1 + below(size / PAGE + 2)) * PAGE - 1 - below(blockSize);
            length = 2 + random.nextInt(PAGE + blockSize);
        } else if (kind < 50) { // append
            offset = m.size();
            length = 1 + random.nextInt(3 * PAGE);
        } else if (kind < 62) { // past EOF, leaving a hole
            offset = m.size() + 1 + below(16L * PAGE);
            length = 1 + random.nextInt(2 * PAGE);
        } else if (kind < 72) { // large, over many pages
            offset = below(size + 1);
            length = (16 << 10) + random.nextInt(160 << 10);
        } else if (kind < 82) { // whole blocks
            offset = below(size / blockSize + 2) * blockSize;
            length = blockSize * (1 + random.nextInt(2 * bpp + 1));
        } else if (kind < 92) { // whole pages
            offset = below(size / PAGE + 2) * PAGE;
            length = PAGE * (1 + random.nextInt(8));
        } else if (kind < 98) { // small, anywhere inside
            offset = below(size + 1);
            length = 1 + random.nextInt(600);
        } else { // far: ext2's double-indirect range
            offset = far + below(64 << 10);
            length = 1 + random.nextInt(3 * PAGE);
        }
        if (offset > far + (256 << 10)) {
            offset = below(size + 1);
        }
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        note(prefix + "write f" + f + " [" + offset + ", +" + length + ")");
        driver.write(driver.file(f), offset, bytes);
        m.write(offset, bytes);
    }

    private void truncate(int f, String prefix) {
        long size = models[f].size();
        long newSize;
        int kind = random.nextInt(100);
        if (size > SOFT_CAP || kind < 40) {
            newSize = below(Math.min(size, SOFT_CAP) + 1);
        } else if (kind < 55) {
            newSize = below(size / blockSize + 1) * blockSize;
        } else if (kind < 65) {
            newSize = below(size / PAGE + 1) * PAGE;
        } else if (kind < 90) {
            newSize = size + 1 + below(8L * PAGE);
        } else if (kind < 95) {
            newSize = 0;
        } else {
            newSize = size;
        }
        note(prefix + "truncate f" + f + " from " + size + " to " + newSize);
        driver.truncate(driver.file(f), newSize);
        models[f].truncate(newSize);
    }

    private void writeback(int f, String prefix, boolean mayInterleave) {
        File file = driver.file(f);
        long lastPage = models[f].size() / PAGE;
        long first = below(lastPage + 2);
        long last = first + below(24);
        WritePagesRequest request;
        int kind = random.nextInt(100);
        if (kind < 25) {
            request = new WritePagesRequest(SyncMode.NONE, 1 + random.nextInt(8), 0, 0, true, WritebackReason.PERIODIC,
                    false);
        } else if (kind < 40) {
            request = new WritePagesRequest(SyncMode.NONE, 1 + random.nextInt(16), first, last, false,
                    WritebackReason.BACKGROUND, false);
        } else if (kind < 50) {
            request = new WritePagesRequest(SyncMode.NONE, 1 + random.nextInt(32), 0, WritePagesRequest.WHOLE_FILE_END,
                    false, WritebackReason.BACKGROUND, true);
        } else if (kind < 65) {
            request = new WritePagesRequest(SyncMode.ALL, WritePagesRequest.UNLIMITED, first, last, false,
                    WritebackReason.SYNC, false);
        } else if (kind < 80) {
            request = WritePagesRequest.syncAll(WritebackReason.FSYNC);
        } else {
            request = new WritePagesRequest(SyncMode.NONE, WritePagesRequest.UNLIMITED, 0,
                    WritePagesRequest.WHOLE_FILE_END, false, WritebackReason.BACKGROUND, false);
        }
        boolean interleave = mayInterleave && random.nextInt(10) < 4;
        int[] written = {0};
        Consumer<WriteNeed> betweenSteps = need -> {
            if (interleave && random.nextBoolean()) {
                written[0] += whileWaiting(f, "  while the pass waits for " + need + ": ");
            }
        };
        note(prefix + "writeback f" + f + " " + describe(request) + (interleave ? ", other work while it waits" : ""));
        WritePagesReply reply = driver.writeback(file, request, betweenSteps);
        if (written[0] == 0 && request.mode() == SyncMode.ALL) {
            long dirty = file.cache.next(request.rangeStart(), request.rangeEnd(), PageFlags.DIRTY);
            if (dirty >= 0) {
                throw new AssertionError("C2 page " + dirty + " is still dirty after " + describe(request)
                        + " (" + reply + ")");
            }
        }
        if (written[0] == 0 && request.nrToWrite() == WritePagesRequest.UNLIMITED && request.isWholeRange()
                && completion == Completion.AT_ONCE && file.cache.dirtyPages() > 0) {
            throw new AssertionError(file.cache.dirtyPages() + " pages still dirty after " + describe(request));
        }
        checkThroughCache();
    }

    /**
     * Work the owners may do while a pass over file {@code f} waits: write or read {@code f}; write,
     * truncate, read or write back another file. Never truncate {@code f}: a waiting pass forbids it.
     *
     * @return 1 if {@code f} was written
     */
    private int whileWaiting(int f, String prefix) {
        int other = (f + 1 + random.nextInt(FILES - 1)) % FILES;
        switch (random.nextInt(6)) {
            case 0, 1 -> {
                write(f, prefix);
                return 1;
            }
            case 2 -> read(f, prefix);
            case 3 -> write(other, prefix);
            case 4 -> truncate(other, prefix);
            default -> writeback(other, prefix, false);
        }
        return 0;
    }

    /** A read at a random place or where the last one ended, or a sequential scan. */
    private void read(int f, String prefix) {
        if (random.nextInt(10) < 3) {
            scan(f, prefix);
            return;
        }
        long offset = random.nextBoolean() ? readCursor[f] : below(models[f].size() + PAGE);
        int length = random.nextInt(64 << 10);
        note(prefix + "read f" + f + " [" + offset + ", +" + length + ")");
        readAndCompare(f, offset, length);
    }

    /** A few reads of one size, each where the last ended: the readahead window grows (A2, A3). */
    private void scan(int f, String prefix) {
        int chunks = 2 + random.nextInt(5);
        int chunk = PAGE * (1 + random.nextInt(8));
        note(prefix + "scan f" + f + " from " + readCursor[f] + " in " + chunks + " reads of " + chunk);
        for (int i = 0; i < chunks; i++) {
            readAndCompare(f, readCursor[f], chunk);
        }
    }

    private void readAndCompare(int f, long offset, int length) {
        byte[] got = driver.read(driver.file(f), offset, length);
        compare("read of f" + f, offset, models[f].read(offset, length), got);
        readCursor[f] = offset + got.length;
    }

    private void complete() {
        if (random.nextInt(10) < 7) {
            int queued = driver.queued();
            note("complete some queued bios in any order: " + driver.completeSome(random) + " of " + queued);
        } else {
            note("complete all " + driver.queued() + " queued bios");
            driver.completeAll();
        }
    }

    // ---- checks --------------------------------------------------------------------------------

    private void checkSizesAndErrors() {
        if (!driver.metadataErrors().isEmpty()) {
            throw new AssertionError("map-block write errors without a fault: " + driver.metadataErrors());
        }
        for (int f = 0; f < FILES; f++) {
            if (!driver.file(f).errors.isEmpty()) {
                throw new AssertionError("f" + f + " errors without a fault: " + driver.file(f).errors);
            }
            // The recordings are for rule tests; a long run need not keep them.
            driver.file(f).submitted.clear();
            driver.file(f).needs.clear();
            if (driver.file(f).size() != models[f].size()) {
                throw new AssertionError("f" + f + " i_size " + driver.file(f).size() + ", model " + models[f].size());
            }
        }
    }

    /** Every file, whole, through the read path with a fresh handle. */
    private void checkThroughCache() {
        for (int f = 0; f < FILES; f++) {
            long size = models[f].size();
            byte[] got = driver.read(driver.file(f), new ReadaheadWindow(), 0, (int) size);
            compare("f" + f, 0, models[f].read(0, (int) size), got);
            checks++;
        }
    }

    /**
     * sync, the layout's consistency, no block shared by two files, no block mapped past EOF, then
     * cold caches and every file compared from the device, bytes past EOF in its last page zero.
     */
    private void checkpoint() {
        note("sync, check the layout, drop the caches, read everything from the device");
        driver.sync();
        if (driver.queued() != 0 || driver.ledger.dirtyPages() != 0 || driver.ledger.writebackPages() != 0) {
            throw new AssertionError("after sync: " + driver.queued() + " queued, " + driver.ledger.dirtyPages()
                    + " dirty, " + driver.ledger.writebackPages() + " under writeback");
        }
        checkSizesAndErrors();
        List<ConsistencyProblem> problems = driver.checkConsistency();
        if (!problems.isEmpty()) {
            throw new AssertionError("layout inconsistent: " + problems);
        }
        driver.owners();
        for (int f = 0; f < FILES; f++) {
            long eofBlock = (models[f].size() + blockSize - 1) / blockSize;
            for (Extent e : driver.extents(driver.file(f))) {
                if (e.logicalEnd() > eofBlock) {
                    throw new AssertionError("f" + f + " maps " + e + " past its EOF block " + eofBlock);
                }
            }
        }
        driver.dropCaches();
        checkThroughCache();
        for (int f = 0; f < FILES; f++) {
            long size = models[f].size();
            File file = driver.file(f);
            if (size % PAGE != 0) {
                ByteBuffer last = file.cache.data(size / PAGE);
                for (int i = (int) (size % PAGE); i < PAGE; i++) {
                    if (last.get(i) != 0) {
                        throw new AssertionError("f" + f + " byte " + (size / PAGE * PAGE + i)
                                + " past EOF " + size + " reads " + last.get(i) + " from the device");
                    }
                }
            }
        }
    }

    private void compare(String what, long offset, byte[] want, byte[] got) {
        if (want.length != got.length) {
            throw new AssertionError(what + ": " + got.length + " bytes at " + offset + ", model " + want.length);
        }
        int i = java.util.Arrays.mismatch(want, got);
        if (i >= 0) {
            int differing = 0;
            int lastDiff = i;
            for (int j = i; j < want.length; j++) {
                if (want[j] != got[j]) {
                    differing++;
                    lastDiff = j;
                }
            }
            long at = offset + i;
            throw new AssertionError(what + ": byte " + at + " (page " + at / PAGE + ", block " + at / blockSize
                    + ") reads " + got[i] + ", model " + want[i] + "; " + differing + " bytes differ up to byte "
                    + (offset + lastDiff));
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private long below(long bound) {
        return bound <= 0 ? 0 : random.nextLong(bound);
    }

    private void note(String line) {
        if (log.size() == LOG_LINES) {
            log.removeFirst();
        }
        log.addLast("#" + op + " " + line);
    }

    private static String describe(WritePagesRequest r) {
        String range = r.cyclic() ? "cyclic" : r.isWholeRange() ? "whole file"
                : "pages [" + r.rangeStart() + ", " + r.rangeEnd() + "]";
        String nr = r.nrToWrite() == WritePagesRequest.UNLIMITED ? "unlimited" : "nrToWrite " + r.nrToWrite();
        return r.mode() + " " + range + ", " + nr + (r.tagged() ? ", tagged" : "");
    }

    private String replay() {
        StringBuilder b = new StringBuilder("model run failed: new ModelRun(\"").append(layout).append("\", ")
                .append(blockSize).append(", Completion.").append(completion).append(", ").append(seed)
                .append("L).run(").append(op).append(") — max segments ").append(driver.maxSegments)
                .append("; last operations:");
        for (String line : log) {
            b.append("\n  ").append(line);
        }
        b.append("\n  counts: ").append(driver.counts());
        return b.toString();
    }
}
