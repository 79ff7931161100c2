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
final class EngineLogs implements AutoCloseable {
    private static final String[] LOGGERS = {Logger.ROOT_LOGGER_NAME, "dev.writebackd", "org.apache.pekko"};

    private final Level[] before = new Level[LOGGERS.length];
    private final LoggerContext context;

    private EngineLogs(boolean verbose) {
        context = LoggerFactory.getILoggerFactory() instanceof LoggerContext c ? c : null;
        if (context == null) {
            return;
        }
        for (int i = 0; i < LOGGERS.length; i++) {
            ch.qos.logback.classic.Logger logger = context.getLogger(LOGGERS[i]);
            before[i] = logger.getLevel();
            logger.setLevel(verbose ? Level.WARN : Level.OFF);
        }
    }

    /** Only warnings and errors with {@code verbose}, else nothing, until closed. */
    static EngineLogs quiet(boolean verbose) {
        return new EngineLogs(verbose);
    }

    /** Puts the levels back. */
    @Override
    public void close() {
        if (context == null) {
            return;
        }
        for (int i = 0; i < LOGGERS.length; i++) {
            context.getLogger(LOGGERS[i]).setLevel(before[i]);
        }
    }
}
