package dev.writebackd.block;

import static dev.writebackd.block.TestBios.concat;
import static dev.writebackd.block.TestBios.contents;
import static dev.writebackd.block.TestBios.pattern;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.nio.file.ExtendedOpenOption;
import dev.writebackd.block.TestBios.Memory;
import dev.writebackd.error.Errno;
import dev.writebackd.error.ErrnoException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

class FileDeviceTest {
    private static final int SECTOR = BlockDevice.SECTOR_SIZE;
    private static final int[] BLOCK_SIZES = {512, 1024, 2048, 4096};

    /** The JUnit temporary directory, possibly on tmpfs. */
    @TempDir
    Path tmp;

    /** A directory under the module's target/, on the build's own disk. */
    private Path onDisk;

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final List<FileDevice> opened = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        Path base = Files.createDirectories(Path.of("target", "file-device-tests"));
        onDisk = Files.createTempDirectory(base, "run");
        log.start();
        logger().addAppender(log);
    }

    @AfterEach
    void tearDown() throws IOException {
        logger().detachAppender(log);
        opened.forEach(FileDevice::close);
        try (Stream<Path> paths = Files.walk(onDisk)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    static Stream<Arguments> geometries() {
        List<Arguments> all = new ArrayList<>();
        for (String where : new String[] {"tmp", "disk"}) {
            for (int blockSize : BLOCK_SIZES) {
                for (boolean direct : new boolean[] {false, true}) {
                    for (Memory memory : Memory.values()) {
                        all.add(Arguments.of(where, blockSize, direct, memory));
                    }
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}, block size {1}, O_DIRECT asked {2}, {3}")
    @MethodSource("geometries")
    void multiSegmentBiosRoundTrip(String where, int blockSize, boolean preferDirect, Memory memory)
            throws IOException {
        FileDevice device = open(dir(where).resolve("dev.img"), blockSize, 64L * blockSize, preferDirect);
        byte[] a = pattern(1, blockSize);
        byte[] b = pattern(2, 2 * blockSize);
        byte[] c = pattern(3, blockSize);
        long start = 5L * blockSize / SECTOR;

        Bio write = TestBios.write(start, List.of(a, b, c), memory, Set.of(BioFlag.SYNC), 3);
        assertThat(device.submit(write)).isNull();
        Bio read = TestBios.read(start, memory, 2 * blockSize, blockSize, blockSize);
        assertThat(device.submit(read)).isNull();

        assertThat(contents(read)).isEqualTo(concat(a, b, c));
        assertThat(contents(write)).isEqualTo(concat(a, b, c)); // the caller's buffers are untouched
        for (Segment segment : write.segments()) {
            assertThat(segment.buffer().position()).isZero();
        }
        assertThat(rawBytes(device.path(), start * SECTOR, 4 * blockSize)).isEqualTo(concat(a, b, c));
        assertThat(rawBytes(device.path(), 0, 5 * blockSize)).containsOnly(0);
        assertThat(device.submit(Bio.flush(Set.of()))).isNull();
        if (!preferDirect || blockSize % storeBlockSize(device.path()) != 0) {
            assertThat(device.directIo()).isFalse();
        }
    }

    @ParameterizedTest(name = "{0}, block size {1}, O_DIRECT asked {2}, {3}")
    @MethodSource("geometries")
    @DisplayName("B9/W13: bios are clipped at the end of a file device; past it they fail with EIO")
    void biosAreClippedAtTheDeviceEnd(String where, int blockSize, boolean preferDirect, Memory memory)
            throws IOException {
        long size = 16L * blockSize;
        FileDevice device = open(dir(where).resolve("dev.img"), blockSize, size, preferDirect);
        long start = device.sectors() - blockSize / SECTOR; // the last block, then one more
        byte[] data = pattern(4, 2 * blockSize);

        assertThat(device.submit(TestBios.write(start, List.of(data), memory, Set.of(), 1))).isNull();
        assertThat(Files.size(device.path())).isEqualTo(size);
        assertThat(rawBytes(device.path(), size - blockSize, blockSize)).isEqualTo(Arrays.copyOf(data, blockSize));

        Bio read = TestBios.read(start, memory, blockSize, blockSize);
        assertThat(device.submit(read)).isNull();
        assertThat(contents(read)).isEqualTo(concat(Arrays.copyOf(data, blockSize), new byte[blockSize]));

        assertThat(device.submit(TestBios.write(device.sectors(), List.of(data), memory, Set.of(), 1)))
                .isEqualTo(Errno.EIO);
        assertThat(device.submit(TestBios.read(device.sectors() + 1, memory, blockSize))).isEqualTo(Errno.EIO);
        assertThat(Files.size(device.path())).isEqualTo(size);
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    void createsTheFileSparseAndReopensWithItsData(int blockSize) throws IOException {
        Path path = onDisk.resolve("dev.img");
        long size = 64L << 30; // 64 GiB: only a sparse file is created instantly
        FileDevice device = open(path, blockSize, size, false);
        assertThat(Files.size(path)).isEqualTo(size);
        long lastBlock = size / SECTOR - blockSize / SECTOR;
        assertThat(device.submit(TestBios.write(lastBlock, pattern(1, blockSize)))).isNull();
        assertThat(device.submit(TestBios.write(0, pattern(2, blockSize)))).isNull();
        Bio middle = TestBios.read(size / 2 / SECTOR, blockSize);
        assertThat(device.submit(middle)).isNull();
        assertThat(contents(middle)).containsOnly(0);
        device.close();

        FileDevice again = open(path, blockSize, size, false);
        Bio last = TestBios.read(lastBlock, blockSize);
        Bio first = TestBios.read(0, blockSize);
        assertThat(again.submit(last)).isNull();
        assertThat(again.submit(first)).isNull();
        assertThat(contents(last)).isEqualTo(pattern(1, blockSize));
        assertThat(contents(first)).isEqualTo(pattern(2, blockSize));
    }

    @Test
    void refusesAnExistingFileOfAnotherSize() throws IOException {
        Path path = onDisk.resolve("dev.img");
        open(path, 4096, 4096L * 16, false).close();
        assertThatThrownBy(() -> FileDevice.open(path, 4096, 4096L * 32, false))
                .isInstanceOf(ErrnoException.class)
                .hasMessageContaining(String.valueOf(4096L * 16))
                .extracting(e -> ((ErrnoException) e).errno()).isEqualTo(Errno.EINVAL);
        assertThat(Files.size(path)).isEqualTo(4096L * 16);
        assertThatThrownBy(() -> FileDevice.open(onDisk, 4096, 4096L * 16, false))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("not a regular file");
        assertThatThrownBy(() -> FileDevice.open(path, 4096, 4096L * 16 + 512, false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FileDevice.open(onDisk.resolve("no/such/dir/dev.img"), 4096, 4096L * 16, false))
                .isInstanceOf(IOException.class);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tmp", "disk"})
    void usesDirectIoWhereTheFileStoreTakesIt(String where) throws IOException {
        Path path = dir(where).resolve("dev.img");
        assumeTrue(storeBlockSize(dir(where)) <= 4096 && 4096 % storeBlockSize(dir(where)) == 0);
        FileDevice device = open(path, 4096, 4096L * 16, true);

        assertThat(device.directIo()).isEqualTo(storeTakesDirectIo(path));
        assertThat(fallbackMessages()).hasSize(device.directIo() ? 0 : 1);
        assertThat(open(dir(where).resolve("buffered.img"), 4096, 4096L * 16, false).directIo()).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tmp", "disk"})
    void fallsBackToBufferedIoWhenBlocksAreSmallerThanTheStoresAndSaysSoOnce(String where) throws IOException {
        assumeTrue(storeBlockSize(dir(where)) > 512);
        FileDevice device = open(dir(where).resolve("dev.img"), 512, 512L * 64, true);

        assertThat(device.directIo()).isFalse();
        for (int i = 0; i < 10; i++) {
            assertThat(device.submit(TestBios.write(i, pattern(i, 512)))).isNull();
        }
        Bio read = TestBios.read(0, 512 * 10);
        assertThat(device.submit(read)).isNull();
        assertThat(fallbackMessages()).hasSize(1);
        assertThat(fallbackMessages().get(0))
                .contains(device.path().toString(), "512", String.valueOf(storeBlockSize(dir(where))));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Memory.class)
    void directIoDevicesTakeSectorGranularBios(Memory memory) throws IOException {
        FileDevice device = open(onDisk.resolve("dev.img"), 4096, 4096L * 16, true);
        assumeTrue(device.directIo());
        byte[] base = pattern(1, 4 * 4096);
        assertThat(device.submit(TestBios.write(0, List.of(base), memory, Set.of(), 1))).isNull();

        byte[] one = pattern(2, SECTOR);
        byte[] three = pattern(3, 3 * SECTOR);
        assertThat(device.submit(TestBios.write(3, List.of(one), memory, Set.of(), 1))).isNull();
        // Sectors 7 to 10 cross the boundary between the first two 4 KiB units.
        assertThat(device.submit(TestBios.write(7, List.of(Arrays.copyOf(three, SECTOR),
                Arrays.copyOfRange(three, SECTOR, 3 * SECTOR)), memory, Set.of(), 1))).isNull();

        byte[] expected = base.clone();
        System.arraycopy(one, 0, expected, 3 * SECTOR, SECTOR);
        System.arraycopy(three, 0, expected, 7 * SECTOR, 3 * SECTOR);
        Bio all = TestBios.read(0, memory, 4 * 4096);
        assertThat(device.submit(all)).isNull();
        assertThat(contents(all)).isEqualTo(expected);
        Bio unaligned = TestBios.read(5, memory, SECTOR, 4 * SECTOR);
        assertThat(device.submit(unaligned)).isNull();
        assertThat(contents(unaligned)).isEqualTo(Arrays.copyOfRange(expected, 5 * SECTOR, 10 * SECTOR));
    }

    @ParameterizedTest(name = "O_DIRECT asked {0}")
    @ValueSource(booleans = {false, true})
    void flushAndFuaWritesSucceed(boolean preferDirect) throws IOException {
        FileDevice device = open(onDisk.resolve("dev.img"), 4096, 4096L * 16, preferDirect);
        assertThat(device.submit(Bio.flush(Set.of(BioFlag.SYNC)))).isNull();
        assertThat(device.submit(TestBios.write(8, List.of(pattern(1, 4096)), Memory.HEAP, Set.of(BioFlag.FUA), 0))).isNull();
        assertThat(rawBytes(device.path(), 4096, 4096)).isEqualTo(pattern(1, 4096));
    }

    @ParameterizedTest(name = "O_DIRECT asked {0}")
    @ValueSource(booleans = {false, true})
    void concurrentBiosFromSeveralThreadsAllLand(boolean preferDirect) throws Exception {
        FileDevice device = open(onDisk.resolve("dev.img"), 4096, 4096L * 1024, preferDirect);
        int threads = 4;
        int perThread = 64;
        Concurrently.run(threads, thread -> {
            for (int i = 0; i < perThread; i += 2) {
                int block = thread * perThread + i; // two blocks per bio, in two segments
                Bio bio = TestBios.write(block * 8L, List.of(pattern(block, 4096), pattern(block + 1, 4096)),
                        Memory.values()[i / 2 % 3], Set.of(), thread);
                assertThat(device.submit(bio)).isNull();
                if (i % 16 == 0) {
                    assertThat(device.submit(Bio.flush(Set.of()))).isNull();
                }
            }
        });
        for (int block = 0; block < threads * perThread; block++) {
            Bio read = TestBios.read(block * 8L, Memory.values()[block % 3], 4096);
            assertThat(device.submit(read)).isNull();
            assertThat(contents(read)).isEqualTo(pattern(block, 4096));
        }
    }

    @Test
    void ioErrorsAreReturnedAsEio() throws IOException {
        FileDevice device = open(onDisk.resolve("dev.img"), 4096, 4096L * 16, false);
        try (FileChannel behindItsBack = FileChannel.open(device.path(), StandardOpenOption.WRITE)) {
            behindItsBack.truncate(4096L * 8);
        }
        assertThat(device.submit(TestBios.read(8 * 8, 4096))).isEqualTo(Errno.EIO);
        assertThat(device.submit(TestBios.read(0, 4096))).isNull();
    }

    @Test
    void anInterruptedBioFailsAndTheThreadsNextBioWorks() throws IOException {
        FileDevice device = open(onDisk.resolve("dev.img"), 4096, 4096L * 16, false);
        assertThat(device.submit(TestBios.write(0, pattern(1, 4096)))).isNull();

        Thread.currentThread().interrupt();
        Errno interrupted = device.submit(TestBios.write(8, pattern(2, 4096)));
        assertThat(Thread.interrupted()).isTrue();

        assertThat(interrupted).isEqualTo(Errno.EIO);
        Bio read = TestBios.read(0, 4096);
        assertThat(device.submit(read)).isNull();
        assertThat(contents(read)).isEqualTo(pattern(1, 4096));
    }

    @Test
    void closedDeviceFailsBiosWithEio() throws IOException {
        FileDevice device = open(onDisk.resolve("dev.img"), 4096, 4096L * 16, false);
        assertThat(device.submit(TestBios.write(0, pattern(1, 4096)))).isNull();
        device.close();
        device.close();
        assertThat(device.submit(TestBios.read(0, 4096))).isEqualTo(Errno.EIO);
        assertThat(device.submit(Bio.flush(Set.of()))).isEqualTo(Errno.EIO);
    }

    @ParameterizedTest(name = "block size {0}")
    @ValueSource(ints = {512, 1024, 2048, 4096})
    void headerSurvivesReopening(int blockSize) throws IOException {
        Path path = onDisk.resolve("dev.img");
        FileDevice device = open(path, blockSize, 32L * blockSize, true);
        DeviceHeader header = DeviceHeader.create(device, "extent");
        header.write(device);
        device.close();
        assertThat(DeviceHeader.read(open(path, blockSize, 32L * blockSize, false))).isEqualTo(header);
    }

    @ParameterizedTest(name = "{0}, O_DIRECT asked {1}")
    @MethodSource("placesAndModes")
    void aPreallocatedDeviceIsCreatedFullOfZerosAndWorks(String where, boolean preferDirect) throws IOException {
        Path path = dir(where).resolve("dev.img");
        FileDevice device = FileDevice.open(path, 4096, 4096L * 300, preferDirect, true);
        opened.add(device);

        assertThat(Files.size(path)).isEqualTo(4096L * 300);
        assertThat(rawBytes(path, 0, 4096 * 300)).containsOnly(0);
        Bio write = TestBios.write(8, List.of(pattern(1, 4096), pattern(2, 4096)), Memory.OFF_HEAP,
                Set.of(BioFlag.SYNC), 3);
        assertThat(device.submit(write)).isNull();
        Bio read = TestBios.read(8, Memory.OFF_HEAP, 4096, 4096);
        assertThat(device.submit(read)).isNull();
        assertThat(contents(read)).isEqualTo(concat(pattern(1, 4096), pattern(2, 4096)));
        assertThat(log.list).map(ILoggingEvent::getFormattedMessage).anyMatch(message -> message.contains("preallocated"));
    }

    static Stream<Arguments> placesAndModes() {
        return Stream.of(Arguments.of("tmp", false), Arguments.of("tmp", true), Arguments.of("disk", false),
                Arguments.of("disk", true));
    }

    @Test
    void preallocationLeavesAnExistingFileAsItIs() throws IOException {
        Path path = onDisk.resolve("dev.img");
        FileDevice first = open(path, 4096, 4096L * 16, false);
        assertThat(first.submit(TestBios.write(8, pattern(7, 4096)))).isNull();
        first.close();

        FileDevice again = FileDevice.open(path, 4096, 4096L * 16, true, true);
        opened.add(again);

        assertThat(rawBytes(path, 4096, 4096)).isEqualTo(pattern(7, 4096));
        assertThatThrownBy(() -> FileDevice.open(path, 4096, 4096L * 32, false, true))
                .isInstanceOf(ErrnoException.class);
        assertThat(Files.size(path)).isEqualTo(4096L * 16);
    }

    @Test
    void preallocationWithABadGeometryCreatesNothing() {
        Path path = onDisk.resolve("dev.img");
        assertThatThrownBy(() -> FileDevice.open(path, 4096, 4096L * 16 + 512, false, true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(path).doesNotExist();
    }

    private FileDevice open(Path path, int blockSize, long size, boolean preferDirect) throws IOException {
        FileDevice device = FileDevice.open(path, blockSize, size, preferDirect);
        opened.add(device);
        return device;
    }

    private Path dir(String where) {
        return where.equals("tmp") ? tmp : onDisk;
    }

    private List<String> fallbackMessages() {
        return log.list.stream()
                .map(ILoggingEvent::getFormattedMessage)
                .filter(message -> message.contains("O_DIRECT"))
                .toList();
    }

    private static Logger logger() {
        return (Logger) LoggerFactory.getLogger(FileDevice.class);
    }

    private static long storeBlockSize(Path path) throws IOException {
        return Files.getFileStore(path).getBlockSize();
    }

    /** Whether the file store of {@code path} accepts an O_DIRECT read, asked independently. */
    private static boolean storeTakesDirectIo(Path path) {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
            int unit = (int) storeBlockSize(path);
            ByteBuffer buffer = ByteBuffer.allocateDirect(2 * unit).alignedSlice(unit).limit(unit);
            return channel.read(buffer, 0) > 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static byte[] rawBytes(Path path, long offset, int length) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(length);
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, offset + buffer.position()) < 0) {
                    break;
                }
            }
            return buffer.array();
        }
    }
}
