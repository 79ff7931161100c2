package dev.writebackd.mpage;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import dev.writebackd.layout.BlockMapper;
import dev.writebackd.layout.MapResult;
import dev.writebackd.page.DirtyLedger;
import dev.writebackd.page.PageCache;
import dev.writebackd.page.PagePool;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Shared pieces of the read-path tests: a page cache and a scripted get_block. */
final class ReaderFixture {
    static final int PAGE = 4096;
    static final long INODE = 42;

    private ReaderFixture() {}

    /** A cache of 4096-byte pages over blocks of {@code blockSize}. */
    static PageCache cache(int blockSize) {
        return new PageCache(INODE, new PagePool(PAGE, 8L << 20, 1 << 20), new DirtyLedger(), blockSize);
    }

    /** The physical block where a bio starts. */
    static long firstBlock(Bio bio, PageCache cache) {
        return bio.startSector() / (cache.blockSize() / BlockDevice.SECTOR_SIZE);
    }

    /** The physical blocks a bio covers, in order. */
    static List<Long> blocksOf(Bio bio, PageCache cache) {
        List<Long> blocks = new ArrayList<>();
        long first = firstBlock(bio, cache);
        for (long b = 0; b < bio.lengthBytes() / cache.blockSize(); b++) {
            blocks.add(first + b);
        }
        return blocks;
    }

    /** The page indexes of a bio's segments, in order. */
    static List<Long> pagesOf(Bio bio) {
        return bio.segments().stream().map(Segment::pageIndex).toList();
    }

    /** Runs a reader to its end, meeting metadata needs in the mapper, and returns every bio in order. */
    static List<Bio> drive(PageReader reader, ScriptedMapper mapper) {
        List<Bio> bios = new ArrayList<>();
        while (true) {
            ReadStep step = reader.step();
            bios.addAll(step.bios());
            if (step instanceof ReadStep.ReadMetadata need) {
                mapper.metadataRead(need.block());
            } else {
                return bios;
            }
        }
    }

    /**
     * Runs a reader to its end against {@code device} at queue depth 1: each step's bios are
     * performed in order and completed before the need is met (the mapper is told the map block
     * was read) and the reader is stepped again.
     */
    static void driveOn(MemoryDevice device, PageCache cache, PageReader reader, ScriptedMapper mapper) {
        while (true) {
            ReadStep step = reader.step();
            execute(device, cache, step.bios());
            if (step instanceof ReadStep.ReadMetadata need) {
                mapper.metadataRead(need.block());
            } else {
                return;
            }
        }
    }

    /** Performs {@code bios} one at a time, in order, applying each completion. */
    static void execute(MemoryDevice device, PageCache cache, List<Bio> bios) {
        for (Bio bio : bios) {
            ReadCompletion.complete(cache, bio, device.submit(bio));
        }
    }

    /** Fills every device block in {@code [from, to)} with its own pattern ({@link #pattern}). */
    static void plant(MemoryDevice device, long from, long to) {
        int bs = device.blockSize();
        for (long b = from; b < to; b++) {
            byte[] bytes = new byte[bs];
            Arrays.fill(bytes, pattern(b));
            device.writeBytes(b * bs, bytes);
        }
    }

    /** The byte planted in physical block {@code block}: never 0. */
    static byte pattern(long block) {
        return (byte) (1 + block % 251);
    }

    /** Completes every bio successfully. */
    static void completeAll(PageCache cache, List<Bio> bios) {
        for (Bio bio : bios) {
            ReadCompletion.complete(cache, bio, null);
        }
    }

    /**
     * get_block from a script: extents of logical → physical blocks, everything else a hole. An
     * extent may end at a boundary, answer uptodate, fail, or need a map block read first; like
     * ext2 (X2), no answer runs from blocks that need no map block into ones that do.
     */
    static final class ScriptedMapper implements BlockMapper {
        private record Extent(long logical, long physical, int count, boolean boundary, boolean uptodate) {}

        private final TreeMap<Long, Extent> extents = new TreeMap<>();
        private final Map<Long, Errno> failures = new HashMap<>();
        private final Map<Long, Long> metadataNeeds = new HashMap<>();
        private final Set<Long> metadataCached = new HashSet<>();
        /** Every call, as {logicalBlock, maxBlocks}. */
        final List<long[]> calls = new ArrayList<>();

        /** Maps {@code count} logical blocks from {@code logical} to physical blocks from {@code physical}. */
        ScriptedMapper extent(long logical, long physical, int count) {
            return extent(logical, physical, count, false, false);
        }

        ScriptedMapper extent(long logical, long physical, int count, boolean boundary, boolean uptodate) {
            extents.put(logical, new Extent(logical, physical, count, boundary, uptodate));
            return this;
        }

        /** Mapping {@code logical} fails with {@code errno}. */
        ScriptedMapper fail(long logical, Errno errno) {
            failures.put(logical, errno);
            return this;
        }

        /** Mapping blocks from {@code logical} on needs map block {@code block} read first. */
        ScriptedMapper needs(long logical, long block) {
            metadataNeeds.put(logical, block);
            return this;
        }

        /** The caller read map block {@code block}. */
        void metadataRead(long block) {
            metadataCached.add(block);
        }

        @Override
        public MapResult map(long inode, long logicalBlock, int maxBlocks, boolean create) {
            if (create) {
                throw new AssertionError("the read path maps with create = false");
            }
            calls.add(new long[] {logicalBlock, maxBlocks});
            for (Map.Entry<Long, Long> need : metadataNeeds.entrySet()) {
                if (logicalBlock >= need.getKey() && !metadataCached.contains(need.getValue())) {
                    return new MapResult.NeedsMetadata(need.getValue());
                }
            }
            if (failures.containsKey(logicalBlock)) {
                return new MapResult.Failed(failures.get(logicalBlock));
            }
            Map.Entry<Long, Extent> e = extents.floorEntry(logicalBlock);
            if (e != null && logicalBlock < e.getValue().logical() + e.getValue().count()) {
                Extent x = e.getValue();
                long offset = logicalBlock - x.logical();
                int count = (int) Math.min(x.count() - offset, maxBlocks);
                for (long needFrom : metadataNeeds.keySet()) {
                    if (needFrom > logicalBlock && needFrom < logicalBlock + count) {
                        count = (int) (needFrom - logicalBlock);
                    }
                }
                boolean boundary = x.boundary() && offset + count == x.count();
                return new MapResult.Mapped(x.physical() + offset, count, false, boundary, x.uptodate());
            }
            Long next = extents.higherKey(logicalBlock);
            long hole = next == null ? maxBlocks : Math.min(maxBlocks, next - logicalBlock);
            return new MapResult.Hole((int) Math.max(1, hole));
        }

        @Override
        public Errno reserve(long inode, long firstBlock, long count) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long truncate(long inode, long keepBlocks) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long maxFileBlocks() {
            return 1L << 32;
        }
    }
}
