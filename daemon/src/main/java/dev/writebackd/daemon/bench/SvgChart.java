package dev.writebackd.daemon.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A bar chart, as SVG text, of each system's median MB/s with a min–max whisker. */
public final class SvgChart {
    private static final int WIDTH = 640;
    private static final int HEIGHT = 360;
    private static final int LEFT = 70;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;
    private static final String[] COLOURS = {"#2b6cb0", "#c05621", "#718096", "#2f855a"};

    private SvgChart() {}

    /** The chart of {@code report}. */
    public static String render(BenchReport report) {
        List<String> systems = new ArrayList<>();
        for (String system : Bench.SYSTEMS) {
            if (!report.runs().getOrDefault(system, List.of()).isEmpty()) {
                systems.add(system);
            }
        }
        double top = 1;
        for (String system : systems) {
            top = Math.max(top, report.spread(system, SystemResult::mbPerSec).max());
        }
        top = niceCeiling(top);
        int plotHeight = HEIGHT - TOP - BOTTOM;
        int plotWidth = WIDTH - LEFT - 20;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">%s</text>%n",
                WIDTH / 2, escape(report.options().workload().cliName() + ", " + Units.bytes(report.options().sizeBytes())
                        + ", " + report.options().effectiveFiles() + " file(s): MB/s, median of "
                        + report.options().runs() + " (whisker: min-max)")));
        for (int i = 0; i <= 4; i++) {
            double value = top * i / 4;
            double y = TOP + plotHeight - plotHeight * i / 4.0;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
                    LEFT, y, LEFT + plotWidth, y));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>%n",
                    LEFT - 6, y + 4, value));
        }
        int slot = plotWidth / Math.max(1, systems.size());
        int bar = slot * 3 / 5;
        for (int i = 0; i < systems.size(); i++) {
            String system = systems.get(i);
            BenchReport.Spread rate = report.spread(system, SystemResult::mbPerSec);
            double x = LEFT + i * slot + (slot - bar) / 2.0;
            double h = plotHeight * rate.median() / top;
            double y = TOP + plotHeight - h;
            svg.append(String.format(Locale.ROOT,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"><title>%s: %.0f MB/s</title></rect>%n",
                    x, y, bar, h, COLOURS[Bench.SYSTEMS.indexOf(system) % COLOURS.length], escape(system), rate.median()));
            double cx = x + bar / 2.0;
            double yMin = TOP + plotHeight - plotHeight * rate.min() / top;
            double yMax = TOP + plotHeight - plotHeight * rate.max() / top;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>%n",
                    cx, yMin, cx, yMax));
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>%n",
                    cx, Math.min(y, yMax) - 6, rate.median()));
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    cx, HEIGHT - BOTTOM + 18, escape(system)));
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%.3f s</text>%n",
                    cx, HEIGHT - BOTTOM + 34, report.spread(system, SystemResult::seconds).median()));
        }
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
                LEFT, TOP + plotHeight, LEFT + plotWidth, TOP + plotHeight));
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static double niceCeiling(double value) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
        for (double step : new double[] {1, 2, 2.5, 5, 10}) {
            if (step * magnitude >= value) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
