package dev.writebackd.block.fault;

import java.io.IOException;

/** A write log that cannot be read: not a log, another version, or a damaged record. */
public final class WriteLogException extends IOException {
    private static final long serialVersionUID = 1L;

    /** An exception with {@code message}, which names the log and where in it. */
    public WriteLogException(String message) {
        super(message);
    }
}
