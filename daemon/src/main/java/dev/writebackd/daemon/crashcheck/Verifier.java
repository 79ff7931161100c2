package dev.writebackd.daemon.crashcheck;

import static java.util.Objects.requireNonNull;

import dev.writebackd.daemon.crashcheck.Verdict.Kind;
import dev.writebackd.daemon.crashcheck.Verdict.Problem;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks what a restarted engine shows ({@link Recovered}) against the {@link CrashModel}:
 *
 * <ul>
 *   <li>the names are those after an allowed prefix of the name operations;
 *   <li>every file is one the workload made, and its size is one it may have;
 *   <li>every fsync'd byte is intact (a file that must exist but is gone loses all of them). Bytes
 *       are lost by sector, the unit a device keeps or drops: a sector with one wrong or missing
 *       fsync'd byte loses all its fsync'd bytes;
 *   <li>with {@link Scope#ALL_DATA}, every other sector inside the size holds that sector of an
 *       allowed version — never another file's bytes, never garbage. {@link Scope#FSYNCED_DATA}
 *       (the {@code ext2} layout, which like ext2 may show stale blocks in unsynced ranges)
 *       checks the fsync'd bytes only.
 * </ul>
 *
 * <p>A wrong sector is described by where its bytes came from ({@link Pattern}): zeros, another
 * file's write, an older write of its own, or garbage. Plain and stateless.
 */
public final class Verifier {
    /** At most this many problems are described; one last problem says how many more there were. */
    static final int MAX_DETAILED = 50;

    /** Which data the checker holds the engine to. */
    public enum Scope {
        /** fsync'd bytes intact, and unsynced sectors hold an allowed version ({@code extent} layout). */
        ALL_DATA,
        /** fsync'd bytes intact only ({@code ext2} layout). */
        FSYNCED_DATA
    }

    private final List<Problem> problems = new ArrayList<>();
    private int dropped;
    private long fsyncedBytes;
    private long lostBytes;

    private Verifier() {}

    /** Checks {@code recovered} against {@code model}. */
    public static Verdict verify(CrashModel model, Recovered recovered, Scope scope) {
        requireNonNull(model, "model");
        requireNonNull(recovered, "recovered");
        requireNonNull(scope, "scope");
        Verifier verifier = new Verifier();
        verifier.checkNames(model, recovered);
        recovered.files().forEach((name, file) -> verifier.checkFile(model, name, file, scope));
        verifier.checkVanished(model, recovered);
        if (verifier.dropped > 0) {
            verifier.problems.add(new Problem(verifier.problems.get(verifier.problems.size() - 1).kind(),
                    "… and " + verifier.dropped + " more problems not described"));
        }
        return new Verdict(verifier.fsyncedBytes, verifier.lostBytes, verifier.problems);
    }

    private void checkNames(CrashModel model, Recovered recovered) {
        Map<String, Long> found = recovered.names();
        List<Map<String, Long>> allowed = model.allowedNames();
        if (!allowed.contains(found)) {
            report(Kind.NAMES, "names " + found + " are none of the " + allowed.size()
                    + " allowed; the latest allowed: " + new java.util.TreeMap<>(allowed.get(allowed.size() - 1)));
        }
    }

    /** Files that every allowed name map holds but the restart does not show: their fsync'd bytes are lost. */
    private void checkVanished(CrashModel model, Recovered recovered) {
        List<Map<String, Long>> allowed = model.allowedNames();
        java.util.Set<Long> shown = new java.util.HashSet<>(recovered.names().values());
        java.util.Set<Long> required = new java.util.TreeSet<>(allowed.get(0).values());
        allowed.forEach(names -> required.retainAll(names.values()));
        for (long inode : required) {
            if (shown.contains(inode)) {
                continue;
            }
            FileModel file = model.fileModel(inode).orElseThrow();
            long bytes = 0;
            for (long sector = 0; sector * FileModel.SECTOR < file.durableSize(); sector++) {
                bytes += file.fsyncedBytes(sector);
            }
            fsyncedBytes += bytes;
            lostBytes += bytes;
            report(Kind.LOST, "inode " + inode + " is gone: " + bytes + " fsync'd bytes lost");
        }
    }

    private void checkFile(CrashModel model, String name, Recovered.File found, Scope scope) {
        Optional<FileModel> modelled = model.fileModel(found.inode());
        String file = "file " + name + " (inode " + found.inode() + ")";
        if (modelled.isEmpty()) {
            report(Kind.UNKNOWN_FILE, file + " was never made by the workload");
            return;
        }
        FileModel expected = modelled.get();
        byte[] contents = found.contents();
        long size = contents.length;
        boolean sizeAllowed = expected.allowedSizes().contains(size);
        if (!sizeAllowed) {
            report(Kind.SIZE, file + " has size " + size + "; allowed " + expected.allowedSizes());
        }
        long end = Math.max(size, expected.durableSize());
        for (long sector = 0; sector * FileModel.SECTOR < end; sector++) {
            int shown = (int) Math.max(0, Math.min(FileModel.SECTOR, size - sector * FileModel.SECTOR));
            byte[] bytes = new byte[FileModel.SECTOR];
            if (shown > 0) {
                System.arraycopy(contents, (int) (sector * FileModel.SECTOR), bytes, 0, shown);
            }
            // Past an allowed size nothing is owed: a truncate cut it off (a sector it left unchanged
            // is one whose bytes were zeros already, a hole). Past a wrong size, fsync'd bytes are lost.
            int fsynced = sizeAllowed ? Math.min(shown, expected.fsyncedBytes(sector)) : expected.fsyncedBytes(sector);
            if (fsynced > 0) {
                checkFsynced(file, found.inode(), sector, bytes, shown, fsynced, expected.durableSector(sector));
            } else if (scope == Scope.ALL_DATA && shown > 0) {
                checkUnsynced(file, found.inode(), sector, bytes, shown, expected.candidates(sector));
            }
        }
    }

    private void checkFsynced(String file, long inode, long sector, byte[] bytes, int shown, int fsynced,
            byte[] durable) {
        fsyncedBytes += fsynced;
        int wrong = 0;
        for (int i = 0; i < fsynced; i++) {
            if (i >= shown || bytes[i] != durable[i]) {
                wrong++;
            }
        }
        if (wrong > 0) {
            lostBytes += fsynced;
            report(Kind.LOST, file + " sector " + sector + " (bytes " + sector * FileModel.SECTOR + "…): its "
                    + fsynced + " fsync'd bytes are lost (" + wrong + " differ or are missing); it holds "
                    + (shown == 0 ? "nothing (the file ends before it)" : describe(bytes, shown, inode)));
        }
    }

    private void checkUnsynced(String file, long inode, long sector, byte[] bytes, int shown, List<byte[]> candidates) {
        for (byte[] candidate : candidates) {
            if (java.util.Arrays.equals(bytes, 0, shown, candidate, 0, shown)) {
                return;
            }
        }
        Origin origin = origin(bytes, shown, inode);
        Kind kind = switch (origin) {
            case FOREIGN -> Kind.FOREIGN;
            case GARBAGE -> Kind.GARBAGE;
            case OWN, ZEROS -> Kind.STALE;
        };
        report(kind, file + " sector " + sector + " (bytes " + sector * FileModel.SECTOR
                + "…) holds none of its " + candidates.size() + " allowed versions but "
                + describe(bytes, shown, inode));
    }

    /** Where a sector's bytes came from, judged by its words. */
    enum Origin { ZEROS, OWN, FOREIGN, GARBAGE }

    static Origin origin(byte[] bytes, int shown, long inode) {
        boolean zeros = true;
        boolean own = false;
        for (int i = 0; i < shown; i++) {
            zeros &= bytes[i] == 0;
        }
        if (zeros) {
            return Origin.ZEROS;
        }
        for (int at = 0; at + 8 <= shown; at += 8) {
            Optional<Pattern.Origin> decoded = Pattern.decode(Pattern.wordAt(bytes, at));
            if (decoded.isPresent()) {
                if (decoded.get().inodeTag() != Pattern.tagOf(inode)) {
                    return Origin.FOREIGN;
                }
                own = true;
            }
        }
        return own ? Origin.OWN : Origin.GARBAGE;
    }

    /** A short description of a sector's bytes: zeros, whose write, or garbage. */
    static String describe(byte[] bytes, int shown, long inode) {
        Origin origin = origin(bytes, shown, inode);
        if (origin == Origin.ZEROS) {
            return "zeros";
        }
        if (origin == Origin.GARBAGE) {
            return "garbage (bytes no write of the workload made), starting " + hex(bytes, Math.min(shown, 16));
        }
        for (int at = 0; at + 8 <= shown; at += 8) {
            Optional<Pattern.Origin> decoded = Pattern.decode(Pattern.wordAt(bytes, at));
            if (decoded.isPresent() && (origin == Origin.OWN || decoded.get().inodeTag() != Pattern.tagOf(inode))) {
                Pattern.Origin o = decoded.get();
                return (origin == Origin.FOREIGN ? "another file's bytes: inode " + o.inodeTag()
                        : "an older write of its own:") + " write " + o.writeId() + " at file offset "
                        + o.wordIndex() * 8 + " (at byte " + at + " of the sector)";
            }
        }
        return origin.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String hex(byte[] bytes, int length) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < length; i++) {
            out.append(String.format("%02x", bytes[i] & 0xFF));
        }
        return out.toString();
    }

    private void report(Kind kind, String detail) {
        if (problems.size() < MAX_DETAILED) {
            problems.add(new Problem(kind, detail));
        } else {
            dropped++;
        }
    }
}
