package dev.writebackd.daemon.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * One system the bench measures: files numbered from 0, written and read in whole pages. Each
 * thread of a workload works on its own files; calls from different threads may overlap.
 */
public interface Target extends AutoCloseable {
    /** The system's name in reports. */
    String name();

    /** One line per setting that matters, printed with the results. */
    List<String> describe();

    /** Creates or opens files {@code 0 .. files - 1}, empty. */
    void open(int files) throws IOException;

    /** Writes {@code data}'s remaining bytes at {@code offset}; the buffer may be reused at once. */
    void write(int file, long offset, ByteBuffer data) throws IOException;

    /** Reads {@code length} bytes at {@code offset}. */
    ByteBuffer read(int file, long offset, int length) throws IOException;

    /** Makes everything written to {@code file} durable: fsync. */
    void fsync(int file) throws IOException;

    /**
     * Makes the next reads come from the disk, not from memory.
     *
     * @return what was done, for the report (such as {@code "host page cache dropped"})
     */
    String makeCold() throws IOException;

    /** Device-level counters of this system so far, or {@code null} if it has none of its own. */
    DeviceCounters counters();

    /**
     * Memory the target took before the measured phase for its use in it (writebackd's pretouched
     * page memory), which the phase's memory growth therefore misses: added to the peak.
     */
    default long memoryTakenAhead() {
        return 0;
    }

    /** Closes files and releases everything; the files stay on disk. */
    @Override
    void close() throws IOException;
}
