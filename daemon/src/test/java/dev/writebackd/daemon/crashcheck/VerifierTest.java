package dev.writebackd.daemon.crashcheck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.daemon.crashcheck.Verdict.Kind;
import dev.writebackd.daemon.crashcheck.Verifier.Scope;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The verifier against doctored images: it must pass what the rules allow and catch each violation. */
class VerifierTest {
    private static final int SECTOR = FileModel.SECTOR;
    private static final long A = 1;
    private static final long B = 2;

    private final CrashModel model = new CrashModel();
    private byte[] aSynced;
    private byte[] aNew;
    private byte[] bSynced;

    /** a: 3 sectors fsync'd, then its last sector rewritten (unsynced); b: 2 sectors fsync'd. */
    @BeforeEach
    void workload() {
        model.created("a", A);
        aSynced = Pattern.bytes(A, 1, 0, 3 * SECTOR);
        model.write(A, 0, aSynced);
        model.fsynced(A);
        model.created("b", B);
        bSynced = Pattern.bytes(B, 2, 0, 2 * SECTOR);
        model.write(B, 0, bSynced);
        model.fsynced(B);
        byte[] rewrite = Pattern.bytes(A, 3, 2 * SECTOR, SECTOR);
        model.write(A, 2 * SECTOR, rewrite);
        aNew = aSynced.clone();
        System.arraycopy(rewrite, 0, aNew, 2 * SECTOR, SECTOR);
    }

    private Verdict verify(byte[] a, byte[] b) {
        return verify(a, b, Scope.ALL_DATA);
    }

    private Verdict verify(byte[] a, byte[] b, Scope scope) {
        Map<String, Recovered.File> files = new LinkedHashMap<>();
        files.put("a", new Recovered.File(A, a));
        files.put("b", new Recovered.File(B, b));
        return Verifier.verify(model, new Recovered(files), scope);
    }

    @Test
    void theOldOrTheNewVersionOfAnUnsyncedSectorPasses() {
        Verdict old = verify(aSynced, bSynced);
        Verdict fresh = verify(aNew, bSynced);
        assertThat(old.ok()).as("%s", old).isTrue();
        assertThat(fresh.ok()).as("%s", fresh).isTrue();
        assertThat(old.fsyncedBytes()).isEqualTo(2 * SECTOR + 2 * SECTOR); // a's first two sectors, all of b
        assertThat(old.lostBytes()).isZero();
    }

