package dev.writebackd.block.fault;

import static java.util.Objects.requireNonNull;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.StackedDevice;
import dev.writebackd.block.DeviceLimits;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A block device with a volatile write cache in front of another device, like a disk's DRAM
 * cache: what is written stays in memory until a flush makes it durable, and a
 * {@linkplain #powerCut power cut} loses all or part of it.
 *
 * <p><b>Writes</b> land in the cache only (sector by sector; a sector written twice keeps its
 * latest bytes) and succeed at once. <b>Reads</b> see the cached sectors laid over the device
 * below. A <b>{@link BioOp#FLUSH}</b>, or a write carrying {@link BioFlag#FUA}, makes everything
 * written before it durable: the cached sectors are written to the device below in sector order,
 * in runs of contiguous sectors, then the device below is flushed, and the cache is emptied. If
 * the device below fails any of that, the flush (or FUA write) fails with its error and the cache
 * keeps every sector, to be written again by the next flush. Bios past the device end are clipped
 * first (B9).
 *
 * <p><b>Power cut.</b> {@link #powerCut} ends the cache's contents: with
 * {@link PowerCutMode#DROP_UNFLUSHED} every unflushed sector is lost; with
 * {@link PowerCutMode#RANDOM} a subset chosen by the seed reaches the device below (and is
 * flushed there) and the rest is lost — so a multi-sector write may be torn, and a later write may
 * survive where an earlier one did not. The seed first draws a keep-probability in [0, 1), then one
 * keep-or-drop choice per unflushed sector in ascending sector order, so the same unflushed
 * sectors and seed always give the same outcome, and successive seeds range from cuts that keep
 * almost nothing to cuts that keep almost everything. Only the latest bytes of a sector are
 * modelled: a cut never resurrects an older unflushed version. The device goes on working after a
 * cut, with an empty cache; the writer must have stopped first (see {@code Engine.halt()}), or its
 * in-flight writes simply land in the now-empty cache.
 *
 * <p>Memory: unflushed data is held in 4 KiB units (eight sectors and a presence mask each), so
 * the cache costs about what is unflushed; the engine flushes at every fsync and commit.
 *
 * <p>Thread-safe: one lock orders writes, flushes and power cuts (a flush holds it while it
 * writes to the device below, so writes wait for it). Reads take a copy of the cached sectors they
 * cover under the lock, then read the device below without it.
 */
public final class VolatileCacheDevice extends StackedDevice {
    private static final int UNIT_SHIFT = 3;
    private static final int UNIT_SECTORS = 1 << UNIT_SHIFT;
    private static final int UNIT_BYTES = UNIT_SECTORS * SECTOR_SIZE;
    /** The longest write the cache sends below when flushing. */
    private static final int MAX_RUN_BYTES = 1 << 20;

    private final Object lock = new Object();
    // Guarded by lock: unflushed units by unit number (sector >>> UNIT_SHIFT).
    private final TreeMap<Long, Unit> units = new TreeMap<>();
    private long unflushed;
    private boolean closed;

    /** A cache in front of {@code below}, empty. */
    public VolatileCacheDevice(BlockDevice below) {
        super(below);
    }

    /** How many 512-byte sectors are written but not yet flushed. */
    public long unflushedSectors() {
        synchronized (lock) {
            return unflushed;
        }
    }

    /**
     * Writes into the cache, flushes (also after a FUA write), or reads through it; see the class
     * comment.
     *
     * @return {@code null}, EIO past the device end or once closed, or the device below's error
     *     for a read, a flush or a FUA write
     */
    @Override
    public Errno submit(Bio bio) {
        requireNonNull(bio, "bio");
        DeviceLimits.Clip clip = DeviceLimits.clip(bio, sectors());
        if (clip instanceof DeviceLimits.Clip.Failed failed) {
            return failed.errno();
        }
        Bio doing = clip.bioFor(bio);
        if (doing.op() == BioOp.READ) {
            return read(doing);
        }
        synchronized (lock) {
            if (closed) {
                return Errno.EIO;
            }
            if (doing.op() == BioOp.WRITE) {
                store(doing);
                if (!doing.flags().contains(BioFlag.FUA)) {
                    return null;
                }
            }
            return flushLocked();
        }
    }

    /**
     * Cuts the power: the unflushed sectors are dropped, all of them or (in
     * {@link PowerCutMode#RANDOM}) a subset chosen by {@code seed}, the others being written and
     * flushed to the device below. The cache is empty afterwards.
     *
     * @throws ErrnoException if the device below fails to take the kept sectors (they are then lost)
     */
    public PowerCutResult powerCut(PowerCutMode mode, long seed) {
        requireNonNull(mode, "mode");
        synchronized (lock) {
            List<Unit> kept = new ArrayList<>();
            long dropped = 0;
            SplittableRandom random = new SplittableRandom(seed);
            double keepProbability = random.nextDouble();
            for (Map.Entry<Long, Unit> entry : units.entrySet()) {
                Unit unit = entry.getValue();
                int keep = 0;
                for (int s = 0; s < UNIT_SECTORS; s++) {
                    if ((unit.present & (1 << s)) == 0) {
                        continue;
                    }
                    if (mode == PowerCutMode.RANDOM && random.nextDouble() < keepProbability) {
                        keep |= 1 << s;
                    } else {
                        dropped++;
                    }
                }
                if (keep != 0) {
                    unit.present = keep;
                    kept.add(unit);
                }
            }
            Errno failed = writeBelow(kept);
            units.clear();
            unflushed = 0;
            if (failed == null && !kept.isEmpty()) {
                failed = below.submit(Bio.flush(Set.of()));
            }
            if (failed != null) {
                throw new ErrnoException(failed, "the device below failed while a power cut kept "
                        + "some unflushed sectors; they are lost");
            }
            return new PowerCutResult(seed, dropped);
        }
    }

    /** Discards anything unflushed (a clean shutdown flushes first) and closes the device below. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            units.clear();
            unflushed = 0;
        }
        below.close();
    }

    private void store(Bio bio) {
        long sector = bio.startSector();
        for (Segment segment : bio.segments()) {
            ByteBuffer data = segment.buffer().duplicate();
            while (data.hasRemaining()) {
                Unit unit = units.computeIfAbsent(sector >>> UNIT_SHIFT, Unit::new);
                int index = (int) (sector & (UNIT_SECTORS - 1));
                data.get(unit.data, index * SECTOR_SIZE, SECTOR_SIZE);
                if ((unit.present & (1 << index)) == 0) {
                    unit.present |= 1 << index;
                    unflushed++;
                }
                sector++;
            }
        }
    }

    /** Writes every cached sector below, flushes below, and empties the cache if all went well. */
    private Errno flushLocked() {
        Errno failed = writeBelow(units.values());
        if (failed == null) {
            failed = below.submit(Bio.flush(Set.of()));
        }
        if (failed == null) {
            units.clear();
            unflushed = 0;
        }
        return failed;
    }

    /** Writes the present sectors of {@code toWrite} (in ascending order) below, in runs. */
    private Errno writeBelow(Iterable<Unit> toWrite) {
        Run run = null;
        for (Unit unit : toWrite) {
            if (run == null) {
                run = new Run((int) Math.min(MAX_RUN_BYTES, Math.max(unflushed, UNIT_SECTORS) * SECTOR_SIZE));
            }
            for (int s = 0; s < UNIT_SECTORS; s++) {
                if ((unit.present & (1 << s)) == 0) {
                    continue;
                }
                long sector = (unit.number << UNIT_SHIFT) + s;
                if (!run.continuesWith(sector)) {
                    Errno failed = run.submitTo(below);
                    if (failed != null) {
                        return failed;
                    }
                    run.start(sector);
                }
                run.add(unit.data, s * SECTOR_SIZE);
            }
        }
        return run == null ? null : run.submitTo(below);
    }

    private Errno read(Bio bio) {
        Map<Long, byte[]> overlay = new TreeMap<>();
        synchronized (lock) {
            if (closed) {
                return Errno.EIO;
            }
            long first = bio.startSector();
            long end = bio.endSector();
            for (Unit unit : units.subMap(first >>> UNIT_SHIFT, true, (end - 1) >>> UNIT_SHIFT, true).values()) {
                for (int s = 0; s < UNIT_SECTORS; s++) {
                    long sector = (unit.number << UNIT_SHIFT) + s;
                    if ((unit.present & (1 << s)) != 0 && sector >= first && sector < end) {
                        byte[] copy = new byte[SECTOR_SIZE];
                        System.arraycopy(unit.data, s * SECTOR_SIZE, copy, 0, SECTOR_SIZE);
                        overlay.put(sector, copy);
                    }
                }
            }
        }
        Errno failed = below.submit(bio);
        if (failed != null || overlay.isEmpty()) {
            return failed;
        }
        long sector = bio.startSector();
        for (Segment segment : bio.segments()) {
            ByteBuffer target = segment.buffer();
            int base = target.position();
            for (int at = 0; at < segment.length(); at += SECTOR_SIZE, sector++) {
                byte[] cached = overlay.get(sector);
                if (cached != null) {
                    target.put(base + at, cached);
                }
            }
        }
        return null;
    }

    /** Eight consecutive sectors of cached data and which of them are present. Guarded by lock. */
    private static final class Unit {
        final long number;
        final byte[] data = new byte[UNIT_BYTES];
        int present;

        Unit(long number) {
            this.number = number;
        }
    }

    /** A run of contiguous sectors being gathered into one write below. */
    private static final class Run {
        private long start = -1;
        private final ByteBuffer bytes;

        Run(int capacity) {
            bytes = ByteBuffer.allocate(capacity);
        }

        boolean continuesWith(long sector) {
            return start >= 0 && sector == start + bytes.position() / SECTOR_SIZE && bytes.hasRemaining();
        }

        void start(long sector) {
            start = sector;
            bytes.clear();
        }

        void add(byte[] data, int offset) {
            bytes.put(data, offset, SECTOR_SIZE);
        }

        /** Writes the run (if any) below and forgets it. */
        Errno submitTo(BlockDevice device) {
            if (start < 0 || bytes.position() == 0) {
                return null;
            }
            ByteBuffer copy = ByteBuffer.allocate(bytes.position());
            copy.put(bytes.duplicate().flip()).flip();
            Bio write = new Bio(BioOp.WRITE, start, List.of(new Segment(copy, Segment.NO_PAGE, -1, -1)), Set.of(), 0);
            start = -1;
            bytes.clear();
            return device.submit(write);
        }
    }
}
