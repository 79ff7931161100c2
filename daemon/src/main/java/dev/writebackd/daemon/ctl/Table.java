package dev.writebackd.daemon.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A plain-text table with aligned columns: numbers right-aligned, text left-aligned, two spaces
 * between columns. Not thread-safe.
 */
final class Table {
    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    private Table(List<String> headers) {
        this.headers = headers;
    }

    /** A table with these column headers; {@link #withoutHeaders(int)} for none. */
    static Table of(String... headers) {
        return new Table(List.of(headers));
    }

    /** A table of {@code columns} columns that prints no header line. */
    static Table withoutHeaders(int columns) {
        return new Table(Arrays.asList(new String[columns]));
    }

    /** A two-column table of a JSON object's keys and values, in the object's order. */
    static Table ofObject(JsonNode object) {
        Table table = withoutHeaders(2);
        Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            table.row(field.getKey(), text(field.getValue()));
        }
        return table;
    }

    /** A JSON value as one cell: strings without quotes, anything else as JSON. */
    static String text(JsonNode value) {
        return value == null || value.isNull() ? "-" : value.isValueNode() ? value.asText() : value.toString();
    }

    /** Adds a row; it must have one cell per column. */
    Table row(Object... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException(cells.length + " cells for " + headers.size() + " columns");
        }
        rows.add(Arrays.stream(cells).map(cell -> cell == null ? "-" : cell.toString()).toList());
        return this;
    }

    /** The table as lines, each ending with a line feed. */
    String render() {
        boolean headed = headers.stream().anyMatch(h -> h != null);
        int[] widths = new int[headers.size()];
        boolean[] numeric = new boolean[headers.size()];
        Arrays.fill(numeric, true);
        for (int column = 0; column < widths.length; column++) {
            widths[column] = headed ? headers.get(column).length() : 0;
            for (List<String> row : rows) {
                widths[column] = Math.max(widths[column], row.get(column).length());
                numeric[column] &= isNumber(row.get(column));
            }
        }
        StringBuilder out = new StringBuilder();
        if (headed) {
            line(out, headers, widths, numeric);
        }
        rows.forEach(row -> line(out, row, widths, numeric));
        return out.toString();
    }

    /** Prints the table. */
    void print(PrintStream out) {
        out.print(render());
        out.flush();
    }

    private static void line(StringBuilder out, List<String> cells, int[] widths, boolean[] numeric) {
        StringBuilder line = new StringBuilder();
        for (int column = 0; column < cells.size(); column++) {
            String cell = cells.get(column);
            String padding = " ".repeat(widths[column] - cell.length());
            if (column > 0) {
                line.append("  ");
            }
            line.append(numeric[column] && column > 0 ? padding + cell : cell + padding);
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }

    private static boolean isNumber(String cell) {
        return cell.matches("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?") || cell.equals("-");
    }
}
