package dev.writebackd.daemon.http;

import dev.writebackd.block.fault.PowerCutMode;
import dev.writebackd.block.fault.PowerCutResult;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** What {@code POST /v1/faults/power-cut} drives: the daemon's power cut and restart. */
public interface PowerCutControl {
    /** A daemon without a volatile cache: nothing to cut. */
    PowerCutControl NONE = new PowerCutControl() {
        @Override
        public boolean available() {
            return false;
        }

        @Override
        public CompletionStage<PowerCutResult> powerCut(PowerCutMode mode, OptionalLong seed) {
            return CompletableFuture.failedFuture(new IllegalStateException("no volatile cache"));
        }
    };

    /** Whether the device has a volatile write cache to cut. */
    boolean available();

    /**
     * Halts the engine at once, cuts the cache's power in {@code mode}, and starts a new engine from
     * the device and the journal.
     *
     * @param seed the cut's seed, or empty to derive one from the run seed
     * @return the seed used and the sectors dropped, once the new engine serves requests
     */
    CompletionStage<PowerCutResult> powerCut(PowerCutMode mode, OptionalLong seed);
}
