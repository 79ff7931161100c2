package dev.writebackd.mpage;

import static dev.writebackd.mpage.CoreDriver.PAGE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.Bio;
import dev.writebackd.layout.BlockLayout;
import dev.writebackd.layout.Ext2Mapper;
import dev.writebackd.layout.Extent;
import dev.writebackd.mpage.CoreDriver.Completion;
import dev.writebackd.mpage.CoreDriver.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Scenarios the model runs reach only now and then, pinned on their own: each drives the core
 * through {@link CoreDriver} on a real layout and reads the result back from the device.
 */
class CoreScenarioTest {

    static Stream<Arguments> layoutsAndBlockSizes() {
        List<Arguments> cases = new ArrayList<>();
        for (String layout : List.of(BlockLayout.EXTENT, BlockLayout.EXT2)) {
            for (int blockSize : new int[] {512, 1024, 2048, 4096}) {
                cases.add(Arguments.of(layout, blockSize));
            }
        }
        return cases.stream();
    }

    /** {@code length} bytes that are never zero, different for each {@code seed}. */
    private static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (1 + (i * 31L + seed) % 251);
        }
        return bytes;
    }

    @Test
    @DisplayName("B8 a map block freed while its write is still queued is reused as data only after that write lands")
    void freedMapBlockReusedAsDataAfterItsWrite() {
        // 18 blocks: the header, then file a's 12 direct blocks, its map block and 4 more fill the device.
        CoreDriver d = CoreDriver.onLayout(BlockLayout.EXT2, PAGE, 18L * PAGE, Completion.HELD, Bio.MAX_SEGMENTS);
        File a = d.addFile(11);
        File b = d.addFile(12);
        byte[] aBytes = pattern(16 * PAGE, 1);
        d.write(a, 0, aBytes);
        d.writeback(a, WritePagesRequest.syncAll(WritebackReason.FSYNC));
        long mapBlock = ((Ext2Mapper) d.layout).inodePointers(a.inode).singleIndirect();
        d.complete(a.submitted.get(0)); // blocks 0-11 land; the map block after them is queued (W9)
        assertThat(a.submitted.get(2).kind()).isEqualTo(SubmittedBio.Kind.METADATA);
        d.truncate(a, 12L * PAGE); // frees the map block and the blocks it maps
        assertThat(d.metadata.isWriteInFlight(mapBlock)).as("the map block's write is still queued").isTrue();
        d.commitFrees();
        byte[] bBytes = pattern(PAGE, 2);

        d.write(b, 0, bBytes);
        d.writeback(b, WritePagesRequest.syncAll(WritebackReason.FSYNC));

        assertThat(d.extents(b)).as("the freed map block is b's data now").containsExactly(new Extent(0, mapBlock, 1));
        assertThat(b.needs).containsExactly(new WriteNeed.WaitForMetadataWrite(mapBlock));
        d.sync();
        assertThat(d.device.readBytes(mapBlock * PAGE, PAGE)).isEqualTo(bBytes);
        assertThat(d.checkConsistency()).isEmpty();
        d.dropCaches();
        assertThat(d.read(a, 0, 16 * PAGE)).isEqualTo(Arrays.copyOf(aBytes, 12 * PAGE));
        assertThat(d.read(b, 0, PAGE)).isEqualTo(bBytes);
    }

    @ParameterizedTest(name = "{0} layout, {1}-byte blocks")
    @MethodSource("layoutsAndBlockSizes")
    @DisplayName("U1 U4 a shrink that cuts a block of an uncached page, then a grow: the cut tail reads as zeros from the device")
    void shrinkIntoUncachedBlockThenGrow(String layout, int blockSize) {
        CoreDriver d = CoreDriver.onLayout(layout, blockSize, 16L << 20, Completion.AT_ONCE, Bio.MAX_SEGMENTS);
        File f = d.addFile(11);
        byte[] bytes = pattern(3 * PAGE, 3);
        d.write(f, 0, bytes);
        d.sync();
        d.dropCaches();
        long cut = PAGE + blockSize / 2;

        d.truncate(f, cut);
        d.truncate(f, 3L * PAGE);

        assertThat(f.needs).as("the cut page is read before its tail is zeroed").contains(new WriteNeed.ReadPage(1));
        d.sync();
        assertThat(d.checkConsistency()).isEmpty();
        long keptBlocks = (cut + blockSize - 1) / blockSize;
        assertThat(d.extents(f)).allSatisfy(e -> assertThat(e.logicalEnd()).isLessThanOrEqualTo(keptBlocks));
        d.dropCaches();
        assertThat(d.read(f, 0, 3 * PAGE)).isEqualTo(Arrays.copyOf(Arrays.copyOf(bytes, (int) cut), 3 * PAGE));
    }

    @ParameterizedTest(name = "{0} layout, {1}-byte blocks")
    @MethodSource("layoutsAndBlockSizes")
    @DisplayName("U1 U4 two shrinks into one uncached page, then a grow: no stale byte comes back from the device")
    void twoShrinksIntoOnePageThenGrow(String layout, int blockSize) {
        CoreDriver d = CoreDriver.onLayout(layout, blockSize, 16L << 20, Completion.AT_ONCE, Bio.MAX_SEGMENTS);
        File f = d.addFile(11);
        byte[] bytes = pattern(3 * PAGE, 6);
        d.write(f, 0, bytes);
        d.sync();
        d.dropCaches();

        d.truncate(f, PAGE + 2L * blockSize + 100);
        d.truncate(f, PAGE + 100);
        d.truncate(f, 3L * PAGE);

        d.sync();
        d.dropCaches();
        assertThat(d.read(f, 0, 3 * PAGE)).isEqualTo(Arrays.copyOf(Arrays.copyOf(bytes, PAGE + 100), 3 * PAGE));
    }

    @ParameterizedTest(name = "{0}-byte blocks")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("U3 X1 a file truncated out of ext2's double-indirect tree while its map blocks are cold keeps its head and frees every other block")
    void truncateOutOfDoubleIndirectTree(int blockSize) {
        CoreDriver d = CoreDriver.onLayout(BlockLayout.EXT2, blockSize, 64L << 20, Completion.AT_ONCE, Bio.MAX_SEGMENTS);
        Ext2Mapper ext2 = (Ext2Mapper) d.layout;
        File f = d.addFile(11);
        byte[] head = pattern(2 * PAGE, 4);
        byte[] tail = pattern(PAGE, 5);
        long far = (12L + blockSize / 4 + 5) * blockSize; // inside the double-indirect range
        d.write(f, 0, head);
        d.write(f, far, tail);
        d.sync();
        d.dropCaches();
        assertThat(d.read(f, far, PAGE)).isEqualTo(tail);
        assertThat(ext2.inodePointers(f.inode).doubleIndirect()).isNotZero();
        d.dropCaches();

        d.truncate(f, PAGE + 100);

        d.sync();
        assertThat(ext2.inodePointers(f.inode).doubleIndirect()).isZero();
        assertThat(d.checkConsistency()).as("no block leaked or still claimed").isEmpty();
        assertThat(d.layout.allocator().totalBlocks() - d.layout.allocator().freeBlocks() - 1)
                .as("blocks in use: the head's data blocks and, past 12 of them, one map block")
                .isEqualTo(ext2.extents(f.inode).stream().mapToLong(Extent::count).sum() + ext2.mapBlocks(f.inode).size());
        d.dropCaches();
        assertThat(d.read(f, 0, 2 * PAGE)).isEqualTo(Arrays.copyOf(head, PAGE + 100));
    }
}
