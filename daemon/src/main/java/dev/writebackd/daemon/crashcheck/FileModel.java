package dev.writebackd.daemon.crashcheck;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * What one file may hold after a power cut, at the granularity of 512-byte sectors.
 *
 * <p>The file has a <em>durable</em> version — its contents and size when an fsync of it last
 * succeeded, or as found after the last restart — and the versions made since by writes and
 * truncates. After a cut:
 *
 * <ul>
 *   <li>its size is the durable size or the size of one of the later versions (the engine commits
 *       the size the file had at some moment, never one it never had);
 *   <li>each sector within that size holds, independently of its neighbours, that sector of the
 *       durable version or of any later version (bytes past a version's end read as zeros) —
 *       sectors of different versions may mix, as the device keeps any subset of unflushed
 *       sectors;
 *   <li>a sector that no version since the durable one changed is <em>fsync'd</em>: it must hold
 *       exactly the durable bytes. Those bytes are what the checker counts as verified and lost.
 * </ul>
 *
 * <p>Operations are applied here before the engine is asked, so an operation in flight when the
 * power goes counts as maybe done; {@link #fsynced()} only once the engine acknowledged the fsync.
 * Plain, single-threaded.
 */
public final class FileModel {
    /** Bytes per sector, the unit in which a device keeps or loses unflushed data. */
    public static final int SECTOR = 512;

    private byte[] current;
    private long size;
    private byte[] durable;
    private long durableSize;
    /** Sector index to the contents it had in the versions since the durable one, when they differ from it. */
    private final Map<Long, List<byte[]>> changed = new HashMap<>();
    private final NavigableSet<Long> sizes = new TreeSet<>();

    private FileModel(byte[] contents) {
        this.current = contents.clone();
        this.size = contents.length;
        markDurable();
    }

    /** A new, empty file. */
    public static FileModel empty() {
        return new FileModel(new byte[0]);
    }

    /** A file whose durable contents are {@code contents}, as read after a restart. */
    public static FileModel restored(byte[] contents) {
        return new FileModel(requireNonNull(contents, "contents"));
    }

    /** Writes {@code data} at {@code offset}. */
    public void write(long offset, byte[] data) {
        requireNonNull(data, "data");
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset);
        }
        if (data.length == 0) {
            return;
        }
        long end = offset + data.length;
        ensureCapacity(end);
        System.arraycopy(data, 0, current, (int) offset, data.length);
        size = Math.max(size, end);
        sizes.add(size);
        for (long sector = offset / SECTOR; sector <= (end - 1) / SECTOR; sector++) {
            record(sector);
        }
    }

    /** Changes the size to {@code newSize}: bytes past it are dropped, a grown file reads zeros. */
    public void truncate(long newSize) {
        if (newSize < 0) {
            throw new IllegalArgumentException("negative size " + newSize);
        }
        if (newSize < size) {
            Arrays.fill(current, (int) newSize, (int) size, (byte) 0);
            for (long sector = newSize / SECTOR; sector <= (size - 1) / SECTOR; sector++) {
                record(sector);
            }
        } else {
            ensureCapacity(newSize);
        }
        size = newSize;
        sizes.add(size);
    }

    /** An fsync of the file succeeded: the version now is the durable one. */
    public void fsynced() {
        markDurable();
    }

    /** The size now. */
    public long size() {
        return size;
    }

    /** The durable size. */
    public long durableSize() {
        return durableSize;
    }

    /** Every size the file may have after a cut, in order. */
    public NavigableSet<Long> allowedSizes() {
        return Collections.unmodifiableNavigableSet(sizes);
    }

    /** Whether sector {@code sector} holds fsync'd bytes: inside the durable size, unchanged since. */
    public boolean isFsynced(long sector) {
        return sector * SECTOR < durableSize && !changed.containsKey(sector);
    }

    /** The number of fsync'd bytes in sector {@code sector} (0 unless {@link #isFsynced}). */
    public int fsyncedBytes(long sector) {
        return isFsynced(sector) ? (int) Math.min(SECTOR, durableSize - sector * SECTOR) : 0;
    }

    /** The durable contents of sector {@code sector}, zeros past the durable end. */
    public byte[] durableSector(long sector) {
        return sectorOf(durable, durableSize, sector);
    }

    /** Every contents sector {@code sector} may hold after a cut: the durable one first. */
    public List<byte[]> candidates(long sector) {
        List<byte[]> all = new ArrayList<>();
        all.add(durableSector(sector));
        all.addAll(changed.getOrDefault(sector, List.of()));
        return all;
    }

    /** The contents now (a copy), {@link #size()} bytes. */
    public byte[] contents() {
        return Arrays.copyOf(current, (int) size);
    }

    private void markDurable() {
        durable = Arrays.copyOf(current, (int) size);
        durableSize = size;
        changed.clear();
        sizes.clear();
        sizes.add(size);
    }

    /** Remembers the contents of {@code sector} now as one the cut may leave. */
    private void record(long sector) {
        byte[] now = sectorOf(current, size, sector);
        List<byte[]> versions = changed.get(sector);
        if (versions == null) {
            if (Arrays.equals(now, durableSector(sector))) {
                return;
            }
            versions = new ArrayList<>();
            changed.put(sector, versions);
        } else if (Arrays.equals(now, durableSector(sector))
                || versions.stream().anyMatch(v -> Arrays.equals(v, now))) {
            return;
        }
        versions.add(now);
    }

    private static byte[] sectorOf(byte[] contents, long length, long sector) {
        byte[] out = new byte[SECTOR];
        long from = sector * SECTOR;
        if (from < length) {
            System.arraycopy(contents, (int) from, out, 0, (int) Math.min(SECTOR, length - from));
        }
        return out;
    }

    private void ensureCapacity(long end) {
        if (end > Integer.MAX_VALUE - SECTOR) {
            throw new IllegalArgumentException("the checker models files up to 2 GiB, not " + end + " bytes");
        }
        if (end > current.length) {
            current = Arrays.copyOf(current, (int) Math.max(end, Math.min(Integer.MAX_VALUE - SECTOR,
                    2L * current.length)));
        }
    }
}
