package dev.writebackd.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import dev.writebackd.block.DeviceHeaderException.Kind;
import dev.writebackd.block.MemoryDevice.Request;
import dev.writebackd.error.Errno;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeviceHeaderTest {
    private static final UUID ID = UUID.fromString("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    void writtenHeaderReadsBack(int blockSize) {
        MemoryDevice device = new MemoryDevice(blockSize, 100L * blockSize);
        DeviceHeader header = new DeviceHeader(blockSize, "extent", 100L * blockSize, ID);

        header.write(device);

        assertThat(DeviceHeader.read(device)).isEqualTo(header);
        assertThat(device.requests()).hasSize(2);
        Request write = device.requests().get(0);
        assertThat(write.op()).isEqualTo(BioOp.WRITE);
        assertThat(write.startSector()).isZero();
        assertThat(write.sectorCount()).isEqualTo(blockSize / BlockDevice.SECTOR_SIZE);
        assertThat(write.flags()).contains(BioFlag.META, BioFlag.FUA);
        Request read = device.requests().get(1);
        assertThat(read.op()).isEqualTo(BioOp.READ);
        assertThat(read.startSector()).isZero();
        assertThat(read.sectorCount()).isEqualTo(blockSize / BlockDevice.SECTOR_SIZE);
        // Magic first, the rest of block 0 beyond the header zero.
        assertThat(device.readBytes(0, 8)).isEqualTo("WRITEBKD".getBytes(StandardCharsets.US_ASCII));
        byte[] rest = device.readBytes(DeviceHeader.HEADER_BYTES, blockSize - DeviceHeader.HEADER_BYTES);
        assertThat(rest).isEqualTo(new byte[rest.length]);
    }

    @Test
    void createTakesTheDeviceGeometryAndAFreshId() {
        MemoryDevice device = new MemoryDevice(2048, 2048L * 64);
        DeviceHeader a = DeviceHeader.create(device, "ext2");
        DeviceHeader b = DeviceHeader.create(device, "ext2");
        assertThat(a.blockSize()).isEqualTo(2048);
        assertThat(a.sizeBytes()).isEqualTo(2048L * 64);
        assertThat(a.layout()).isEqualTo("ext2");
        assertThat(a.id()).isNotEqualTo(b.id());
    }

    @Test
    void blankDeviceIsToldFromCorruptOne() {
        MemoryDevice device = new MemoryDevice(4096, 4096L * 16);
        assertRefused(() -> DeviceHeader.read(device), Kind.BLANK, Errno.EINVAL);

        device.writeBytes(4000, new byte[] {1});
        assertRefused(() -> DeviceHeader.read(device), Kind.BAD_MAGIC, Errno.EINVAL);
    }

    @Test
    void foreignContentsAreBadMagic() {
        MemoryDevice device = new MemoryDevice(4096, 4096L * 16);
        device.writeBytes(0, TestBios.pattern(1, 4096));
        assertRefused(() -> DeviceHeader.read(device), Kind.BAD_MAGIC, Errno.EINVAL);
    }

    @ParameterizedTest(name = "byte {0}")
    @ValueSource(ints = {12, 16, 24, 39, 40, 41, 60, 100, 507})
    void damagedHeaderIsCorrupt(int offset) {
        MemoryDevice device = new MemoryDevice(1024, 1024L * 32);
        new DeviceHeader(1024, "extent", 1024L * 32, ID).write(device);
        byte[] one = device.readBytes(offset, 1);
        device.writeBytes(offset, new byte[] {(byte) (one[0] ^ 0x10)});
        assertRefused(() -> DeviceHeader.read(device), Kind.CORRUPT, Errno.EIO);
    }

    @Test
    void damagedChecksumIsCorrupt() {
        MemoryDevice device = new MemoryDevice(1024, 1024L * 32);
        new DeviceHeader(1024, "extent", 1024L * 32, ID).write(device);
        device.writeBytes(DeviceHeader.CHECKSUM_OFFSET, new byte[] {0, 0, 0, 0});
        assertRefused(() -> DeviceHeader.read(device), Kind.CORRUPT, Errno.EIO);
    }

    @Test
    void checksummedButInvalidFieldsAreCorrupt() {
        MemoryDevice device = new MemoryDevice(4096, 4096L * 16);
        ByteBuffer block = new DeviceHeader(4096, "extent", 4096L * 16, ID).encode(DeviceHeader.FORMAT_VERSION, 4096);
        block.put(DeviceHeader.LAYOUT_OFFSET, (byte) 0); // an empty layout name
        block.putInt(DeviceHeader.CHECKSUM_OFFSET, crc(block));
        device.writeBytes(0, block.array());
        assertRefused(() -> DeviceHeader.read(device), Kind.CORRUPT, Errno.EIO);
    }

    @Test
    void newerFormatIsUnsupported() {
        MemoryDevice device = new MemoryDevice(4096, 4096L * 16);
        ByteBuffer block = new DeviceHeader(4096, "extent", 4096L * 16, ID).encode(DeviceHeader.FORMAT_VERSION + 1, 4096);
        device.writeBytes(0, block.array());
        assertRefused(() -> DeviceHeader.read(device), Kind.UNSUPPORTED_VERSION, Errno.EINVAL);
    }

    @Test
    void headerOfAnotherBlockSizeIsRefused() {
        MemoryDevice written = new MemoryDevice(1024, 4096L * 16);
        new DeviceHeader(1024, "extent", 4096L * 16, ID).write(written);
        MemoryDevice other = new MemoryDevice(4096, 4096L * 16);
        other.writeBytes(0, written.readBytes(0, 4096));
        assertRefused(() -> DeviceHeader.read(other), Kind.BLOCK_SIZE_MISMATCH, Errno.EINVAL);

        MemoryDevice smaller = new MemoryDevice(512, 4096L * 16);
        smaller.writeBytes(0, written.readBytes(0, 4096));
        assertRefused(() -> DeviceHeader.read(smaller), Kind.BLOCK_SIZE_MISMATCH, Errno.EINVAL);
    }

    @Test
    void headerOfAnotherSizeIsRefused() {
        MemoryDevice written = new MemoryDevice(4096, 4096L * 16);
        new DeviceHeader(4096, "extent", 4096L * 16, ID).write(written);
        MemoryDevice bigger = new MemoryDevice(4096, 4096L * 32);
        bigger.writeBytes(0, written.readBytes(0, 4096));
        assertRefused(() -> DeviceHeader.read(bigger), Kind.SIZE_MISMATCH, Errno.EINVAL);
    }

    @Test
    void layoutAndIdAreCheckedOnRequest() {
        DeviceHeader header = new DeviceHeader(4096, "extent", 4096L * 16, ID);
        assertThat(header.expectLayout("extent").expectId(ID)).isSameAs(header);
        assertRefused(() -> header.expectLayout("ext2"), Kind.LAYOUT_MISMATCH, Errno.EINVAL);
        assertRefused(() -> header.expectId(UUID.randomUUID()), Kind.ID_MISMATCH, Errno.EINVAL);
    }

    @Test
    void ioErrorsCarryTheDeviceErrno() {
        MemoryDevice device = new MemoryDevice(4096, 4096L * 16);
        DeviceHeader header = DeviceHeader.create(device, "extent");
        device.failNext(BioOp.WRITE, Errno.ENOSPC, 1);
        assertRefused(() -> header.write(device), Kind.IO, Errno.ENOSPC);
        header.write(device);
        device.failNext(BioOp.READ, Errno.EIO, 1);
        assertRefused(() -> DeviceHeader.read(device), Kind.IO, Errno.EIO);
        assertThat(DeviceHeader.read(device)).isEqualTo(header);
    }

    @Test
    void invalidHeadersAreRefusedAtConstruction() {
        assertThatThrownBy(() -> new DeviceHeader(4096, "extent", 4096L * (DeviceHeader.MIN_DEVICE_BLOCKS - 1), ID))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minimum");
        assertThat(new DeviceHeader(4096, "extent", 4096L * DeviceHeader.MIN_DEVICE_BLOCKS, ID).sizeBytes())
                .isEqualTo(4096L * 16);
        assertThatThrownBy(() -> new DeviceHeader(4096, "", 4096L * 16, ID)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DeviceHeader(4096, "a".repeat(DeviceHeader.MAX_LAYOUT_LENGTH + 1), 4096L * 16, ID))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new DeviceHeader(4096, "a".repeat(DeviceHeader.MAX_LAYOUT_LENGTH), 4096L * 16, ID).layout())
                .hasSize(31);
        assertThatThrownBy(() -> new DeviceHeader(4096, "two words", 4096L * 16, ID)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DeviceHeader(4096, "extént", 4096L * 16, ID)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DeviceHeader(3000, "extent", 3000L * 16, ID)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DeviceHeader(4096, "extent", 4096L * 16, null)).isInstanceOf(NullPointerException.class);
        assertThat(DeviceHeader.FIRST_DATA_BLOCK).isEqualTo(1);
    }

    @Test
    void headerIsNotWrittenToADeviceOfAnotherGeometry() {
        DeviceHeader header = new DeviceHeader(4096, "extent", 4096L * 16, ID);
        MemoryDevice device = new MemoryDevice(4096, 4096L * 32);
        assertThatThrownBy(() -> header.write(device)).isInstanceOf(IllegalArgumentException.class);
        assertThat(device.requests()).isEmpty();
    }

    private static void assertRefused(ThrowingCallable call, Kind kind, Errno errno) {
        assertThatThrownBy(call)
                .asInstanceOf(type(DeviceHeaderException.class))
                .satisfies(e -> {
                    assertThat(e.kind()).isEqualTo(kind);
                    assertThat(e.errno()).isEqualTo(errno);
                });
    }

    private static int crc(ByteBuffer block) {
        CRC32C crc = new CRC32C();
        crc.update(block.slice(0, DeviceHeader.CHECKSUM_OFFSET));
        return (int) crc.getValue();
    }
}
