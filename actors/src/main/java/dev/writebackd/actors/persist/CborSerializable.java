package dev.writebackd.actors.persist;

/**
 * Marks the engine's messages, events and snapshot states for CBOR serialization through Jackson.
 * The binding is made once, in {@code reference.conf}; every type that implements this is a
 * concrete record or enum, so no class names are written into the payload.
 */
public interface CborSerializable {}
