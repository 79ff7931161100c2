package dev.writebackd.block.fault;

import static dev.writebackd.block.fault.VolatileCacheDeviceTest.filled;
import static dev.writebackd.block.fault.VolatileCacheDeviceTest.pattern;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteLogTest {
    private static final int SECTOR = BlockDevice.SECTOR_SIZE;
    private static final int DEVICE_BYTES = 1 << 20;

    @TempDir
    Path dir;

    @Test
    @DisplayName("replaying to flush N rebuilds the image captured at flush N, for every N (0 = the base image)")
    void replayToEveryFlushEqualsTheImageThen() throws IOException {
        MemoryDevice disk = new MemoryDevice(4096, DEVICE_BYTES);
        disk.writeBytes(8192, pattern(1, 3000 / SECTOR * SECTOR)); // a non-blank base image
        disk.writeBytes(DEVICE_BYTES - 4096, pattern(2, 4096));
        Path logPath = dir.resolve("run.wlog");
        List<byte[]> images = new ArrayList<>();
        images.add(disk.readBytes(0, DEVICE_BYTES));
        try (WriteLogDevice log = WriteLogDevice.start(disk, logPath)) {
            Random random = new Random(5);
            for (int step = 0; step < 200; step++) {
                if (random.nextInt(8) == 0) {
                    assertThat(log.submit(Bio.flush(Set.of()))).isNull();
                    images.add(disk.readBytes(0, DEVICE_BYTES));
                    continue;
                }
                boolean fua = random.nextInt(20) == 0;
                assertThat(log.submit(randomWrite(random, fua ? Set.of(BioFlag.FUA) : Set.of()))).isNull();
                if (fua) {
                    images.add(disk.readBytes(0, DEVICE_BYTES));
                }
            }
            assertThat(log.flushEpoch()).isEqualTo(images.size() - 1);
        }

        for (int n = 0; n < images.size(); n++) {
            Path out = dir.resolve("image-" + n);
            LogReplay.Result result = LogReplay.replay(logPath, n, out);
            assertThat(result.flushEpoch()).isEqualTo(n);
            assertThat(Files.readAllBytes(out)).as("image at flush %d", n).isEqualTo(images.get(n));
        }
    }

    @Test
    @DisplayName("over a volatile cache, a logged power cut replays exactly: images at flushes after it match too")
    void powerCutsReplayExactly() throws IOException {
        MemoryDevice disk = new MemoryDevice(4096, DEVICE_BYTES);
        VolatileCacheDevice cache = new VolatileCacheDevice(disk);
        Path logPath = dir.resolve("cut.wlog");
        List<byte[]> images = new ArrayList<>();
        images.add(disk.readBytes(0, DEVICE_BYTES));
        long dropped = 0;
        try (WriteLogDevice log = WriteLogDevice.start(cache, logPath)) {
            Random random = new Random(9);
            for (int round = 0; round < 4; round++) {
                for (int step = 0; step < 40; step++) {
                    if (random.nextInt(10) == 0) {
                        log.submit(Bio.flush(Set.of()));
                        images.add(disk.readBytes(0, DEVICE_BYTES));
                    } else {
                        log.submit(randomWrite(random, Set.of()));
                    }
                }
                PowerCutMode mode = round % 2 == 0 ? PowerCutMode.RANDOM : PowerCutMode.DROP_UNFLUSHED;
                PowerCutResult cut = cache.powerCut(mode, 100 + round);
                log.recordPowerCut(mode, cut);
                dropped += cut.droppedSectors();
            }
            log.submit(Bio.flush(Set.of()));
            images.add(disk.readBytes(0, DEVICE_BYTES));
        }
        assertThat(dropped).isPositive();

        for (int n = 0; n < images.size(); n++) {
            Path out = dir.resolve("cut-image-" + n);
            LogReplay.replay(logPath, n, out);
            assertThat(Files.readAllBytes(out)).as("image at flush %d", n).isEqualTo(images.get(n));
        }
    }

    @Test
    @DisplayName("the reader returns base data, writes, flushes with their epochs and cuts, in order")
    void readerSeesRecordsInOrder() throws IOException {
        MemoryDevice disk = new MemoryDevice(4096, DEVICE_BYTES);
        disk.writeBytes(4096, filled(4096, 7));
        Path logPath = dir.resolve("order.wlog");
        try (WriteLogDevice log = WriteLogDevice.start(disk, logPath)) {
            log.submit(write(16, filled(2 * SECTOR, 1), Set.of()));
            log.submit(Bio.flush(Set.of()));
            log.submit(write(2, filled(SECTOR, 2), Set.of(BioFlag.FUA)));
            log.recordPowerCut(PowerCutMode.RANDOM, new PowerCutResult(3, 0));
        }
        try (WriteLog reader = WriteLog.open(logPath)) {
            assertThat(reader.blockSize()).isEqualTo(4096);
            assertThat(reader.sizeBytes()).isEqualTo(DEVICE_BYTES);
            WriteLog.Data base = (WriteLog.Data) reader.next();
            assertThat(base.base()).isTrue();
            assertThat(base.sector()).isEqualTo(8);
            assertThat(base.data()).isEqualTo(filled(4096, 7));
            WriteLog.Data first = (WriteLog.Data) reader.next();
            assertThat(first.base()).isFalse();
            assertThat(first.sector()).isEqualTo(16);
            assertThat(reader.next()).isEqualTo(new WriteLog.Flush(1));
            assertThat(((WriteLog.Data) reader.next()).sector()).isEqualTo(2);
            assertThat(reader.next()).isEqualTo(new WriteLog.Flush(2));
            assertThat(reader.next()).isEqualTo(new WriteLog.PowerCut(PowerCutMode.RANDOM, 3, 0));
            assertThat(reader.next()).isNull();
            assertThat(reader.tornTail()).isFalse();
        }
    }

    @Test
    @DisplayName("failed writes and flushes are not recorded; reads pass through")
    void failuresAreNotRecorded() throws IOException {
        MemoryDevice disk = new MemoryDevice(4096, DEVICE_BYTES);
        Path logPath = dir.resolve("fail.wlog");
        try (WriteLogDevice log = WriteLogDevice.start(disk, logPath)) {
            disk.failNext(BioOp.WRITE, Errno.EIO, 1);
            disk.failNext(BioOp.FLUSH, Errno.EIO, 1);
            assertThat(log.submit(write(0, filled(SECTOR, 1), Set.of()))).isEqualTo(Errno.EIO);
            assertThat(log.submit(Bio.flush(Set.of()))).isEqualTo(Errno.EIO);
            assertThat(VolatileCacheDeviceTest.read(log, 0, 1)).isEqualTo(new byte[SECTOR]);
            assertThat(log.writesRecorded()).isZero();
            assertThat(log.flushEpoch()).isZero();
        }
        try (WriteLog reader = WriteLog.open(logPath)) {
            assertThat(reader.next()).isNull();
        }
    }

    @Test
    @DisplayName("a flush the log does not reach is refused and leaves an existing output untouched")
    void flushBeyondTheLogIsRefused() throws IOException {
        Path logPath = smallLog(2);
        Path out = dir.resolve("existing.img");
        Files.write(out, new byte[] {1, 2, 3});

        assertThatThrownBy(() -> LogReplay.replay(logPath, 3, out)).isInstanceOf(WriteLogException.class)
                .hasMessageContaining("holds 2 flushes");
        assertThatThrownBy(() -> LogReplay.replay(logPath, -1, out)).isInstanceOf(IllegalArgumentException.class);

        assertThat(Files.readAllBytes(out)).containsExactly(1, 2, 3);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(name -> name.contains("replay-tmp"));
        }
    }

    @Test
    @DisplayName("a torn last record ends the log there: earlier flushes still replay")
    void tornTailIsTolerated() throws IOException {
        Path logPath = smallLog(2);
        long size = Files.size(logPath);
        try (FileChannel channel = FileChannel.open(logPath, StandardOpenOption.WRITE)) {
            channel.truncate(size - 3); // cuts the last flush record
        }

        assertThat(LogReplay.replay(logPath, 1, dir.resolve("one.img")).flushEpoch()).isEqualTo(1);
        assertThatThrownBy(() -> LogReplay.replay(logPath, 2, dir.resolve("two.img")))
                .hasMessageContaining("torn");
        try (WriteLog reader = WriteLog.open(logPath)) {
            while (reader.next() != null) {
                // read to the end
            }
            assertThat(reader.tornTail()).isTrue();
        }
    }

    @Test
    @DisplayName("damaged data fails its checksum; a file that is not a log is refused")
    void damageIsDetected() throws IOException {
        Path logPath = smallLog(1);
        byte[] bytes = Files.readAllBytes(logPath);
        int dataStart = 8 + 4 + 4 + 8 + 17; // header, then the first write's record header
        bytes[dataStart + 10] ^= 0x55;
        Files.write(logPath, bytes);
        assertThatThrownBy(() -> LogReplay.replay(logPath, 1, dir.resolve("bad.img")))
                .isInstanceOf(WriteLogException.class).hasMessageContaining("checksum mismatch");

        Path notALog = dir.resolve("not-a-log");
        Files.writeString(notALog, "hello, this is not a write log at all");
        assertThatThrownBy(() -> WriteLog.open(notALog)).isInstanceOf(WriteLogException.class)
                .hasMessageContaining("bad magic");
    }

    /** A log over a blank device with one write before each of {@code flushes} flushes. */
    private Path smallLog(int flushes) throws IOException {
        Path logPath = dir.resolve("small-" + flushes + ".wlog");
        try (WriteLogDevice log = WriteLogDevice.start(new MemoryDevice(4096, DEVICE_BYTES), logPath)) {
            for (int i = 0; i < flushes; i++) {
                log.submit(write(8L * i, filled(4096, i + 1), Set.of()));
                log.submit(Bio.flush(Set.of()));
            }
        }
        return logPath;
    }

    /** A write of 1 to 16 sectors in 1 to 3 segments somewhere on the device. */
    private static Bio randomWrite(Random random, Set<BioFlag> flags) {
        int sectors = 1 + random.nextInt(16);
        long start = random.nextInt(DEVICE_BYTES / SECTOR - sectors);
        int segments = Math.min(sectors, 1 + random.nextInt(3));
        List<Segment> list = new ArrayList<>();
        int left = sectors;
        for (int s = 0; s < segments; s++) {
            int here = s == segments - 1 ? left : 1 + random.nextInt(left - (segments - s - 1));
            left -= here;
            list.add(Segment.ofMetadata(ByteBuffer.wrap(pattern(random.nextLong(), here * SECTOR)), 0));
        }
        return new Bio(BioOp.WRITE, start, list, flags, 0);
    }

    private static Bio write(long sector, byte[] data, Set<BioFlag> flags) {
        return VolatileCacheDeviceTest.write(sector, data, flags);
    }
}
