package dev.writebackd.actors.engine;

import java.util.Arrays;
import java.util.function.LongPredicate;

/**
 * A hash map from {@code long} keys to non-null values, open addressing with linear probing: no
 * boxed key and no entry object per mapping, for the per-page state the inode actor keeps on the
 * write path. Iteration order is unspecified. Mutable, not thread-safe.
 *
 * @param <V> the values
 */
final class LongMap<V> {
    private static final int MIN_CAPACITY = 16;

    private long[] keys = new long[MIN_CAPACITY];
    private Object[] values = new Object[MIN_CAPACITY];
    private int size;

    /** Mappings held. */
    int size() {
        return size;
    }

    /** Whether no mapping is held. */
    boolean isEmpty() {
        return size == 0;
    }

    /** The value of {@code key}, or {@code null}. */
    @SuppressWarnings("unchecked")
    V get(long key) {
        int mask = keys.length - 1;
        for (int i = index(key, mask); values[i] != null; i = (i + 1) & mask) {
            if (keys[i] == key) {
                return (V) values[i];
            }
        }
        return null;
    }

    /** Maps {@code key} to {@code value} (not null), replacing any value it had. */
    void put(long key, V value) {
        if (value == null) {
            throw new IllegalArgumentException("null value");
        }
        int mask = keys.length - 1;
        int i = index(key, mask);
        for (; values[i] != null; i = (i + 1) & mask) {
            if (keys[i] == key) {
                values[i] = value;
                return;
            }
        }
        keys[i] = key;
        values[i] = value;
        if (++size * 2 > keys.length) {
            resize(keys.length * 2);
        }
    }

    /** Removes {@code key}'s mapping, returning its value, or {@code null} if it had none. */
    @SuppressWarnings("unchecked")
    V remove(long key) {
        int mask = keys.length - 1;
        for (int i = index(key, mask); values[i] != null; i = (i + 1) & mask) {
            if (keys[i] == key) {
                V old = (V) values[i];
                deleteAt(i);
                return old;
            }
        }
        return null;
    }

    /** Removes every mapping. */
    void clear() {
        keys = new long[MIN_CAPACITY];
        values = new Object[MIN_CAPACITY];
        size = 0;
    }

    /** Calls {@code action} with each mapping. The map must not be changed meanwhile. */
    @SuppressWarnings("unchecked")
    void forEach(Entry<? super V> action) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] != null) {
                action.accept(keys[i], (V) values[i]);
            }
        }
    }

    /** The keys, in no particular order: a copy, so the map may be changed while going through it. */
    long[] keys() {
        long[] out = new long[size];
        int n = 0;
        for (int i = 0; i < values.length; i++) {
            if (values[i] != null) {
                out[n++] = keys[i];
            }
        }
        return out;
    }

    /** Removes the mappings whose key {@code test} accepts. */
    void removeIf(LongPredicate test) {
        for (long key : keys()) {
            if (test.test(key)) {
                remove(key);
            }
        }
    }

    /** A mapping's consumer. */
    @FunctionalInterface
    interface Entry<V> {
        /** Called with one mapping. */
        void accept(long key, V value);
    }

    private void deleteAt(int slot) {
        int mask = keys.length - 1;
        int hole = slot;
        values[hole] = null;
        size--;
        // Shift later members of the probe run back so that lookups never stop at the hole early.
        for (int i = (hole + 1) & mask; values[i] != null; i = (i + 1) & mask) {
            int home = index(keys[i], mask);
            boolean movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
            if (movable) {
                keys[hole] = keys[i];
                values[hole] = values[i];
                values[i] = null;
                hole = i;
            }
        }
    }

    private void resize(int capacity) {
        long[] oldKeys = keys;
        Object[] oldValues = values;
        keys = new long[capacity];
        values = new Object[capacity];
        int mask = capacity - 1;
        for (int j = 0; j < oldValues.length; j++) {
            if (oldValues[j] != null) {
                int i = index(oldKeys[j], mask);
                while (values[i] != null) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                values[i] = oldValues[j];
            }
        }
    }

    private static int index(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    @Override
    public String toString() {
        return "LongMap" + Arrays.toString(keys());
    }
}
