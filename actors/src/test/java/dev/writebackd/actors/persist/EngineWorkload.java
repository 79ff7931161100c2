package dev.writebackd.actors.persist;

import java.util.Random;

/** The engine kill test's steps, the same for the writer and the test that replays them: writes and fsyncs over a few files. */
final class EngineWorkload {
    static final int PAGE = 4096;
    static final long DEVICE_BYTES = 16L << 20;
    static final int FILES = 4;
    static final int MAX_FILE = 24 * PAGE;

    /** One step: a write of {@code data} at {@code offset}, or an fsync when {@code data} is {@code null}. */
    record Step(int file, long offset, byte[] data) {}

    private final Random random;

    EngineWorkload(long seed) {
        this.random = new Random(seed);
    }

    static String name(int file) {
        return "file-" + file;
    }

    /** A byte of file {@code file}: never zero, and which file wrote it can be told. */
    static byte tag(int file, int variant) {
        return (byte) (file * 16 + 1 + variant);
    }

    static int owner(byte value) {
        return ((value & 0xff) - 1) / 16;
    }

    Step next() {
        int file = random.nextInt(FILES);
        if (random.nextInt(4) == 0) {
            return new Step(file, 0, null);
        }
        int offset = random.nextInt(MAX_FILE - 2 * PAGE);
        byte[] data = new byte[1 + random.nextInt(2 * PAGE)];
        for (int i = 0; i < data.length; i++) {
            data[i] = tag(file, random.nextInt(8));
        }
        return new Step(file, offset, data);
    }
}
