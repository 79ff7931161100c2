package dev.writebackd.daemon.crashcheck;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PatternTest {

    @Test
    void aWriteSplitInTwoGivesTheSameBytesAsWhole() {
        byte[] whole = Pattern.bytes(3, 17, 1001, 3000);
        byte[] first = Pattern.bytes(3, 17, 1001, 999);
        byte[] second = Pattern.bytes(3, 17, 2000, 2001);
        byte[] joined = new byte[3000];
        System.arraycopy(first, 0, joined, 0, 999);
        System.arraycopy(second, 0, joined, 999, 2001);
        assertThat(joined).isEqualTo(whole);
    }

    @Test
    void eachAlignedWordNamesItsFileWriteAndOffset() {
        byte[] bytes = Pattern.bytes(42, 99, 4096, 64);
        for (int at = 0; at < 64; at += 8) {
            Pattern.Origin origin = Pattern.decode(Pattern.wordAt(bytes, at)).orElseThrow();
            assertThat(origin).isEqualTo(new Pattern.Origin(42, 99, (4096 + at) / 8));
        }
    }

    @Test
    void differentWritesOrFilesGiveDifferentBytes() {
        assertThat(Pattern.bytes(1, 1, 0, 512)).isNotEqualTo(Pattern.bytes(1, 2, 0, 512))
                .isNotEqualTo(Pattern.bytes(2, 1, 0, 512)).isNotEqualTo(Pattern.bytes(1, 1, 512, 512));
    }

    @Test
    void zerosAndRandomBytesRarelyDecode() {
        assertThat(Pattern.decode(0)).isEmpty();
        SplittableRandom random = new SplittableRandom(7);
        int decoded = 0;
        for (int i = 0; i < 100_000; i++) {
            decoded += Pattern.decode(random.nextLong()).isPresent() ? 1 : 0;
        }
        assertThat(decoded).isLessThan(200); // about one in 1024
    }
}
