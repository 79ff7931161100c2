package dev.writebackd.daemon.ctl;

import dev.writebackd.block.fault.LogReplay;
import dev.writebackd.block.fault.WriteLog;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ctl replay LOG --to-flush N --out IMAGE}: rebuilds a device image from a write log as it
 * stood at flush N ({@link LogReplay}); {@code ctl replay LOG --list} lists the log's flushes and
 * power cuts. Works offline: it reads the log file and needs no daemon.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Rebuild the device image as it stood at flush N from a write log "
                + "(writebackd.faults.write-log), into IMAGE (replaced if it exists). Needs no daemon.",
                "Flush 0 is the image the log started from; power cuts in the log are replayed with their seeds.",
                "With --list, print the log's flushes and power cuts instead (to pick N, or bisect)."},
        footer = {"%nExit codes:%n"
                + "  0  ok%n"
                + "  1  the log cannot be read, is damaged, or does not reach flush N (IMAGE is left as it was)%n"
                + "  2  usage error (unknown option, bad value)"})
final class ReplayCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "LOG", description = "The write log.")
    Path log;

    @Option(names = "--to-flush", paramLabel = "N",
            description = "The flush to stop after: 1 for the first, 0 for the image the log started from.")
    Long toFlush;

    @Option(names = "--out", paramLabel = "IMAGE", description = "The image file to write.")
    Path out;

    @Option(names = "--list", description = "Instead of replaying, list the log's flushes and power cuts.")
    boolean list;

    @Override
    public Integer call() {
        if (list) {
            return list();
        }
        if (toFlush == null || out == null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Missing " + (toFlush == null ? "--to-flush N" : "--out IMAGE") + " (or use --list)");
        }
        if (toFlush < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--to-flush must be 0 or more, not " + toFlush);
        }
        return reading(() -> {
            LogReplay.Result result = LogReplay.replay(log, toFlush, out);
            stdout().println("replayed " + log + " to flush " + result.flushEpoch() + ": " + result.writesApplied()
                    + " writes, " + result.powerCuts() + " power cuts; " + result.sizeBytes() + "-byte image in " + out);
        });
    }

    /** Something that reads the log. */
    private interface LogWork {
        void run() throws IOException;
    }

    /** Runs {@code work}: EXIT_OK, or EXIT_DAEMON_ERROR with one line on stderr if the log cannot be read. */
    private int reading(LogWork work) {
        PrintWriter err = spec.commandLine().getErr();
        try {
            work.run();
            return CtlCommand.EXIT_OK;
        } catch (NoSuchFileException e) {
            err.println("replay: no such file: " + e.getFile());
        } catch (IOException e) {
            err.println("replay: " + e.getMessage());
        } finally {
            err.flush();
        }
        return CtlCommand.EXIT_DAEMON_ERROR;
    }

    /** Prints one line per flush and power cut, with the writes before each. */
    private int list() {
        return reading(() -> {
            try (WriteLog reader = WriteLog.open(log)) {
                java.io.PrintStream stdout = stdout();
                long writes = 0;
                long sectors = 0;
                long base = 0;
                for (WriteLog.Record record = reader.next(); record != null; record = reader.next()) {
                    if (record instanceof WriteLog.Data data && data.base()) {
                        base += data.data().length;
                    } else if (record instanceof WriteLog.Data data) {
                        writes++;
                        sectors += data.data().length / 512;
                    } else if (record instanceof WriteLog.Flush flush) {
                        stdout.println("flush " + flush.epoch() + ": after " + writes + " writes (" + sectors + " sectors)");
                    } else if (record instanceof WriteLog.PowerCut cut) {
                        stdout.println("power cut (" + cut.mode().wireName() + ", seed " + cut.seed() + "): after " + writes
                                + " writes, " + cut.droppedSectors() + " unflushed sectors dropped");
                    }
                }
                stdout.println(reader.sizeBytes() + "-byte device, base image " + base + " non-zero bytes, " + writes
                        + " writes" + (reader.tornTail() ? "; the last record is torn (the log was cut short)" : ""));
            }
        });
    }

    private java.io.PrintStream stdout() {
        for (CommandLine.Model.CommandSpec at = spec; at != null; at = at.parent()) {
            if (at.userObject() instanceof CtlCommand ctl) {
                return ctl.stdout();
            }
        }
        return System.out;
    }
}
