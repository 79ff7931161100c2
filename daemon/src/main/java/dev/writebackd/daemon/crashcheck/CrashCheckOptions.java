package dev.writebackd.daemon.crashcheck;

import static java.util.Objects.requireNonNull;

import dev.writebackd.config.ErrorPolicy;
import dev.writebackd.config.Layout;
import java.nio.file.Path;

/**
 * What a crash check runs.
 *
 * @param seeds how many seeds
 * @param firstSeed the first seed; the others follow it
 * @param ops operations per seed
 * @param cuts power cuts per seed (at most {@code ops})
 * @param policy the engine's error policy
 * @param layout the device's layout: {@code extent} (all data checked) or {@code ext2} (fsync'd data only)
 * @param dir where each seed's journal lives while it runs
 */
public record CrashCheckOptions(int seeds, long firstSeed, int ops, int cuts, ErrorPolicy policy, Layout layout,
        Path dir) {

    /** Validates; bad values name the option. */
    public CrashCheckOptions {
        requireNonNull(policy, "policy");
        requireNonNull(layout, "layout");
        requireNonNull(dir, "dir");
        if (seeds < 1) {
            throw new IllegalArgumentException("--seeds " + seeds + " is invalid: at least 1");
        }
        if (ops < 1 || ops > 1_000_000) {
            throw new IllegalArgumentException("--ops " + ops + " is invalid: 1 to 1000000");
        }
        if (cuts < 1 || cuts > ops) {
            throw new IllegalArgumentException("--cuts " + cuts + " is invalid: 1 to --ops (" + ops + ")");
        }
        if (firstSeed > Long.MAX_VALUE - seeds) {
            throw new IllegalArgumentException("--first-seed " + firstSeed + " + --seeds " + seeds + " overflows");
        }
    }

    /** Which data the layout is held to. */
    public Verifier.Scope scope() {
        return layout == Layout.EXT2 ? Verifier.Scope.FSYNCED_DATA : Verifier.Scope.ALL_DATA;
    }

    /** The command line that runs seed {@code seed} alone, with these options. */
    public String replayCommand(long seed) {
        return "java -jar daemon/target/writebackd.jar crashcheck --seeds 1 --first-seed " + seed + " --ops " + ops
                + " --cuts " + cuts + " --policy " + policy.configName() + " --layout "
                + layout.configName();
    }
}
