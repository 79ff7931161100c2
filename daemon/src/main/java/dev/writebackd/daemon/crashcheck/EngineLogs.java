package dev.writebackd.daemon.crashcheck;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The crash checker's output is its report; the engines it starts and halts by the hundred would
 * otherwise fill it with their start and halt lines, and with the warnings a halt provokes on
 * purpose (bios failing once the power is off).
 */
final class EngineLogs {
    private EngineLogs() {}

    /** Only warnings and errors with {@code verbose}, else nothing. */
    static void quiet(boolean verbose) {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(verbose ? Level.WARN : Level.OFF);
            context.getLogger("dev.writebackd").setLevel(verbose ? Level.WARN : Level.OFF);
        }
    }
}
