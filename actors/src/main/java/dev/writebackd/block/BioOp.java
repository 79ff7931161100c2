package dev.writebackd.block;

/** What a bio asks the device to do. */
public enum BioOp {
    /** Read sectors into the segments' buffers. */
    READ,
    /** Write the segments' bytes to consecutive sectors. */
    WRITE,
    /** Make everything written so far durable (a cache flush); carries no segments. */
    FLUSH
}
