package dev.writebackd.daemon.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: it refuses
 * any line the format does not allow, samples of undeclared families, and histograms whose buckets
 * are not cumulative or do not end in {@code +Inf} equal to their count.
 */
public final class PrometheusText {
    private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") (.*)");
    private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(\\{(.*)\\})? (\\S+)( -?\\d+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"(,|$)");

    /** One sample: its metric name, labels and value. */
    public record Sample(String name, Map<String, String> labels, double value) {}

    private final Map<String, String> types = new LinkedHashMap<>();
    private final List<Sample> samples = new ArrayList<>();

    private PrometheusText() {}

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException naming the first line that is not valid
     */
    public static PrometheusText parse(String text) {
        PrometheusText parsed = new PrometheusText();
        if (!text.endsWith("\n")) {
            throw new IllegalArgumentException("the text does not end with a line feed");
        }
        int number = 0;
        for (String line : text.split("\n", -1)) {
            number++;
            if (line.isEmpty() && number == text.split("\n", -1).length) {
                break;
            }
            parsed.line(number, line);
        }
        parsed.checkHistograms();
        return parsed;
    }

    /** Every sample in order. */
    public List<Sample> samples() {
        return List.copyOf(samples);
    }

    /** The declared type of family {@code family}, or {@code null}. */
    public String type(String family) {
        return types.get(family);
    }

    /** The value of the one sample named {@code name} whose labels include {@code labels}. */
    public double value(String name, Map<String, String> labels) {
        List<Sample> matching = samples.stream().filter(s -> s.name().equals(name)
                && s.labels().entrySet().containsAll(labels.entrySet())).toList();
        if (matching.size() != 1) {
            throw new AssertionError(matching.size() + " samples " + name + labels + " in " + samples);
        }
        return matching.get(0).value();
    }

    private void line(int number, String line) {
        Matcher help = HELP.matcher(line);
        Matcher type = TYPE.matcher(line);
        Matcher sample = SAMPLE.matcher(line);
        if (help.matches()) {
            return;
        }
        if (type.matches()) {
            if (types.put(type.group(1), type.group(2)) != null) {
                throw new IllegalArgumentException("line " + number + ": family " + type.group(1) + " typed twice");
            }
            return;
        }
        if (line.startsWith("#")) {
            return; // a comment
        }
        if (!sample.matches()) {
            throw new IllegalArgumentException("line " + number + " is not a sample: " + line);
        }
        String name = sample.group(1);
        if (family(name) == null) {
            throw new IllegalArgumentException("line " + number + ": " + name + " has no # TYPE before it");
        }
        samples.add(new Sample(name, labels(number, sample.group(3)), value(number, sample.group(4))));
    }

    private String family(String sampleName) {
        if (types.containsKey(sampleName)) {
            return sampleName;
        }
        for (String suffix : List.of("_total", "_bucket", "_sum", "_count", "_created")) {
            if (sampleName.endsWith(suffix)) {
                String base = sampleName.substring(0, sampleName.length() - suffix.length());
                if (types.containsKey(base)) {
                    return base;
                }
            }
        }
        return null;
    }

    private static Map<String, String> labels(int number, String text) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (text == null || text.isEmpty()) {
            return labels;
        }
        Matcher label = LABEL.matcher(text);
        int at = 0;
        while (at < text.length()) {
            if (!label.find(at) || label.start() != at) {
                throw new IllegalArgumentException("line " + number + ": bad labels {" + text + "}");
            }
            labels.put(label.group(1), label.group(2));
            at = label.end();
        }
        return labels;
    }

    private static double value(int number, String text) {
        switch (text) {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            case "NaN":
                return Double.NaN;
            default:
                try {
                    return Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("line " + number + ": bad value " + text);
                }
        }
    }

    private void checkHistograms() {
        types.forEach((family, type) -> {
            if (!type.equals("histogram")) {
                return;
            }
            Map<Map<String, String>, List<Sample>> buckets = new HashMap<>();
            for (Sample sample : samples) {
                if (sample.name().equals(family + "_bucket")) {
                    Map<String, String> series = new LinkedHashMap<>(sample.labels());
                    series.remove("le");
                    buckets.computeIfAbsent(series, s -> new ArrayList<>()).add(sample);
                }
            }
            if (buckets.isEmpty()) {
                throw new IllegalArgumentException("histogram " + family + " has no buckets");
            }
            buckets.forEach((series, list) -> {
                double previous = 0;
                for (Sample bucket : list) {
                    if (bucket.value() < previous) {
                        throw new IllegalArgumentException(family + series + " buckets are not cumulative");
                    }
                    previous = bucket.value();
                }
                Sample last = list.get(list.size() - 1);
                if (!"+Inf".equals(last.labels().get("le")) || last.value() != value(family + "_count", series)) {
                    throw new IllegalArgumentException(family + series + " does not end in +Inf equal to its count");
                }
            });
        });
    }
}
