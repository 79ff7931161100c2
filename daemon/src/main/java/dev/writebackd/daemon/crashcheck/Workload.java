package dev.writebackd.daemon.crashcheck;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The crash checker's seeded workload: creates, writes (new data and overwrites, at sector, page
 * and odd offsets and lengths), truncates (shrinking and growing), renames (to a free name or over
 * another file), unlinks, fsyncs and syncs over a few files. The same seed gives the same
 * operations, given the same {@link #resync} calls.
 *
 * <p>It keeps its own view of the names and sizes, so every operation it makes is valid: an
 * operation names an existing file, a create a free name. Plain, single-threaded.
 */
public final class Workload {
    /** The names the workload uses: {@code f0} … {@code f7}. */
    static final int NAMES = 8;
    /** At most this many files exist at once. */
    static final int MAX_FILES = 5;
    /** No write or truncate goes past this size. */
    static final long MAX_FILE_BYTES = 512 * 1024;
    private static final int PAGE = 4096;

    private final SplittableRandom random;
    private final TreeMap<String, Long> sizes = new TreeMap<>();
    private long nextWriteId;

    /**
     * A workload from {@code seed}, whose writes are numbered from {@code firstWriteId} (at least 1).
     */
    public Workload(long seed, long firstWriteId) {
        if (firstWriteId < 1) {
            throw new IllegalArgumentException("first write id " + firstWriteId);
        }
        this.random = new SplittableRandom(seed);
        this.nextWriteId = firstWriteId;
    }

    /** The next operation, applied to the workload's view. */
    public Op next() {
        if (sizes.isEmpty()) {
            return create();
        }
        int roll = random.nextInt(100);
        Op op;
        if (roll < 8 && sizes.size() < MAX_FILES) {
            op = create();
        } else if (roll < 48) {
            op = write();
        } else if (roll < 56) {
            op = truncate();
        } else if (roll < 62) {
            op = rename();
        } else if (roll < 64) {
            op = unlink();
        } else if (roll < 94) {
            op = new Op.Fsync(pick());
        } else {
            op = new Op.Sync();
        }
        return op;
    }

    /**
     * Replaces the workload's view with what a restart showed: file name to size.
     */
    public void resync(Map<String, Long> found) {
        requireNonNull(found, "found");
        sizes.clear();
        sizes.putAll(found);
    }

    /** The files as the workload sees them: name to size. */
    public Map<String, Long> files() {
        return java.util.Collections.unmodifiableMap(new TreeMap<>(sizes));
    }

    /** The id the next write will carry. */
    public long nextWriteId() {
        return nextWriteId;
    }

    private Op create() {
        List<String> free = new ArrayList<>();
        for (int i = 0; i < NAMES; i++) {
            if (!sizes.containsKey("f" + i)) {
                free.add("f" + i);
            }
        }
        String name = free.get(random.nextInt(free.size()));
        sizes.put(name, 0L);
        return new Op.Create(name);
    }

    private Op write() {
        String name = pick();
        long size = sizes.get(name);
        int length = length();
        long offset;
        if (size > 0 && random.nextInt(2) == 0) {
            offset = align(random.nextLong(size)); // an overwrite, maybe running past the end
        } else if (random.nextInt(3) == 0) {
            offset = size; // an append
        } else {
            offset = align(random.nextLong(MAX_FILE_BYTES));
        }
        offset = Math.min(offset, MAX_FILE_BYTES - 1);
        length = (int) Math.min(length, MAX_FILE_BYTES - offset);
        sizes.put(name, Math.max(size, offset + length));
        return new Op.Write(name, offset, length, nextWriteId++);
    }

    private Op truncate() {
        String name = pick();
        long size = sizes.get(name);
        long to = switch (random.nextInt(4)) {
            case 0 -> 0;
            case 1 -> size == 0 ? 0 : align(random.nextLong(size)); // shrink
            case 2 -> Math.min(MAX_FILE_BYTES, size + align(random.nextLong(4 * PAGE) + 1)); // grow
            default -> align(random.nextLong(MAX_FILE_BYTES));
        };
        sizes.put(name, to);
        return new Op.Truncate(name, to);
    }

    private Op rename() {
        String from = pick();
        String to;
        if (sizes.size() > 1 && random.nextInt(3) == 0) {
            do {
                to = pick();
            } while (to.equals(from));
        } else if (sizes.size() < NAMES) {
            do {
                to = "f" + random.nextInt(NAMES);
            } while (sizes.containsKey(to));
        } else {
            return new Op.Fsync(from);
        }
        sizes.put(to, sizes.remove(from));
        return new Op.Rename(from, to);
    }

    private Op unlink() {
        String name = pick();
        sizes.remove(name);
        return new Op.Unlink(name);
    }

    private String pick() {
        List<String> names = new ArrayList<>(sizes.keySet());
        return names.get(random.nextInt(names.size()));
    }

    /** Mostly small writes, some of a few pages, a few large. */
    private int length() {
        int roll = random.nextInt(10);
        int length;
        if (roll < 5) {
            length = 1 + random.nextInt(PAGE);
        } else if (roll < 9) {
            length = PAGE + random.nextInt(8 * PAGE);
        } else {
            length = 8 * PAGE + random.nextInt(24 * PAGE);
        }
        return (int) Math.max(1, align(length));
    }

    /** {@code value} rounded down to a page, to a sector, or kept odd, a third of the time each. */
    private long align(long value) {
        return switch (random.nextInt(3)) {
            case 0 -> value - value % PAGE;
            case 1 -> value - value % FileModel.SECTOR;
            default -> value;
        };
    }
}
