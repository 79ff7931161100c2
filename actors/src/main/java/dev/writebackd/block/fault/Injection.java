package dev.writebackd.block.fault;

import dev.writebackd.error.Errno;

/** What a rule decided to do to one bio, with every random choice already drawn. */
sealed interface Injection {
    /** Fail the bio with {@code errno}; nothing reaches the device. */
    record Fail(Errno errno) implements Injection {}

    /** Acknowledge the bio without performing it. */
    enum Drop implements Injection {
        /** The only instance. */
        INSTANCE
    }

    /**
     * Change byte {@code offset} of the bio's data: set it to {@code value} when that is 0 to 255,
     * else XOR it with {@code mask} (never 0, so the byte always changes).
     */
    record Corrupt(long offset, int value, int mask) implements Injection {
        byte apply(byte original) {
            return value >= 0 ? (byte) value : (byte) (original ^ mask);
        }
    }

    /** Wait {@code millis} before going on. */
    record Delay(long millis) implements Injection {}

    /** Wait at {@code gate} until released. */
    record Stall(StallGate gate) implements Injection {}

    /** Write only the first {@code keepSectors} sectors, then answer {@code errno} ({@code null}: success). */
    record Torn(long keepSectors, Errno errno) implements Injection {}

    /** Whether the bio goes on to later rules after this (delays and stalls), or this decides its fate. */
    default boolean timingOnly() {
        return this instanceof Delay || this instanceof Stall;
    }
}
