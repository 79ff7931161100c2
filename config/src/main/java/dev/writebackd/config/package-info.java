/**
 * writebackd's settings: typed, immutable records read once from the {@code writebackd} section of
 * a HOCON configuration and validated, so that a record built in code obeys the same rules as one
 * loaded from a file. {@code reference.conf} documents every key and the named presets;
 * {@link dev.writebackd.config.Settings} is the entry point.
 */
package dev.writebackd.config;
