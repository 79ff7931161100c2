package dev.writebackd.daemon.crashcheck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.daemon.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

class CrashCheckCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void helpNamesEveryOptionAndTheExitStatuses() {
        assertThat(run("crashcheck", "--help")).isZero();
        assertThat(out.toString()).contains("--seeds", "--first-seed", "--ops", "--cuts", "--policy", "--layout",
                "--dir", "--trace", "fsynced bytes verified", "Exit status: 0", "docs/CRASHCHECK.md");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--seeds|0|--seeds 0 is invalid",
        "--ops|0|--ops 0 is invalid",
        "--cuts|500|--cuts 500 is invalid: 1 to --ops (200)",
        "--policy|lenient|--policy lenient is invalid: allowed linux, redirty, sticky",
        "--layout|ext4|--layout ext4 is invalid: allowed extent, ext2"})
    void aBadOptionIsRefusedAndNothingRuns(String option, String value, String message) {
        Path journals = dir.resolve("journals");
        assertThat(run("crashcheck", option, value, "--dir", journals.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("crashcheck: " + message);
        assertThat(out.toString()).isEmpty();
        assertThat(Files.exists(journals)).isFalse();
    }

    @Test
    void aNonNumericSeedIsAUsageError() {
        assertThat(run("crashcheck", "--seeds", "many")).isEqualTo(2);
        assertThat(err.toString()).contains("--seeds");
    }
}
