package dev.writebackd.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MetadataCacheTest {

    static IntStream blockSizes() {
        return LayoutTesting.blockSizes();
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("lookup answers only uptodate blocks; install does not overwrite a cached block")
    void lookupAndInstall(int blockSize) {
        MetadataCache cache = new MetadataCache(blockSize);
        assertThat(cache.lookup(7)).isNull();

        byte[] bytes = new byte[blockSize];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 0xCAFE);
        assertThat(cache.install(7, bytes)).isTrue();
        assertThat(cache.lookup(7).getInt(8)).isEqualTo(0xCAFE);
        assertThat(cache.isDirty(7)).isFalse();

        cache.putInt(7, 8, 42);
        assertThat(cache.install(7, bytes)).as("cached copy may be newer").isFalse();
        assertThat(cache.lookup(7).getInt(8)).isEqualTo(42);
        assertThat(cache.lookup(7).isReadOnly()).isTrue();
        assertThatThrownBy(() -> cache.putInt(8, 0, 1)).isInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("a new map block is zeroed, uptodate and dirty")
    void newMapBlockIsZeroedAndDirty(int blockSize) {
        MetadataCache cache = new MetadataCache(blockSize);
        byte[] old = new byte[blockSize];
        old[0] = 1;
        cache.install(9, old);

        ByteBuffer view = cache.getOrCreateZeroed(9);
        assertThat(view.remaining()).isEqualTo(blockSize);
        for (int i = 0; i < blockSize; i++) {
            assertThat(view.get(i)).isZero();
        }
        assertThat(cache.isDirty(9)).isTrue();
        assertThat(cache.dirtyBlocks()).containsExactly(9);
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("B7 writeIfDirty returns a META write bio only when dirty, then the block is clean")
    void writeIfDirty(int blockSize) {
        MetadataCache cache = new MetadataCache(blockSize);
        assertThat(cache.writeIfDirty(5)).as("not cached").isNull();
        cache.install(5, new byte[blockSize]);
        assertThat(cache.writeIfDirty(5)).as("clean").isNull();

        cache.putInt(5, 0, 77);
        Bio bio = cache.writeIfDirty(5);
        assertThat(bio.op()).isEqualTo(BioOp.WRITE);
        assertThat(bio.flags()).isEqualTo(Set.of(BioFlag.META));
        assertThat(bio.startSector()).isEqualTo(5L * (blockSize / 512));
        assertThat(bio.inode()).isZero();
        assertThat(bio.segments()).hasSize(1);
        Segment segment = bio.segments().get(0);
        assertThat(segment.metaBlock()).isEqualTo(5);
        assertThat(segment.pageIndex()).isEqualTo(Segment.NO_PAGE);
        assertThat(segment.length()).isEqualTo(blockSize);
        assertThat(segment.buffer().order(ByteOrder.LITTLE_ENDIAN).getInt(0)).isEqualTo(77);

        assertThat(cache.isDirty(5)).isFalse();
        assertThat(cache.isWriteInFlight(5)).isTrue();
        assertThat(cache.writeIfDirty(5)).as("clean again").isNull();

        cache.putInt(5, 0, 78);
        assertThat(segment.buffer().order(ByteOrder.LITTLE_ENDIAN).getInt(0)).as("bio holds a copy").isEqualTo(77);
        assertThat(cache.writeIfDirty(5)).as("one write in flight at a time").isNull();
        cache.writeCompleted(5, true);
        assertThat(cache.isWriteInFlight(5)).isFalse();
        assertThat(cache.writeIfDirty(5)).isNotNull();
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("B7 a failed metadata write leaves the block dirty for the next write")
    void failedWriteRedirties(int blockSize) {
        MetadataCache cache = new MetadataCache(blockSize);
        cache.getOrCreateZeroed(3);
        cache.writeIfDirty(3);
        cache.writeCompleted(3, false);
        assertThat(cache.isDirty(3)).isTrue();
        assertThat(cache.writeIfDirty(3)).isNotNull();
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("B8 cleanAlias forgets a cached buffer and reports a write in flight")
    void cleanAlias(int blockSize) {
        MetadataCache cache = new MetadataCache(blockSize);
        assertThat(cache.cleanAlias(4)).as("nothing cached").isFalse();

        cache.getOrCreateZeroed(4);
        assertThat(cache.cleanAlias(4)).isFalse();
        assertThat(cache.lookup(4)).isNull();
        assertThat(cache.isDirty(4)).isFalse();
        assertThat(cache.dirtyBlocks()).isEmpty();
        assertThat(cache.writeIfDirty(4)).as("never written after").isNull();

        cache.getOrCreateZeroed(6);
        cache.writeIfDirty(6);
        cache.putInt(6, 0, 1);
        assertThat(cache.cleanAlias(6)).as("caller must wait").isTrue();
        assertThat(cache.lookup(6)).isNull();
        assertThat(cache.isWriteInFlight(6)).isTrue();
        cache.writeCompleted(6, false);
        assertThat(cache.isWriteInFlight(6)).isFalse();
        assertThat(cache.dirtyBlocks()).as("a failed write does not bring it back").isEmpty();
        assertThat(cache.cleanAlias(6)).isFalse();
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("readBio reads a block through the device; readCompleted installs it only on success")
    void readThroughDevice(int blockSize) {
        MetadataCache cache = new MetadataCache(blockSize);
        FakeDevice device = new FakeDevice(blockSize, 64);
        MetadataCache writer = new MetadataCache(blockSize);
        writer.getOrCreateZeroed(10);
        writer.putInt(10, blockSize - 4, 123456);
        device.submit(writer.writeIfDirty(10));

        Bio read = cache.readBio(10);
        assertThat(read.op()).isEqualTo(BioOp.READ);
        assertThat(read.flags()).containsExactly(BioFlag.META);
        assertThat(read.startSector()).isEqualTo(10L * (blockSize / 512));
        assertThat(read.segments().get(0).metaBlock()).isEqualTo(10);
        assertThat(cache.readBio(10)).as("a read is in flight").isNull();
        assertThat(cache.lookup(10)).as("not uptodate yet").isNull();

        device.submit(read);
        cache.readCompleted(10, true);
        assertThat(cache.lookup(10).getInt(blockSize - 4)).isEqualTo(123456);
        assertThat(cache.isDirty(10)).isFalse();
        assertThat(cache.readBio(10)).as("already cached").isNull();

        device.failWith(Errno.EIO);
        Bio failing = cache.readBio(11);
        cache.readCompleted(11, device.submit(failing) == null);
        assertThat(cache.lookup(11)).isNull();
        assertThat(cache.readBio(11)).as("can be retried").isNotNull();
    }

    @ParameterizedTest(name = "block size {0}")
    @MethodSource("blockSizes")
    @DisplayName("evictClean drops clean buffers and keeps dirty and in-flight ones")
    void evictClean(int blockSize) {
        MetadataCache cache = new MetadataCache(blockSize);
        cache.install(1, new byte[blockSize]);
        cache.getOrCreateZeroed(2);
        cache.getOrCreateZeroed(3);
        cache.writeIfDirty(3);

        assertThat(cache.evictClean()).isEqualTo(1);
        assertThat(cache.lookup(1)).isNull();
        assertThat(cache.lookup(2)).isNotNull();
        assertThat(cache.lookup(3)).isNotNull();
        assertThat(cache.size()).isEqualTo(2);
    }
}
