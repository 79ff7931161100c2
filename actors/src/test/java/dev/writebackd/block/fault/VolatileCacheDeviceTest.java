package dev.writebackd.block.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class VolatileCacheDeviceTest {
    private static final int SECTOR = BlockDevice.SECTOR_SIZE;
    private static final long DEVICE_BYTES = 1L << 20;

    private final MemoryDevice below = new MemoryDevice(4096, DEVICE_BYTES);
    private final VolatileCacheDevice cache = new VolatileCacheDevice(below);

    @Test
    @DisplayName("writes stay in the cache: reads see them, the device below does not")
    void writesStayInTheCache() {
        byte[] data = pattern(1, 3 * SECTOR);
        assertThat(cache.submit(write(10, data, Set.of()))).isNull();

        assertThat(cache.unflushedSectors()).isEqualTo(3);
        assertThat(below.readBytes(10L * SECTOR, data.length)).isEqualTo(new byte[data.length]);
        assertThat(read(cache, 9, 5)).isEqualTo(concat(new byte[SECTOR], data, new byte[SECTOR]));
        assertThat(below.requests()).extracting(MemoryDevice.Request::op).containsOnly(BioOp.READ);
    }

    @Test
    @DisplayName("a flush makes every earlier write durable, in sector order, then flushes below")
    void flushMakesWritesDurable() {
        byte[] a = pattern(2, 2 * SECTOR);
        byte[] b = pattern(3, SECTOR);
        cache.submit(write(20, a, Set.of()));
        cache.submit(write(4, b, Set.of()));

        assertThat(cache.submit(Bio.flush(Set.of()))).isNull();

        assertThat(cache.unflushedSectors()).isZero();
        assertThat(below.readBytes(20L * SECTOR, a.length)).isEqualTo(a);
        assertThat(below.readBytes(4L * SECTOR, b.length)).isEqualTo(b);
        List<MemoryDevice.Request> requests = below.requests();
        assertThat(requests).extracting(MemoryDevice.Request::op)
                .containsExactly(BioOp.WRITE, BioOp.WRITE, BioOp.FLUSH);
        assertThat(requests).extracting(MemoryDevice.Request::startSector).containsExactly(4L, 20L, 0L);
    }

    @Test
    @DisplayName("a FUA write is durable with everything written before it")
    void fuaWriteIsDurableWithEarlierWrites() {
        byte[] early = pattern(4, SECTOR);
        byte[] fua = pattern(5, SECTOR);
        cache.submit(write(100, early, Set.of()));

        assertThat(cache.submit(write(7, fua, Set.of(BioFlag.FUA)))).isNull();

        assertThat(cache.unflushedSectors()).isZero();
        assertThat(below.readBytes(100L * SECTOR, SECTOR)).isEqualTo(early);
        assertThat(below.readBytes(7L * SECTOR, SECTOR)).isEqualTo(fua);
        cache.powerCut(PowerCutMode.DROP_UNFLUSHED, 1);
        assertThat(below.readBytes(7L * SECTOR, SECTOR)).isEqualTo(fua);
    }

    @Test
    @DisplayName("a rewritten unflushed sector keeps its latest bytes and counts once")
    void rewriteKeepsLatestBytes() {
        cache.submit(write(3, pattern(6, 2 * SECTOR), Set.of()));
        byte[] newer = pattern(7, SECTOR);
        cache.submit(write(4, newer, Set.of()));

        assertThat(cache.unflushedSectors()).isEqualTo(2);
        assertThat(read(cache, 4, 1)).isEqualTo(newer);
    }

    @Test
    @DisplayName("drop-unflushed loses exactly the unflushed sectors and keeps what was flushed")
    void dropUnflushedKeepsOnlyFlushedData() {
        byte[] flushed = pattern(8, 4 * SECTOR);
        cache.submit(write(0, flushed, Set.of()));
        cache.submit(Bio.flush(Set.of()));
        cache.submit(write(2, pattern(9, 4 * SECTOR), Set.of()));
        cache.submit(write(50, pattern(10, SECTOR), Set.of()));

        PowerCutResult result = cache.powerCut(PowerCutMode.DROP_UNFLUSHED, 42);

        assertThat(result).isEqualTo(new PowerCutResult(42, 5));
        assertThat(cache.unflushedSectors()).isZero();
        assertThat(read(cache, 0, 4)).isEqualTo(flushed);
        assertThat(read(cache, 50, 1)).isEqualTo(new byte[SECTOR]);
    }

    @Test
    @DisplayName("random keeps a seeded subset of sectors: each sector old or new, same seed same outcome")
    void randomKeepsASeededSubset() {
        byte[][] outcomes = new byte[2][];
        long[] dropped = new long[2];
        for (int round = 0; round < 2; round++) {
            MemoryDevice device = new MemoryDevice(4096, DEVICE_BYTES);
            VolatileCacheDevice volatileCache = new VolatileCacheDevice(device);
            volatileCache.submit(write(0, filled(64 * SECTOR, 1), Set.of()));
            volatileCache.submit(Bio.flush(Set.of()));
            volatileCache.submit(write(0, filled(64 * SECTOR, 2), Set.of()));
            dropped[round] = volatileCache.powerCut(PowerCutMode.RANDOM, 1234).droppedSectors();
            outcomes[round] = device.readBytes(0, 64 * SECTOR);
        }

        assertThat(outcomes[1]).isEqualTo(outcomes[0]);
        assertThat(dropped[1]).isEqualTo(dropped[0]);
        int kept = 0;
        for (int s = 0; s < 64; s++) {
            byte[] sector = Arrays.copyOfRange(outcomes[0], s * SECTOR, (s + 1) * SECTOR);
            boolean old = Arrays.equals(sector, filled(SECTOR, 1));
            boolean fresh = Arrays.equals(sector, filled(SECTOR, 2));
            assertThat(old || fresh).as("sector %d is old or new, never mixed", s).isTrue();
            kept += fresh ? 1 : 0;
        }
        assertThat(dropped[0]).isEqualTo(64 - kept);
    }

    @Test
    @DisplayName("over many seeds random cuts keep none, some and all of a write: torn writes happen")
    void randomCutsTearWrites() {
        boolean sawNone = false;
        boolean sawTorn = false;
        boolean sawAll = false;
        for (long seed = 0; seed < 200; seed++) {
            VolatileCacheDevice volatileCache = new VolatileCacheDevice(new MemoryDevice(4096, DEVICE_BYTES));
            volatileCache.submit(write(0, filled(8 * SECTOR, 3), Set.of()));
            long dropped = volatileCache.powerCut(PowerCutMode.RANDOM, seed).droppedSectors();
            sawNone |= dropped == 8;
            sawAll |= dropped == 0;
            sawTorn |= dropped > 0 && dropped < 8;
        }
        assertThat(sawNone).isTrue();
        assertThat(sawTorn).isTrue();
        assertThat(sawAll).isTrue();
    }

    @Test
    @DisplayName("a failed flush below fails the flush and keeps the cached sectors for the next one")
    void failedFlushKeepsTheCache() {
        byte[] data = pattern(11, SECTOR);
        cache.submit(write(9, data, Set.of()));
        below.failNext(BioOp.FLUSH, Errno.EIO, 1);

        assertThat(cache.submit(Bio.flush(Set.of()))).isEqualTo(Errno.EIO);
        assertThat(cache.unflushedSectors()).isEqualTo(1);

        assertThat(cache.submit(Bio.flush(Set.of()))).isNull();
        assertThat(cache.unflushedSectors()).isZero();
        assertThat(below.readBytes(9L * SECTOR, SECTOR)).isEqualTo(data);
    }

    @Test
    @DisplayName("a power cut whose kept sectors cannot be written fails with the device's error")
    void powerCutReportsAFailingDevice() {
        cache.submit(write(0, filled(8 * SECTOR, 4), Set.of()));
        below.failWhen(bio -> bio.op() == BioOp.WRITE, Errno.EIO);

        assertThatThrownBy(() -> cache.powerCut(PowerCutMode.RANDOM, findSeedKeepingSomething()))
                .isInstanceOf(ErrnoException.class);
        assertThat(cache.unflushedSectors()).isZero();
    }

    @Test
    @DisplayName("bios past the device end fail with EIO and change nothing (B9)")
    void pastTheEndFails() {
        long end = DEVICE_BYTES / SECTOR;
        assertThat(cache.submit(write(end, filled(SECTOR, 5), Set.of()))).isEqualTo(Errno.EIO);
        assertThat(cache.unflushedSectors()).isZero();
        assertThat(cache.submit(write(end - 1, filled(2 * SECTOR, 5), Set.of()))).isNull();
        assertThat(cache.unflushedSectors()).isEqualTo(1);
    }

    @Test
    @DisplayName("a closed cache fails bios with EIO and closes the device below")
    void closeFailsBios() {
        cache.submit(write(0, filled(SECTOR, 6), Set.of()));
        cache.close();
        assertThat(cache.submit(write(0, filled(SECTOR, 6), Set.of()))).isEqualTo(Errno.EIO);
        assertThat(cache.submit(Bio.flush(Set.of()))).isEqualTo(Errno.EIO);
        assertThat(below.submit(Bio.flush(Set.of()))).isEqualTo(Errno.EIO);
    }

    @Test
    @DisplayName("mode names round-trip; an unknown name is refused")
    void modeNames() {
        assertThat(PowerCutMode.DROP_UNFLUSHED.wireName()).isEqualTo("drop-unflushed");
        assertThat(PowerCutMode.fromWireName("random")).contains(PowerCutMode.RANDOM);
        assertThat(PowerCutMode.fromWireName("RANDOM")).isEmpty();
    }

    private static long findSeedKeepingSomething() {
        for (long seed = 0; ; seed++) {
            VolatileCacheDevice probe = new VolatileCacheDevice(new MemoryDevice(4096, DEVICE_BYTES));
            probe.submit(write(0, filled(8 * SECTOR, 4), Set.of()));
            if (probe.powerCut(PowerCutMode.RANDOM, seed).droppedSectors() < 8) {
                return seed;
            }
        }
    }

    static Bio write(long sector, byte[] data, Set<BioFlag> flags) {
        return new Bio(BioOp.WRITE, sector, List.of(Segment.ofMetadata(ByteBuffer.wrap(data.clone()), 0)), flags, 0);
    }

    static byte[] read(BlockDevice device, long sector, int sectors) {
        ByteBuffer buffer = ByteBuffer.allocate(sectors * SECTOR);
        assertThat(device.submit(new Bio(BioOp.READ, sector, List.of(Segment.ofMetadata(buffer, 0)), Set.of(), 0)))
                .isNull();
        return buffer.array();
    }

    static byte[] pattern(long seed, int length) {
        byte[] bytes = new byte[length];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) random.nextInt(1, 256);
        }
        return bytes;
    }

    static byte[] filled(int length, int value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuffer out = ByteBuffer.allocate(Arrays.stream(parts).mapToInt(p -> p.length).sum());
        for (byte[] part : parts) {
            out.put(part);
        }
        return out.array();
    }
}
