package dev.writebackd.mpage;

import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockMapper;
import dev.writebackd.layout.MapResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A get_block for pinning rules independent of real layouts: logical block {@code b} lives at
 * physical {@code offset + b} unless {@link #place placed} elsewhere; chosen blocks answer boundary,
 * fail, or need a metadata block first. The first {@code create} of a block answers new.
 */
final class TestMapper implements BlockMapper {
    /** A recorded {@link #map} call. */
    record MapCall(long logical, int maxBlocks, boolean create) {}

    /** A recorded {@link #reserve} call. */
    record Reservation(long firstBlock, long count) {}

    private final long offset;
    private final Map<Long, Long> placed = new HashMap<>();
    private final Set<Long> boundaries = new HashSet<>();
    private final Map<Long, Errno> failures = new HashMap<>();
    private final Map<Long, Long> needsMetadata = new HashMap<>();
    private final Set<Long> allocated = new HashSet<>();
    final List<MapCall> calls = new ArrayList<>();
    final List<Reservation> reservations = new ArrayList<>();
    final List<Long> truncations = new ArrayList<>();
    Errno reserveError;

    TestMapper(long offset) {
        this.offset = offset;
    }

    TestMapper place(long logical, long physical) {
        placed.put(logical, physical);
        return this;
    }

    TestMapper boundary(long logical) {
        boundaries.add(logical);
        return this;
    }

    TestMapper fail(long logical, Errno errno) {
        failures.put(logical, errno);
        return this;
    }

    /** Mapping {@code logical} first needs map block {@code metaBlock} read. */
    TestMapper needsMetadata(long logical, long metaBlock) {
        needsMetadata.put(logical, metaBlock);
        return this;
    }

    /** The caller read {@code metaBlock}: blocks waiting for it map now. */
    void metadataRead(long metaBlock) {
        needsMetadata.values().removeIf(b -> b == metaBlock);
    }

    /** Marks blocks as already allocated, so they do not answer new. */
    TestMapper allocated(long first, long count) {
        for (long b = first; b < first + count; b++) {
            allocated.add(b);
        }
        return this;
    }

    long physical(long logical) {
        return placed.getOrDefault(logical, offset + logical);
    }

    boolean isAllocated(long logical) {
        return allocated.contains(logical);
    }

    List<Long> createdBlocks() {
        return calls.stream().filter(MapCall::create).map(MapCall::logical).toList();
    }

    @Override
    public MapResult map(long inode, long logicalBlock, int maxBlocks, boolean create) {
        calls.add(new MapCall(logicalBlock, maxBlocks, create));
        Long meta = needsMetadata.get(logicalBlock);
        if (meta != null) {
            return new MapResult.NeedsMetadata(meta);
        }
        Errno failure = failures.get(logicalBlock);
        if (failure != null && create) {
            return new MapResult.Failed(failure);
        }
        if (!allocated.contains(logicalBlock) && !create) {
            return new MapResult.Hole(1);
        }
        boolean isNew = allocated.add(logicalBlock);
        return new MapResult.Mapped(physical(logicalBlock), 1, isNew, boundaries.contains(logicalBlock), false);
    }

    @Override
    public Errno reserve(long inode, long firstBlock, long count) {
        reservations.add(new Reservation(firstBlock, count));
        return reserveError;
    }

    @Override
    public long truncate(long inode, long keepBlocks) {
        truncations.add(keepBlocks);
        long freed = allocated.stream().filter(b -> b >= keepBlocks).count();
        allocated.removeIf(b -> b >= keepBlocks);
        return freed;
    }

    @Override
    public long maxFileBlocks() {
        return 1L << 40;
    }
}
