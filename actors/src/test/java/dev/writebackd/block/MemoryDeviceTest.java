package dev.writebackd.block;

import static dev.writebackd.block.TestBios.concat;
import static dev.writebackd.block.TestBios.contents;
import static dev.writebackd.block.TestBios.pattern;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.block.MemoryDevice.Request;
import dev.writebackd.block.TestBios.Memory;
import dev.writebackd.error.Errno;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MemoryDeviceTest {
    private static final int SECTOR = BlockDevice.SECTOR_SIZE;

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    void multiSegmentWriteReadsBack(int blockSize) {
        MemoryDevice device = new MemoryDevice(blockSize, 64L * blockSize);
        byte[] a = pattern(1, blockSize);
        byte[] b = pattern(2, 2 * blockSize);
        byte[] c = pattern(3, blockSize);
        long start = 5L * blockSize / SECTOR;

        assertThat(device.submit(TestBios.write(start, a, b, c))).isNull();
        Bio read = TestBios.read(start, blockSize, blockSize, blockSize, blockSize);
        assertThat(device.submit(read)).isNull();

        assertThat(contents(read)).isEqualTo(concat(a, b, c));
        assertThat(device.readBytes(start * SECTOR, 4 * blockSize)).isEqualTo(concat(a, b, c));
        assertThat(device.readBytes(0, 5 * blockSize)).containsOnly(0);
        assertThat(device.blockSize()).isEqualTo(blockSize);
        assertThat(device.sectors()).isEqualTo(64L * blockSize / SECTOR);
    }

    @Test
    void recordsEveryRequestInOrder() {
        MemoryDevice device = new MemoryDevice(4096, 1 << 20);
        byte[] data = pattern(7, 8192);
        device.submit(TestBios.write(8, List.of(Arrays.copyOf(data, 4096), Arrays.copyOfRange(data, 4096, 8192)),
                Memory.OFF_HEAP, Set.of(BioFlag.SYNC, BioFlag.FUA), 17));
        device.submit(TestBios.read(8, 4096));
        device.submit(Bio.flush(Set.of(BioFlag.SYNC)));

        List<Request> requests = device.requests();

        assertThat(requests).extracting(Request::op).containsExactly(BioOp.WRITE, BioOp.READ, BioOp.FLUSH);
        Request write = requests.get(0);
        assertThat(write.startSector()).isEqualTo(8);
        assertThat(write.sectorCount()).isEqualTo(16);
        assertThat(write.endSector()).isEqualTo(24);
        assertThat(write.flags()).containsExactlyInAnyOrder(BioFlag.SYNC, BioFlag.FUA);
        assertThat(write.inode()).isEqualTo(17);
        assertThat(write.dataBytes()).isEqualTo(data);
        CRC32C crc = new CRC32C();
        crc.update(data);
        assertThat(write.crc32c()).isEqualTo((int) crc.getValue());
        assertThat(write.failed()).isFalse();
        assertThat(write.data().isReadOnly()).isTrue();
        Request read = requests.get(1);
        assertThat(read.sectorCount()).isEqualTo(8);
        assertThat(read.dataBytes()).isEmpty();
        assertThat(read.crc32c()).isZero();
        Request flush = requests.get(2);
        assertThat(flush.sectorCount()).isZero();
        assertThat(flush.flags()).containsExactly(BioFlag.SYNC);

        assertThatThrownBy(() -> requests.add(flush)).isInstanceOf(UnsupportedOperationException.class);
        device.clearRequests();
        assertThat(device.requests()).isEmpty();
        assertThat(requests).hasSize(3); // an earlier answer is a snapshot
        assertThat(device.readBytes(8 * SECTOR, 8192)).isEqualTo(data); // contents stay
    }

    @Test
    void recordingWithoutDataKeepsOnlyTheChecksum() {
        MemoryDevice device = new MemoryDevice(4096, 1 << 20, false);
        byte[] data = pattern(3, 4096);
        device.submit(TestBios.write(0, data));
        Request write = device.requests().get(0);
        assertThat(write.dataBytes()).isEmpty();
        CRC32C crc = new CRC32C();
        crc.update(data);
        assertThat(write.crc32c()).isEqualTo((int) crc.getValue());
        assertThat(device.readBytes(0, 4096)).isEqualTo(data);
    }

    @Test
    void recordedWriteDataIsACopy() {
        MemoryDevice device = new MemoryDevice(4096, 1 << 20);
        Bio bio = TestBios.write(0, pattern(1, 4096));
        device.submit(bio);
        bio.segments().get(0).buffer().put(0, (byte) 0);
        assertThat(device.requests().get(0).dataBytes()).isEqualTo(pattern(1, 4096));
        assertThat(device.readBytes(0, 4096)).isEqualTo(pattern(1, 4096));
    }

    @Test
    void failNextFailsThatManyBiosOfTheOpThenHeals() {
        MemoryDevice device = new MemoryDevice(4096, 1 << 20);
        device.failNext(BioOp.WRITE, Errno.EIO, 2);

        assertThat(device.submit(TestBios.read(0, 4096))).isNull(); // another op: unaffected
        assertThat(device.submit(TestBios.write(0, pattern(1, 4096)))).isEqualTo(Errno.EIO);
        assertThat(device.submit(Bio.flush(Set.of()))).isNull();
        assertThat(device.submit(TestBios.write(8, pattern(2, 4096)))).isEqualTo(Errno.EIO);
        assertThat(device.submit(TestBios.write(16, pattern(3, 4096)))).isNull();

        assertThat(device.readBytes(0, 2 * 4096)).containsOnly(0); // failed writes changed nothing
        assertThat(device.readBytes(16 * SECTOR, 4096)).isEqualTo(pattern(3, 4096));
        assertThat(device.requests()).extracting(Request::result)
                .containsExactly(null, Errno.EIO, null, Errno.EIO, null);
        assertThat(device.requests().get(1).dataBytes()).isEqualTo(pattern(1, 4096)); // still recorded
    }

    @Test
    void failNextRulesAddUpInOrder() {
        MemoryDevice device = new MemoryDevice(4096, 1 << 20);
        device.failNext(BioOp.WRITE, Errno.ENOSPC, 1);
        device.failNext(BioOp.WRITE, Errno.EIO, 1);
        device.failNext(BioOp.FLUSH, Errno.EIO, 1);

        assertThat(device.submit(TestBios.write(0, pattern(1, 4096)))).isEqualTo(Errno.ENOSPC);
        assertThat(device.submit(TestBios.write(0, pattern(1, 4096)))).isEqualTo(Errno.EIO);
        assertThat(device.submit(TestBios.write(0, pattern(1, 4096)))).isNull();
        assertThat(device.submit(Bio.flush(Set.of()))).isEqualTo(Errno.EIO);
        assertThat(device.submit(Bio.flush(Set.of()))).isNull();
        assertThatThrownBy(() -> device.failNext(BioOp.READ, Errno.EIO, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void failWhenFailsMatchingBiosUntilHealed() {
        MemoryDevice device = new MemoryDevice(4096, 1 << 20);
        byte[] old = pattern(9, 4096);
        device.writeBytes(0, old);
        device.failWhen(bio -> bio.op() == BioOp.WRITE && bio.inode() == 5, Errno.EIO);

        Bio ofFive = TestBios.write(0, List.of(pattern(1, 4096)), Memory.HEAP, Set.of(), 5);
        Bio ofSix = TestBios.write(8, List.of(pattern(2, 4096)), Memory.HEAP, Set.of(), 6);
        for (int i = 0; i < 3; i++) {
            assertThat(device.submit(ofFive)).isEqualTo(Errno.EIO);
        }
        assertThat(device.submit(ofSix)).isNull();
        Bio read = TestBios.read(0, 4096);
        device.failWhen(bio -> bio.op() == BioOp.READ, Errno.ENXIO);
        assertThat(device.submit(read)).isEqualTo(Errno.ENXIO);
        assertThat(contents(read)).containsOnly(0x5a); // a failed read leaves the buffers alone
        assertThat(device.readBytes(0, 4096)).isEqualTo(old);

        device.heal();

        assertThat(device.submit(ofFive)).isNull();
        assertThat(device.readBytes(0, 4096)).isEqualTo(pattern(1, 4096));
        assertThat(device.submit(read)).isNull();
        assertThat(contents(read)).isEqualTo(pattern(1, 4096));
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("B9: bios at or past the end fail with EIO, are recorded, and use up no fail rule")
    void biosPastTheEndFail(int blockSize) {
        MemoryDevice device = new MemoryDevice(blockSize, 16L * blockSize);
        device.failNext(BioOp.WRITE, Errno.ENOSPC, 1);
        Bio past = TestBios.write(device.sectors(), pattern(1, blockSize));

        assertThat(device.submit(past)).isEqualTo(Errno.EIO);
        assertThat(device.submit(TestBios.read(device.sectors() + 8, blockSize))).isEqualTo(Errno.EIO);
        assertThat(device.submit(TestBios.write(0, pattern(1, blockSize)))).isEqualTo(Errno.ENOSPC);
        assertThat(device.requests()).extracting(Request::result)
                .containsExactly(Errno.EIO, Errno.EIO, Errno.ENOSPC);
        assertThat(device.requests().get(0).startSector()).isEqualTo(device.sectors());
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    @DisplayName("B9/W13: a write running past the end lands up to the end; a read past it reads zeros there")
    void biosRunningPastTheEndAreClipped(int blockSize) {
        long size = 16L * blockSize;
        MemoryDevice device = new MemoryDevice(blockSize, size);
        long start = device.sectors() - 1;
        byte[] data = pattern(4, 4096);

        assertThat(device.submit(TestBios.write(start, data))).isNull();
        assertThat(device.readBytes(size - SECTOR, SECTOR)).isEqualTo(Arrays.copyOf(data, SECTOR));
        Request recorded = device.requests().get(0);
        assertThat(recorded.sectorCount()).isEqualTo(8); // recorded as submitted
        assertThat(recorded.result()).isNull();

        Bio read = TestBios.read(start, 4096);
        assertThat(device.submit(read)).isNull();
        assertThat(contents(read)).isEqualTo(concat(Arrays.copyOf(data, SECTOR), new byte[4096 - SECTOR]));
    }

    @Test
    void sparseStoreHoldsATerabyteDevice() {
        long size = 1L << 40;
        MemoryDevice device = new MemoryDevice(4096, size);
        long lastSector = size / SECTOR - 8;
        assertThat(device.submit(TestBios.write(lastSector, pattern(1, 4096)))).isNull();
        assertThat(device.submit(TestBios.write(0, pattern(2, 4096)))).isNull();

        assertThat(device.readBytes(size - 4096, 4096)).isEqualTo(pattern(1, 4096));
        assertThat(device.readBytes(size / 2, 4096)).containsOnly(0);
        assertThat(device.readBytes(0, 4096)).isEqualTo(pattern(2, 4096));
    }

    @Test
    void writesAcrossChunkBoundariesReadBack() {
        MemoryDevice device = new MemoryDevice(512, 1 << 20);
        byte[] data = pattern(5, 200 * 1024);
        long start = (64 * 1024 - 512) / SECTOR; // starts one sector before a chunk boundary
        assertThat(device.submit(TestBios.write(start, data))).isNull();
        Bio read = TestBios.read(start, 100 * 1024, 100 * 1024);
        assertThat(device.submit(read)).isNull();
        assertThat(contents(read)).isEqualTo(data);
    }

    @Test
    void snapshotAndRestoreCopyTheContents() {
        MemoryDevice device = new MemoryDevice(4096, 1 << 20);
        device.writeBytes(4096, pattern(1, 4096));
        MemoryDevice.Snapshot snapshot = device.snapshot();
        device.submit(TestBios.write(8, pattern(2, 4096)));

        assertThat(snapshot.readBytes(4096, 4096)).isEqualTo(pattern(1, 4096));
        assertThat(snapshot.sizeBytes()).isEqualTo(1 << 20);
        device.restore(snapshot);
        assertThat(device.readBytes(4096, 4096)).isEqualTo(pattern(1, 4096));
        device.writeBytes(4096, pattern(3, 4096));
        assertThat(snapshot.readBytes(4096, 4096)).isEqualTo(pattern(1, 4096));
        assertThat(device.requests()).hasSize(1); // helpers are not requests
        assertThatThrownBy(() -> device.readBytes((1 << 20) - 10, 11))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> new MemoryDevice(4096, 1 << 21).restore(snapshot))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void closedDeviceFailsBiosWithEio() {
        MemoryDevice device = new MemoryDevice(4096, 1 << 20);
        device.close();
        assertThat(device.submit(TestBios.write(0, pattern(1, 4096)))).isEqualTo(Errno.EIO);
        assertThat(device.requests()).hasSize(1);
        assertThat(device.readBytes(0, 4096)).containsOnly(0);
    }

    @Test
    void refusesBadGeometry() {
        assertThatThrownBy(() -> new MemoryDevice(3000, 3000 * 16)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MemoryDevice(4096, 4096 * 16 + 512)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MemoryDevice(4096, 1 << 20).submit(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void concurrentBiosAllLandAndAreAllRecorded() throws Exception {
        MemoryDevice device = new MemoryDevice(4096, 64L << 20);
        int threads = 4;
        int perThread = 200;
        Concurrently.run(threads, thread -> {
            for (int i = 0; i < perThread; i++) {
                int block = thread * perThread + i;
                assertThat(device.submit(TestBios.write(block * 8L, pattern(block, 4096)))).isNull();
            }
        });
        assertThat(device.requests()).hasSize(threads * perThread);
        for (int block = 0; block < threads * perThread; block++) {
            assertThat(device.readBytes(block * 4096L, 4096)).isEqualTo(pattern(block, 4096));
        }
    }
}
