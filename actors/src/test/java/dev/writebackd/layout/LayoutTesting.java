package dev.writebackd.layout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.Bio;
import java.util.stream.IntStream;

/** Shared helpers of the layout tests: block sizes, and playing the engine for metadata I/O. */
final class LayoutTesting {
    private LayoutTesting() {}

    static IntStream blockSizes() {
        return IntStream.of(512, 1024, 2048, 4096);
    }

    /** Reads metadata block {@code block} into {@code cache} from {@code device}, as the engine does. */
    static void readMetadata(MetadataCache cache, FakeDevice device, long block) {
        Bio bio = cache.readBio(block);
        assertThat(bio).as("read bio for block %d", block).isNotNull();
        cache.readCompleted(block, device.submit(bio) == null);
    }

    /** Writes every dirty metadata block to {@code device} (ext2 fsync's second step). */
    static void writeDirtyMetadata(MetadataCache cache, FakeDevice device) {
        for (long block : cache.dirtyBlocks()) {
            Bio bio = cache.writeIfDirty(block);
            assertThat(bio).isNotNull();
            cache.writeCompleted(block, device.submit(bio) == null);
        }
    }

    /** {@code map}, meeting every NeedsMetadata answer by reading the block first. */
    static MapResult mapLoading(BlockMapper mapper, MetadataCache cache, FakeDevice device,
            long inode, long block, int maxBlocks, boolean create) {
        while (true) {
            MapResult r = mapper.map(inode, block, maxBlocks, create);
            if (!(r instanceof MapResult.NeedsMetadata need)) {
                return r;
            }
            readMetadata(cache, device, need.block());
        }
    }

    /** Reads every metadata block that {@code truncate} of {@code inode} from {@code first} needs. */
    static void loadMetadata(BlockMapper mapper, MetadataCache cache, FakeDevice device, long inode, long first) {
        for (long b = mapper.metadataNeeded(inode, first, Long.MAX_VALUE - first); b >= 0;
                b = mapper.metadataNeeded(inode, first, Long.MAX_VALUE - first)) {
            readMetadata(cache, device, b);
        }
    }
}
