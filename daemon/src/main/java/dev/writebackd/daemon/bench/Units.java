package dev.writebackd.daemon.bench;

import java.util.Locale;

/** Formatting of sizes and rates for the reports. */
final class Units {
    private Units() {}

    /** {@code 1.50 GiB}, {@code 64.0 MiB}, {@code 4.0 KiB} or {@code 12 B}. */
    static String bytes(long n) {
        if (n >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30));
        }
        if (n >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
        }
        if (n >= 1L << 10) {
            return String.format(Locale.ROOT, "%.1f KiB", n / (double) (1L << 10));
        }
        return n + " B";
    }

    /** A number with up to {@code digits} decimals, in the root locale. */
    static String fixed(double value, int digits) {
        return String.format(Locale.ROOT, "%." + digits + "f", value);
    }
}
