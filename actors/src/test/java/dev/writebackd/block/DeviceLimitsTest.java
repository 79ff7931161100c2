package dev.writebackd.block;

import static dev.writebackd.block.TestBios.concat;
import static dev.writebackd.block.TestBios.contents;
import static dev.writebackd.block.TestBios.pattern;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.block.DeviceLimits.Clip;
import dev.writebackd.block.TestBios.Memory;
import dev.writebackd.error.Errno;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeviceLimitsTest {
    private static final int SECTOR = BlockDevice.SECTOR_SIZE;

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("B9/W13: a bio ending at or before the device end is left unchanged")
    void bioWithinTheDeviceIsUnchanged(int blockSize) {
        long sectors = 16L * blockSize / SECTOR;
        int perBlock = blockSize / SECTOR;
        Bio lastBlocks = TestBios.write(sectors - 2L * perBlock, pattern(1, blockSize), pattern(2, blockSize));

        assertThat(DeviceLimits.clip(lastBlocks, sectors)).isEqualTo(Clip.Unchanged.INSTANCE);
        assertThat(DeviceLimits.clip(lastBlocks, sectors).bioFor(lastBlocks)).isSameAs(lastBlocks);
        assertThat(DeviceLimits.clip(TestBios.read(0, blockSize), sectors)).isEqualTo(Clip.Unchanged.INSTANCE);
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("B9/W13: a bio starting at or beyond the device end fails with EIO")
    void bioStartingAtOrPastTheEndFails(int blockSize) {
        long sectors = 16L * blockSize / SECTOR;
        for (long start : new long[] {sectors, sectors + 1, sectors + 1000}) {
            assertThat(DeviceLimits.clip(TestBios.write(start, pattern(start, blockSize)), sectors))
                    .isEqualTo(new Clip.Failed(Errno.EIO));
            assertThat(DeviceLimits.clip(TestBios.read(start, blockSize), sectors))
                    .isEqualTo(new Clip.Failed(Errno.EIO));
        }
    }

    @Test
    @DisplayName("B9: a failed clip has no bio to perform")
    void failedClipHasNoBio() {
        Bio bio = TestBios.write(8, pattern(1, SECTOR));
        Clip clip = DeviceLimits.clip(bio, 8);
        assertThatThrownBy(() -> clip.bioFor(bio)).isInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("B9/W13: a write running past the end is cut at the end; segments past it are dropped")
    void writeRunningPastTheEndIsTruncated(int blockSize) {
        int perBlock = blockSize / SECTOR;
        long sectors = 16L * perBlock;
        // Three segments: the first fits, the device ends one sector into the second.
        long start = sectors - perBlock - 1;
        byte[] a = pattern(1, blockSize);
        byte[] b = pattern(2, blockSize);
        byte[] c = pattern(3, blockSize);
        Bio bio = new Bio(BioOp.WRITE, start, List.of(
                Segment.ofPage(TestBios.buffer(a, Memory.HEAP), 7, 70),
                Segment.ofPage(TestBios.buffer(b, Memory.OFF_HEAP), 8, 80),
                Segment.ofMetadata(TestBios.buffer(c, Memory.HEAP), 99)), Set.of(BioFlag.SYNC), 42);

        Clip clip = DeviceLimits.clip(bio, sectors);

        assertThat(clip).isInstanceOf(Clip.Clipped.class);
        Clip.Clipped clipped = (Clip.Clipped) clip;
        Bio cut = clipped.bio();
        assertThat(cut.endSector()).isEqualTo(sectors);
        assertThat(cut.startSector()).isEqualTo(start);
        assertThat(cut.op()).isEqualTo(BioOp.WRITE);
        assertThat(cut.flags()).isEqualTo(Set.of(BioFlag.SYNC));
        assertThat(cut.inode()).isEqualTo(42);
        assertThat(clipped.cutSectors()).isEqualTo(bio.sectorCount() - cut.sectorCount());
        assertThat(cut.segments()).hasSize(2);
        assertThat(cut.segments().get(0)).isSameAs(bio.segments().get(0));
        Segment straddling = cut.segments().get(1);
        assertThat(straddling.length()).isEqualTo((int) (sectors - start) * SECTOR - blockSize);
        assertThat(straddling.pageIndex()).isEqualTo(8);
        assertThat(straddling.slot()).isEqualTo(80);
        assertThat(contents(cut)).isEqualTo(Arrays.copyOf(concat(a, b), (int) cut.lengthBytes()));
        // Writes leave the caller's buffers alone.
        assertThat(contents(bio)).isEqualTo(concat(a, b, c));
        assertThat(clip.bioFor(bio)).isSameAs(cut);
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("B9/W13: a read running past the end is cut, and the cut-off tail of each buffer is zeroed")
    void readRunningPastTheEndZeroesTheTail(int blockSize) {
        int perBlock = blockSize / SECTOR;
        long sectors = 16L * perBlock;
        long start = sectors - perBlock - 1; // ends one sector into the second segment
        Bio bio = TestBios.read(start, blockSize, blockSize, blockSize);

        Clip clip = DeviceLimits.clip(bio, sectors);

        Bio cut = ((Clip.Clipped) clip).bio();
        assertThat(cut.op()).isEqualTo(BioOp.READ);
        assertThat(cut.endSector()).isEqualTo(sectors);
        byte[] first = contents(bio.segments().get(0));
        byte[] second = contents(bio.segments().get(1));
        byte[] third = contents(bio.segments().get(2));
        assertThat(first).containsOnly(0x5a); // kept whole: untouched, the device fills it
        assertThat(Arrays.copyOfRange(second, 0, SECTOR)).containsOnly(0x5a);
        if (blockSize > SECTOR) {
            assertThat(Arrays.copyOfRange(second, SECTOR, blockSize)).containsOnly(0);
        }
        assertThat(third).containsOnly(0);
        // The cut segment shares the caller's memory, so what the device reads lands there.
        cut.segments().get(1).buffer().duplicate().put(new byte[] {1, 2, 3});
        assertThat(Arrays.copyOf(contents(bio.segments().get(1)), 3)).containsExactly(1, 2, 3);
        // Positions and limits of the caller's buffers are unchanged.
        for (Segment segment : bio.segments()) {
            assertThat(segment.buffer().position()).isZero();
            assertThat(segment.buffer().limit()).isEqualTo(blockSize);
        }
    }

    @Test
    @DisplayName("B9: a read cut in the middle of a single segment zeroes only the part past the end")
    void readCutInsideOneSegment() {
        Bio bio = TestBios.read(6, 4096); // sectors 6..13 on an 8-sector device
        Bio cut = DeviceLimits.clip(bio, 8).bioFor(bio);
        assertThat(cut.sectorCount()).isEqualTo(2);
        byte[] all = contents(bio);
        assertThat(Arrays.copyOfRange(all, 0, 2 * SECTOR)).containsOnly(0x5a);
        assertThat(Arrays.copyOfRange(all, 2 * SECTOR, 4096)).containsOnly(0);
    }

    @Test
    @DisplayName("B9/W13: clipping is idempotent, and a flush is never clipped")
    void clippingIsIdempotentAndFlushesPass() {
        Bio bio = TestBios.write(6, pattern(1, 4096));
        Bio cut = DeviceLimits.clip(bio, 8).bioFor(bio);
        assertThat(DeviceLimits.clip(cut, 8)).isEqualTo(Clip.Unchanged.INSTANCE);
        assertThat(DeviceLimits.clip(Bio.flush(Set.of()), 0)).isEqualTo(Clip.Unchanged.INSTANCE);
    }

    @Test
    @DisplayName("Block sizes 512 to 4096 and the 8 TiB file limit")
    void blockSizesAndFileLimit() {
        assertThat(DeviceLimits.MAX_FILE_BYTES).isEqualTo(8L * 1024 * 1024 * 1024 * 1024);
        assertThat(DeviceLimits.maxFileBlocks(4096)).isEqualTo(1L << 31);
        assertThat(DeviceLimits.maxFileBlocks(512)).isEqualTo(1L << 34);
        for (int ok : new int[] {512, 1024, 2048, 4096}) {
            assertThat(DeviceLimits.isValidBlockSize(ok)).isTrue();
        }
        for (int bad : new int[] {0, 256, 1000, 3072, 8192, -512}) {
            assertThat(DeviceLimits.isValidBlockSize(bad)).isFalse();
        }
        assertThatThrownBy(() -> DeviceLimits.checkGeometry(4096, 4096 * 3 + 512))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DeviceLimits.checkGeometry(4096, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DeviceLimits.checkGeometry(8192, 8192))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
