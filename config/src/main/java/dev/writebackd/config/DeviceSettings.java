package dev.writebackd.config;

import static dev.writebackd.config.Validation.require;
import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * The block device below the cache ({@code writebackd.device}). A block is never larger than a page:
 * the largest block size (4096) is the smallest page size. An invalid value throws
 * {@link SettingsException}.
 *
 * @param path the device or image file; not empty
 * @param sizeBytes the device size: a positive multiple of {@code blockSize}
 * @param blockSize the file-system block size: 512, 1024, 2048 or 4096
 * @param directIo whether to use O_DIRECT where the file system allows it
 * @param queueDepth bios in flight at once: 1 to 1024
 * @param preallocate whether an image file that does not exist yet is created filled with zeros
 *     (every block allocated in the host file system, so writes never allocate) rather than sparse
 */
public record DeviceSettings(Path path, long sizeBytes, int blockSize, boolean directIo, int queueDepth,
        boolean preallocate) {

    static final String PATH = "writebackd.device.path";
    static final String SIZE = "writebackd.device.size";
    static final String BLOCK_SIZE = "writebackd.device.block-size";
    static final String DIRECT_IO = "writebackd.device.direct-io";
    static final String QUEUE_DEPTH = "writebackd.device.queue-depth";
    static final String PREALLOCATE = "writebackd.device.preallocate";

    /** Settings for an image created sparse. */
    public DeviceSettings(Path path, long sizeBytes, int blockSize, boolean directIo, int queueDepth) {
        this(path, sizeBytes, blockSize, directIo, queueDepth, false);
    }

    public DeviceSettings {
        requireNonNull(path, "path");
        require(!path.toString().isEmpty(), PATH, path, "a non-empty path");
        require(blockSize >= 512 && blockSize <= 4096 && Integer.bitCount(blockSize) == 1,
                BLOCK_SIZE, blockSize, "512, 1024, 2048, 4096");
        Validation.positiveMultiple(SIZE, sizeBytes, "block size", blockSize);
        Validation.between(QUEUE_DEPTH, queueDepth, 1, 1024);
    }

    static DeviceSettings read(SettingsReader in) {
        return new DeviceSettings(in.getPath(PATH), in.getBytes(SIZE), in.getInt(BLOCK_SIZE),
                in.getBoolean(DIRECT_IO), in.getInt(QUEUE_DEPTH), in.getBoolean(PREALLOCATE));
    }
}
