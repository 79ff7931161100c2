package dev.writebackd.actors.persist;

import java.util.Optional;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * An event-sourced entity whose snapshots, stash and restarts follow {@link PersistenceSettings}:
 * what every persistent record of the engine shares.
 */
abstract class ConfiguredEntity<C, E, S> extends EventSourcedBehaviorWithEnforcedReplies<C, E, S> {
    private final PersistenceSettings settings;

    ConfiguredEntity(PersistenceId persistenceId, PersistenceSettings settings) {
        super(persistenceId, settings.onPersistFailure());
        this.settings = settings;
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return settings.retention();
    }

    @Override
    public Optional<Integer> stashCapacity() {
        return Optional.of(settings.stashCapacity());
    }
}
