package dev.writebackd.block.fault;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * Seeds for every random choice of a run, derived from one run seed (DESIGN.md "Determinism").
 *
 * <p>{@link #derive} mixes the run seed, a purpose name and an index with a SplitMix64-style
 * finaliser, so the same three inputs give the same seed on every JVM and every run, and different
 * purposes or indexes give unrelated seeds: rule {@code n} uses {@code derive(run, "rule", n)},
 * the {@code n}th power cut {@code derive(run, "power-cut", n)}.
 */
public final class Seeds {
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Seeds() {}

    /**
     * A seed for the {@code index}th use of {@code purpose} in the run seeded by {@code runSeed}.
     * Pure and stable: it depends only on its arguments.
     *
     * @param runSeed the run seed
     * @param purpose what the seed is for (e.g. {@code "rule"}, {@code "power-cut"})
     * @param index which use of that purpose (0, 1, …)
     */
    public static long derive(long runSeed, String purpose, long index) {
        requireNonNull(purpose, "purpose");
        long h = mix(runSeed + GOLDEN_GAMMA);
        for (byte b : purpose.getBytes(StandardCharsets.UTF_8)) {
            h = mix(h ^ ((b & 0xFF) + GOLDEN_GAMMA));
        }
        h = mix(h ^ purpose.length());
        return mix(h + index * GOLDEN_GAMMA + GOLDEN_GAMMA);
    }

    /**
     * A fresh random run seed, never 0 (0 in config means "pick one").
     */
    public static long randomRunSeed() {
        long seed;
        do {
            seed = RANDOM.nextLong();
        } while (seed == 0);
        return seed;
    }

    /** SplitMix64's finaliser (Stafford variant 13): a bijection that spreads every input bit. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
