package dev.writebackd.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CommandLineTest {
    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private String oneErrorLine() {
        assertThat(err.toString()).endsWith(System.lineSeparator());
        assertThat(err.toString().lines()).hasSize(1);
        return err.toString().strip();
    }

    @Test
    void parsesEveryFlag() {
        CommandLine cli = Main.commandLine();
        cli.parseArgs("--data-dir", "/srv/wb", "--http-port", "0", "--http-host", "::1", "--config", "x.conf",
                "--preset", "durable", "--device-size", "512m", "--log-format", "JSON");
        WritebackdCommand command = cli.getCommand();

        assertThat(command.flags()).isEqualTo(new DaemonConfig.Flags(Path.of("/srv/wb"), "::1", 0,
                Path.of("x.conf"), "durable", 512L << 20));
    }

    @Test
    void noFlagLeavesEveryChoiceToTheConfiguration() {
        CommandLine cli = Main.commandLine();
        cli.parseArgs();

        assertThat(((WritebackdCommand) cli.getCommand()).flags()).isEqualTo(DaemonConfig.Flags.none());
    }

    @Test
    void helpListsTheFlagsTheSubcommandsAndTheExitStatuses() {
        assertThat(run("--help")).isZero();

        assertThat(out.toString()).contains("--data-dir=DIR", "--http-port=N", "--http-host=HOST", "--config=FILE",
                "--preset=NAME", "--device-size=SIZE", "--log-format=FORMAT", "--version", "ctl",
                "Exit status: 0");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void versionNamesTheProgram() {
        assertThat(run("--version")).isZero();

        assertThat(out.toString()).startsWith("writebackd ");
    }

    @Test
    void anUnknownFlagIsOneLineAndExitStatus2() {
        assertThat(run("--data-dri=x")).isEqualTo(ExitCodes.USAGE);

        assertThat(oneErrorLine()).startsWith("writebackd: Unknown option: '--data-dri=x'")
                .endsWith("(see writebackd --help)");
    }

    @Test
    void aPortThatIsNotANumberIsOneLineAndExitStatus2() {
        assertThat(run("--http-port", "http")).isEqualTo(ExitCodes.USAGE);

        assertThat(oneErrorLine()).contains("--http-port").contains("'http'");
    }

    @Test
    void aSizeThatIsNotASizeIsOneLineAndExitStatus2() {
        assertThat(run("--device-size", "1 gigabyte")).isEqualTo(ExitCodes.USAGE);

        assertThat(oneErrorLine()).contains("--device-size").contains("'1 gigabyte' is not a size");
    }

    @Test
    void anUnknownLogFormatIsOneLineAndExitStatus2() {
        assertThat(run("--log-format", "xml")).isEqualTo(ExitCodes.USAGE);

        assertThat(oneErrorLine()).contains("--log-format").contains("xml").contains("TEXT, JSON");
    }

    @Test
    void anInvalidConfigurationIsOneLineExitStatus2AndCreatesNothing() throws IOException {
        Path file = Files.writeString(tmp.resolve("bad.conf"), "writebackd.writeback.error-policy = sometimes");
        Path dataDir = tmp.resolve("data");

        assertThat(run("--data-dir", dataDir.toString(), "--config", file.toString())).isEqualTo(ExitCodes.USAGE);

        assertThat(oneErrorLine()).startsWith("writebackd: writebackd.writeback.error-policy = ");
        assertThat(dataDir).doesNotExist();
    }

    @Test
    void aPortOutOfRangeIsOneLineAndExitStatus2() {
        assertThat(run("--data-dir", tmp.resolve("d").toString(), "--http-port", "-1")).isEqualTo(ExitCodes.USAGE);

        assertThat(oneErrorLine()).isEqualTo(
                "writebackd: writebackd.daemon.http-port = -1 is invalid: allowed 0 to 65535 (0 picks a free port)");
        assertThat(tmp.resolve("d")).doesNotExist();
    }

    @Test
    void theLogFormatComesFromTheFlagThenTheEnvironmentThenTheDefault() {
        assertThat(LogFormat.choose(LogFormat.TEXT, "json")).isEqualTo(LogFormat.TEXT);
        assertThat(LogFormat.choose(null, "json")).isEqualTo(LogFormat.JSON);
        assertThat(LogFormat.choose(null, " Json ")).isEqualTo(LogFormat.JSON);
        assertThat(LogFormat.choose(null, null)).isEqualTo(LogFormat.TEXT);
        assertThat(LogFormat.choose(null, "")).isEqualTo(LogFormat.TEXT);
        assertThatThrownBy(() -> LogFormat.choose(null, "xml"))
                .isInstanceOf(StartupException.class)
                .hasMessage("WRITEBACKD_LOG_FORMAT=xml is invalid: allowed text, json");
    }
}
