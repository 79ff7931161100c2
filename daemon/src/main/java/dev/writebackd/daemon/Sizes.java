package dev.writebackd.daemon;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes as written on the command line: a whole number with an optional binary unit,
 * {@code k}, {@code m}, {@code g} or {@code t} (powers of 1024), optionally followed by {@code iB}
 * or {@code B} and in any case: {@code 4096}, {@code 64k}, {@code 512m}, {@code 1g}, {@code 2GiB}.
 */
public final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(?:([kmgt])(?:i?b)?|b)?");

    private Sizes() {}

    /**
     * The number of bytes {@code text} names.
     *
     * @throws IllegalArgumentException naming {@code text} if it is not a size, or is too large
     */
    public static long parse(String text) {
        requireNonNull(text, "text");
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size: allowed a whole number of bytes"
                    + " with an optional unit k, m, g or t (powers of 1024), such as 512m or 1g");
        }
        int shift = m.group(2) == null ? 0 : 10 * (1 + "kmgt".indexOf(m.group(2)));
        try {
            long number = Long.parseLong(m.group(1));
            if (number > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return number << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too large a size", e);
        }
    }

    /** {@code bytes} in the largest binary unit that divides it, such as {@code 64 KiB} or {@code 4097 B}. */
    public static String format(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int unit = 0;
        long value = bytes;
        while (unit < units.length - 1 && value != 0 && value % 1024 == 0) {
            value /= 1024;
            unit++;
        }
        return value + " " + units[unit];
    }
}
