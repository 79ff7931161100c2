package dev.writebackd.actors.persist;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import java.time.Duration;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * How the event-sourced entities snapshot, restart and bound their callers: the typed form of
 * {@code writebackd.persistence} (see {@code reference.conf}). Created once from the system's
 * {@link Config} and handed to every entity's {@code create}.
 *
 * @param snapshotEvery events between two snapshots of one entity
 * @param keepSnapshots snapshots kept per entity
 * @param minBackoff pause before the first restart after a journal failure
 * @param maxBackoff longest pause between restarts
 * @param randomFactor random share added to each pause
 * @param stashCapacity commands an entity stashes while it persists, recovers or restarts
 * @param maxOutstandingCommands commands a caller may have in flight at one entity; never above
 *     {@code stashCapacity}
 */
public record PersistenceSettings(
        int snapshotEvery,
        int keepSnapshots,
        Duration minBackoff,
        Duration maxBackoff,
        double randomFactor,
        int stashCapacity,
        int maxOutstandingCommands) {

    /** Validates the settings; an entity must never drop a command its caller may send. */
    public PersistenceSettings {
        requireNonNull(minBackoff, "minBackoff");
        requireNonNull(maxBackoff, "maxBackoff");
        if (snapshotEvery < 1 || keepSnapshots < 1) {
            throw new IllegalArgumentException("snapshot-every and keep-snapshots must be positive");
        }
        if (minBackoff.isNegative() || maxBackoff.compareTo(minBackoff) < 0 || randomFactor < 0) {
            throw new IllegalArgumentException("restart-backoff needs 0 <= min <= max and random-factor >= 0");
        }
        if (maxOutstandingCommands < 1 || maxOutstandingCommands > stashCapacity) {
            throw new IllegalArgumentException("writebackd.persistence.max-outstanding-commands ("
                    + maxOutstandingCommands + ") must be between 1 and pekko.persistence.typed.stash-capacity ("
                    + stashCapacity + "), or stashed commands are dropped");
        }
    }

    /** Reads {@code writebackd.persistence} and Pekko's stash capacity from a resolved config. */
    public static PersistenceSettings fromConfig(Config config) {
        Config persistence = requireNonNull(config, "config").getConfig("writebackd.persistence");
        Config backoff = persistence.getConfig("restart-backoff");
        return new PersistenceSettings(
                persistence.getInt("snapshot-every"),
                persistence.getInt("keep-snapshots"),
                backoff.getDuration("min"),
                backoff.getDuration("max"),
                backoff.getDouble("random-factor"),
                config.getInt("pekko.persistence.typed.stash-capacity"),
                persistence.getInt("max-outstanding-commands"));
    }

    /** Snapshot every {@code snapshotEvery} events, keeping {@code keepSnapshots}. */
    public RetentionCriteria retention() {
        return RetentionCriteria.snapshotEvery(snapshotEvery, keepSnapshots);
    }

    /**
     * Restart with backoff after a journal failure; commands arriving meanwhile are stashed up to
     * the entity stash's capacity rather than Pekko's smaller restart stash default.
     */
    public BackoffSupervisorStrategy onPersistFailure() {
        return SupervisorStrategy.restartWithBackoff(minBackoff, maxBackoff, randomFactor)
                .withStashCapacity(stashCapacity);
    }
}