    @Test
    void oneLostFsyncedByteIsFound() {
        byte[] a = aSynced.clone();
        a[SECTOR + 7] ^= 1;
        Verdict verdict = verify(a, bSynced);
        assertThat(verdict.lostBytes()).as("counted by sector").isEqualTo(SECTOR);
        assertThat(verdict.problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Kind.LOST);
            assertThat(p.detail()).contains("file a (inode 1) sector 1").contains("its 512 fsync'd bytes are lost (1 differ");
        });
    }

    @Test
    void anotherFilesBytesInAnUnsyncedSectorAreFound() {
        byte[] a = aNew.clone();
        System.arraycopy(bSynced, 0, a, 2 * SECTOR, SECTOR);
        Verdict verdict = verify(a, bSynced);
        assertThat(verdict.lostBytes()).isZero();
        assertThat(verdict.problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Kind.FOREIGN);
            assertThat(p.detail()).contains("sector 2").contains("another file's bytes: inode 2 write 2");
        });
    }

    @Test
    void anotherFilesBytesOverFsyncedDataAreLostBytes() {
        byte[] a = aSynced.clone();
        System.arraycopy(bSynced, SECTOR, a, 0, SECTOR);
        Verdict verdict = verify(a, bSynced);
        assertThat(verdict.lostBytes()).isEqualTo(SECTOR);
        assertThat(verdict.problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Kind.LOST);
            assertThat(p.detail()).contains("another file's bytes: inode 2 write 2 at file offset 512");
        });
    }

    @Test
    void garbageInAnUnsyncedSectorIsFound() {
        byte[] a = aNew.clone();
        Arrays.fill(a, 2 * SECTOR, 3 * SECTOR, (byte) 0x5A);
        Verdict verdict = verify(a, bSynced);
        assertThat(verdict.problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Kind.GARBAGE);
            assertThat(p.detail()).contains("garbage").contains("5a5a");
        });
    }

    @Test
    void zerosWhereNoVersionHadThemAreStale() {
        byte[] a = aNew.clone();
        Arrays.fill(a, 2 * SECTOR, 3 * SECTOR, (byte) 0);
        Verdict verdict = verify(a, bSynced);
        assertThat(verdict.problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Kind.STALE);
            assertThat(p.detail()).contains("zeros");
        });
    }

    @Test
    void theFsyncedDataScopeIgnoresUnsyncedSectorsButNotLostOnes() {
        byte[] a = aNew.clone();
        Arrays.fill(a, 2 * SECTOR, 3 * SECTOR, (byte) 0x5A);
        assertThat(verify(a, bSynced, Scope.FSYNCED_DATA).ok()).isTrue();
        a[0] ^= 1;
        Verdict verdict = verify(a, bSynced, Scope.FSYNCED_DATA);
        assertThat(verdict.lostBytes()).isEqualTo(SECTOR);
        assertThat(verdict.problems()).extracting(Verdict.Problem::kind).containsExactly(Kind.LOST);
    }

    @Test
    void aShortFileLosesTheFsyncedBytesPastItsEndAndBreaksTheSizeRule() {
        byte[] a = Arrays.copyOf(aSynced, SECTOR + 12);
        Verdict verdict = verify(a, bSynced);
        assertThat(verdict.lostBytes()).isEqualTo(SECTOR);
        assertThat(verdict.problems()).extracting(Verdict.Problem::kind).containsExactly(Kind.SIZE, Kind.LOST);
    }

    @Test
    void aSectorMixOfOldAndNewVersionsPasses() {
        byte[] rewrite = Pattern.bytes(A, 4, 0, 3 * SECTOR);
        model.write(A, 0, rewrite);
        byte[] mixed = aSynced.clone();
        System.arraycopy(rewrite, 0, mixed, 0, SECTOR);
        System.arraycopy(aNew, 2 * SECTOR, mixed, 2 * SECTOR, SECTOR);
        assertThat(verify(mixed, bSynced).ok()).isTrue();
        byte[] torn = mixed.clone();
        System.arraycopy(rewrite, 0, torn, 0, 100); // inside one sector, a mix is not allowed
        System.arraycopy(aSynced, 100, torn, 100, SECTOR - 100);
        Verdict verdict = verify(torn, bSynced);
        assertThat(verdict.problems()).singleElement().satisfies(p -> assertThat(p.kind()).isEqualTo(Kind.STALE));
    }

    @Test
    void afterATruncateTheShortSizeAndTheOldOnePass() {
        model.truncate(B, 100);
        assertThat(verify(aSynced, Arrays.copyOf(bSynced, 100)).ok()).isTrue();
        assertThat(verify(aSynced, bSynced).ok()).isTrue();
        Verdict wrong = verify(aSynced, Arrays.copyOf(bSynced, 200));
        assertThat(wrong.problems()).extracting(Verdict.Problem::kind).containsExactly(Kind.SIZE);
    }

    @Test
    void aTruncateThroughAnFsyncedHoleOwesNothingPastTheNewSize() {
        model.created("h", 3);
        byte[] tail = Pattern.bytes(3, 5, 8 * SECTOR, SECTOR);
        model.write(3, 8 * SECTOR, tail); // sectors 0-7 are a hole: zeros
        model.fsynced(3);
        model.truncate(3, 2 * SECTOR + 10);
        Map<String, Recovered.File> files = new LinkedHashMap<>();
        files.put("a", new Recovered.File(A, aSynced));
        files.put("b", new Recovered.File(B, bSynced));
        files.put("h", new Recovered.File(3, new byte[2 * SECTOR + 10]));
        Verdict verdict = Verifier.verify(model, new Recovered(files), Scope.ALL_DATA);
        assertThat(verdict.problems()).isEmpty();
        assertThat(verdict.fsyncedBytes()).isEqualTo(4 * SECTOR + 2 * SECTOR + 10);
    }

    @Test
    void aRenameNotYetForcedMayOrMayNotBeFound() {
        model.renamed("b", "c");
        Map<String, Recovered.File> before = Map.of("a", new Recovered.File(A, aSynced),
                "b", new Recovered.File(B, bSynced));
        Map<String, Recovered.File> after = Map.of("a", new Recovered.File(A, aSynced),
                "c", new Recovered.File(B, bSynced));
        assertThat(Verifier.verify(model, new Recovered(before), Scope.ALL_DATA).ok()).isTrue();
        assertThat(Verifier.verify(model, new Recovered(after), Scope.ALL_DATA).ok()).isTrue();
        model.fsynced(B); // forces the journal: only the renamed names are allowed now
        Verdict verdict = Verifier.verify(model, new Recovered(before), Scope.ALL_DATA);
        assertThat(verdict.problems()).extracting(Verdict.Problem::kind).containsExactly(Kind.NAMES);
    }

    @Test
    void aFileThatMustExistButIsGoneLosesAllItsFsyncedBytes() {
        Verdict verdict = Verifier.verify(model, new Recovered(Map.of("a", new Recovered.File(A, aSynced))),
                Scope.ALL_DATA);
        assertThat(verdict.lostBytes()).isEqualTo(2 * SECTOR);
        assertThat(verdict.problems()).extracting(Verdict.Problem::kind).containsExactly(Kind.NAMES, Kind.LOST);
    }

    @Test
    void aFileTheWorkloadNeverMadeIsFound() {
        Map<String, Recovered.File> files = Map.of("a", new Recovered.File(A, aSynced),
                "b", new Recovered.File(B, bSynced), "z", new Recovered.File(9, new byte[0]));
        Verdict verdict = Verifier.verify(model, new Recovered(files), Scope.ALL_DATA);
        assertThat(verdict.problems()).extracting(Verdict.Problem::kind).containsExactly(Kind.NAMES, Kind.UNKNOWN_FILE);
    }

    @Test
    void afterARestartTheFoundStateIsTheDurableOne() {
        model.restarted(new Recovered(Map.of("a", new Recovered.File(A, aNew), "b", new Recovered.File(B, bSynced))));
        assertThat(verify(aNew, bSynced).fsyncedBytes()).isEqualTo(5 * SECTOR);
        assertThat(verify(aSynced, bSynced).lostBytes()).isEqualTo(SECTOR);
    }
}
