/**
 * Crash-safe metadata: the journal on an embedded H2 database (configuration, schema, forced
 * sync) and the event-sourced entities that keep file metadata in it, starting with the
 * {@link dev.writebackd.actors.persist.Namespace}, the {@link dev.writebackd.actors.persist.FileRecord}s,
 * and the data of {@code journaled} writes ({@link dev.writebackd.actors.persist.JournaledData}).
 *
 * <p>Start-up order: {@link dev.writebackd.actors.persist.PersistenceConfig#prepare} builds the
 * configuration and creates the schema, then the actor system starts on that configuration.
 */
package dev.writebackd.actors.persist;
