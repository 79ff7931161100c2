package dev.writebackd.config;

/**
 * Readahead ({@code writebackd.readahead}). A window of 0 or less throws {@link SettingsException}.
 *
 * @param maxWindowBytes the largest readahead window: positive; {@link Settings} also requires a
 *     multiple of the page size
 */
public record ReadaheadSettings(long maxWindowBytes) {

    static final String MAX_WINDOW = "writebackd.readahead.max-window";

    public ReadaheadSettings {
        Validation.positive(MAX_WINDOW, maxWindowBytes);
    }

    static ReadaheadSettings read(SettingsReader in) {
        return new ReadaheadSettings(in.getBytes(MAX_WINDOW));
    }
}
