package dev.writebackd.daemon.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ctl watch}: a live view of dirty and writeback pages against the thresholds, and of the
 * write bandwidth, redrawn in the terminal every interval until Ctrl-C (or {@code --count} frames).
 * Each frame reads {@code GET /v1/stats} and the bandwidth estimate from {@code GET /metrics}.
 * On a terminal each frame replaces the last; piped to a file or another program, frames follow
 * one another separated by a blank line, with no control codes ({@code --clear} and
 * {@code --no-clear} override the choice).
 */
@Command(footer = CtlCommand.EXIT_CODES, name = "watch", mixinStandardHelpOptions = true,
        description = {"Live view of dirty / writeback pages, thresholds and bandwidth, redrawn every interval.",
                "Stop with Ctrl-C."})
final class WatchCommand extends DaemonCommand {
    /** ANSI: cursor home, clear the screen. */
    static final String CLEAR = "\033[H\033[2J";
    private static final Pattern BANDWIDTH =
            Pattern.compile("(?m)^writebackd_write_bandwidth_bytes_per_second(?:\\{[^}]*\\})? (\\S+)$");

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s", converter = IntervalConverter.class,
            description = "Time between refreshes, such as 500ms, 1s, 2m (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--count", paramLabel = "N",
            description = "Stop after N frames (default: run until interrupted).")
    Integer count;

    @Option(names = "--clear", negatable = true,
            description = "Redraw in place with ANSI codes (default: only when writing to a terminal).")
    Boolean clear;

    @Override
    int run(Context context) {
        if (count != null && count < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Invalid value for option '--count': " + count + " is not positive");
        }
        PrintStream out = context.root().stdout();
        WatchView view = new WatchView(context.client().base().toString(), interval);
        boolean redraw = clear != null ? clear : System.console() != null;
        for (int frame = 1; count == null || frame <= count; frame++) {
            JsonNode stats = context.client().call("GET", "v1/stats");
            OptionalDouble bandwidth = bandwidth(context.client());
            out.print(redraw ? CLEAR : frame > 1 ? System.lineSeparator() : "");
            out.print(view.frame(stats, bandwidth, System.nanoTime()));
            out.flush();
            if (count != null && frame == count) {
                break;
            }
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return CtlCommand.EXIT_OK;
    }

    /** The bandwidth estimate from the metrics, if the daemon exposes it. */
    private static OptionalDouble bandwidth(DaemonClient client) {
        try {
            Matcher matcher = BANDWIDTH.matcher(client.text("metrics"));
            return matcher.find() ? OptionalDouble.of(Double.parseDouble(matcher.group(1))) : OptionalDouble.empty();
        } catch (DaemonError | NumberFormatException e) {
            return OptionalDouble.empty(); // the view shows what it has
        }
    }

    /** {@code --interval}: a positive duration such as {@code 250ms}, {@code 1s}, {@code 2m}. */
    static final class IntervalConverter implements CommandLine.ITypeConverter<Duration> {
        private static final Pattern FORMAT = Pattern.compile("(\\d+)(ms|s|m)?");

        @Override
        public Duration convert(String value) {
            Matcher matcher = FORMAT.matcher(value.strip());
            if (!matcher.matches()) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a duration like 500ms, 1s or 2m");
            }
            long amount = Long.parseLong(matcher.group(1));
            String unit = matcher.group(2) == null ? "s" : matcher.group(2);
            Duration duration = switch (unit) {
                case "ms" -> Duration.ofMillis(amount);
                case "m" -> Duration.ofMinutes(amount);
                default -> Duration.ofSeconds(amount);
            };
            if (duration.isZero()) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a positive duration");
            }
            return duration;
        }
    }
}
