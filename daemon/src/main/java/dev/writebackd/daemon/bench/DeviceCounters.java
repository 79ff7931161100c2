package dev.writebackd.daemon.bench;

/**
 * Requests a system sent to its device.
 *
 * @param writeBios write requests
 * @param writeBytes bytes of those requests
 * @param flushes flush requests
 * @param readBios read requests
 * @param busyNanos time spent inside the device's submit calls, summed over threads (0 if unknown)
 */
public record DeviceCounters(long writeBios, long writeBytes, long flushes, long readBios, long busyNanos) {
    /** No requests. */
    public static final DeviceCounters ZERO = new DeviceCounters(0, 0, 0, 0, 0);

    /** The requests made between {@code earlier} and this. */
    public DeviceCounters minus(DeviceCounters earlier) {
        return new DeviceCounters(writeBios - earlier.writeBios, writeBytes - earlier.writeBytes,
                flushes - earlier.flushes, readBios - earlier.readBios, busyNanos - earlier.busyNanos);
    }

    /** Mean write request size in 4 KiB pages, 0 if there were none. */
    public double meanWritePages() {
        return writeBios == 0 ? 0 : writeBytes / (double) BenchOptions.PAGE / writeBios;
    }
}
