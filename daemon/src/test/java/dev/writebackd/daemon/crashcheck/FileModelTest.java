package dev.writebackd.daemon.crashcheck;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FileModelTest {
    private static final int SECTOR = FileModel.SECTOR;

    @Test
    void fsyncedSectorsHaveOneVersionAndUnsyncedOnesEveryVersionSince() {
        FileModel file = FileModel.empty();
        byte[] first = Pattern.bytes(1, 1, 0, 2 * SECTOR);
        file.write(0, first);
        file.fsynced();
        assertThat(file.isFsynced(0)).isTrue();
        assertThat(file.fsyncedBytes(1)).isEqualTo(SECTOR);
        assertThat(file.candidates(0)).hasSize(1);

        byte[] second = Pattern.bytes(1, 2, SECTOR, 10);
        file.write(SECTOR, second);
        assertThat(file.isFsynced(0)).isTrue();
        assertThat(file.isFsynced(1)).isFalse();
        assertThat(file.candidates(1)).hasSize(2);
        assertThat(file.allowedSizes()).containsExactly(2L * SECTOR);
    }

    @Test
    void aPartialLastSectorCountsOnlyTheBytesInsideTheFile() {
        FileModel file = FileModel.empty();
        file.write(0, Pattern.bytes(1, 1, 0, 700));
        file.fsynced();
        assertThat(file.fsyncedBytes(0)).isEqualTo(SECTOR);
        assertThat(file.fsyncedBytes(1)).isEqualTo(700 - SECTOR);
        assertThat(file.fsyncedBytes(2)).isZero();
    }

    @Test
    void aTruncateAllowsTheShorterSizeAndZerosInTheSectorsItCut() {
        FileModel file = FileModel.empty();
        file.write(0, Pattern.bytes(1, 1, 0, 4 * SECTOR));
        file.fsynced();
        file.truncate(SECTOR + 100);
        assertThat(file.allowedSizes()).containsExactly(SECTOR + 100L, 4L * SECTOR);
        assertThat(file.isFsynced(0)).isTrue();
        assertThat(file.isFsynced(1)).isFalse();
        assertThat(file.candidates(3)).anySatisfy(c -> assertThat(c).containsOnly(0));
        byte[] cut = file.candidates(1).get(1);
        assertThat(cut[99]).isEqualTo(Pattern.bytes(1, 1, SECTOR + 99, 1)[0]);
        assertThat(cut[100]).isZero();
    }

    @Test
    void growingOnlyAddsASize() {
        FileModel file = FileModel.empty();
        file.write(0, Pattern.bytes(1, 1, 0, 100));
        file.fsynced();
        file.truncate(10 * SECTOR);
        assertThat(file.allowedSizes()).containsExactly(100L, 10L * SECTOR);
        assertThat(file.candidates(5)).singleElement().satisfies(c -> assertThat(c).containsOnly(0));
        assertThat(file.contents()).hasSize(10 * SECTOR);
    }

    @Test
    void aRestoredFileIsDurableAsFound() {
        byte[] found = Pattern.bytes(4, 9, 0, 1000);
        FileModel file = FileModel.restored(found);
        assertThat(file.durableSize()).isEqualTo(1000);
        assertThat(file.isFsynced(1)).isTrue();
        assertThat(file.contents()).isEqualTo(found);
    }
}
