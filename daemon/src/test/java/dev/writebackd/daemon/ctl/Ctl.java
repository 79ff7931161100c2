package dev.writebackd.daemon.ctl;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Runs {@code ctl} in-process with given standard input, capturing its output and exit code. */
final class Ctl {
    /** What one run left: exit code, standard output (bytes and text), standard error. */
    record Run(int exit, byte[] stdoutBytes, String stderr) {
        String stdout() {
            return new String(stdoutBytes, StandardCharsets.UTF_8);
        }
    }

    private Ctl() {}

    static Run run(String... args) {
        return runWithInput(new byte[0], args);
    }

    static Run runWithInput(byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        PrintStream stdout = new PrintStream(out, true, StandardCharsets.UTF_8);
        CommandLine ctl = new CommandLine(new CtlCommand(new ByteArrayInputStream(stdin), stdout));
        ctl.setOut(new PrintWriter(stdout, true));
        ctl.setErr(new PrintWriter(err, true));
        int exit = ctl.execute(args);
        stdout.flush();
        return new Run(exit, out.toByteArray(), err.toString());
    }
}
