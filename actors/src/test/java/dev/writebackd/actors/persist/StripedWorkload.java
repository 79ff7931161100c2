package dev.writebackd.actors.persist;

import java.util.Random;

/**
 * One writer's steps in the concurrent engine tests: {@link #WRITERS} writers share every file,
 * each owning its own interleaved stripes ({@link #STRIPE} bytes, not page-aligned, so writers
 * share pages), and each writing random offsets and sizes inside its stripes, with an fsync now
 * and then. The steps depend only on the seed and the writer, so a test can replay what a killed
 * writer did.
 *
 * <p>Every byte written is non-zero and tells its file ({@link #owner}) for up to 15 files.
 */
public final class StripedWorkload {
    /** Writers sharing each file. */
    public static final int WRITERS = 8;
    /** Bytes per stripe; stripe {@code s} of a file belongs to writer {@code s % WRITERS}. */
    public static final int STRIPE = 1536;
    /** A file's size is a multiple of this: every writer owns the same number of stripes. */
    public static final int ROUND = STRIPE * WRITERS;

    /** One step: a write of {@code data} at {@code offset} of file {@code file}, or its fsync when {@code data} is {@code null}. */
    public record Step(int file, int offset, byte[] data) {
        /** Whether the step is an fsync. */
        public boolean isFsync() {
            return data == null;
        }

        /** The end of the write. */
        public int end() {
            return offset + data.length;
        }
    }

    private final Random random;
    private final int writer;
    private final int files;
    private final int ownedStripes;
    private final int fsyncOneIn;

    /**
     * Writer {@code writer}'s steps over {@code files} files of {@code fileBytes} bytes (a
     * multiple of {@link #ROUND}), an fsync about once in {@code fsyncOneIn} steps.
     */
    public StripedWorkload(long seed, int writer, int files, int fileBytes, int fsyncOneIn) {
        if (fileBytes % ROUND != 0 || writer < 0 || writer >= WRITERS) {
            throw new IllegalArgumentException("writer " + writer + ", file bytes " + fileBytes);
        }
        this.random = new Random(seed * 1_000_003L + writer);
        this.writer = writer;
        this.files = files;
        this.ownedStripes = fileBytes / ROUND;
        this.fsyncOneIn = fsyncOneIn;
    }

    /** The name of file {@code file}. */
    public static String name(int file) {
        return "striped-" + file;
    }

    /** Whether byte {@code offset} of every file is in a stripe of {@code writer}. */
    public static boolean owns(int writer, int offset) {
        return (offset / STRIPE) % WRITERS == writer;
    }

    /** A byte of file {@code file}: never zero, and (below 16 files) which file wrote it can be told. */
    public static byte tag(int file, int variant) {
        return (byte) (file * 16 + 1 + variant);
    }

    /** The file whose {@link #tag} {@code value} is. */
    public static int owner(byte value) {
        return ((value & 0xff) - 1) / 16;
    }

    /** The writer's next step. */
    public Step next() {
        int file = random.nextInt(files);
        if (random.nextInt(fsyncOneIn) == 0) {
            return new Step(file, 0, null);
        }
        int stripe = writer + WRITERS * random.nextInt(ownedStripes);
        int within = random.nextInt(STRIPE);
        byte[] data = new byte[1 + random.nextInt(STRIPE - within)];
        int variant = random.nextInt(8);
        for (int i = 0; i < data.length; i++) {
            data[i] = tag(file, (variant + i / 512) % 8);
        }
        return new Step(file, stripe * STRIPE + within, data);
    }
}
