package dev.writebackd.daemon.crashcheck;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The crash checker's expectations: what the files and their names may be after a power cut,
 * given the operations issued and the fsyncs acknowledged since the last restart.
 *
 * <p>Data: one {@link FileModel} per inode (see there). Names: the engine persists every create,
 * rename and unlink in its journal, in order, and forces the journal at each fsync; a power cut
 * may in general lose the unforced tail. So the names found after a cut must be those after
 * <em>some</em> prefix of the name operations, no shorter than what the last acknowledged fsync
 * forced, no longer than what was issued (the weakest rule the journal's order supports). A file's
 * data is followed by inode, whatever its name; the data of an inode no name reaches any more is
 * not checked.
 *
 * <p>Operations are applied before the engine is asked (so one in flight at the cut counts as
 * maybe done); {@link #fsynced} once the engine acknowledged it. Plain, single-threaded.
 */
public final class CrashModel {
    private final Map<Long, FileModel> files = new HashMap<>();
    private final TreeMap<String, Long> names = new TreeMap<>();
    /** The name maps a cut may leave, oldest first: after the last forced prefix, then after each later name operation. */
    private final List<Map<String, Long>> allowedNames = new ArrayList<>();

    /** An empty model: no files. */
    public CrashModel() {
        allowedNames.add(Map.of());
    }

    /** File {@code name} was created, as inode {@code inode}, empty. */
    public void created(String name, long inode) {
        requireNonNull(name, "name");
        if (names.containsKey(name)) {
            throw new IllegalArgumentException("file " + name + " exists");
        }
        files.put(inode, FileModel.empty());
        names.put(name, inode);
        allowedNames.add(Map.copyOf(names));
    }

    /** {@code from} was renamed to {@code to}, replacing whatever {@code to} named. */
    public void renamed(String from, String to) {
        Long inode = names.remove(requireNonNull(from, "from"));
        if (inode == null) {
            throw new IllegalArgumentException("no file " + from);
        }
        names.put(requireNonNull(to, "to"), inode);
        allowedNames.add(Map.copyOf(names));
    }

    /** Name {@code name} was removed. */
    public void unlinked(String name) {
        if (names.remove(requireNonNull(name, "name")) == null) {
            throw new IllegalArgumentException("no file " + name);
        }
        allowedNames.add(Map.copyOf(names));
    }

    /** A write of {@code data} at {@code offset} into inode {@code inode}. */
    public void write(long inode, long offset, byte[] data) {
        file(inode).write(offset, data);
    }

    /** A truncate of inode {@code inode} to {@code size}. */
    public void truncate(long inode, long size) {
        file(inode).truncate(size);
    }

    /**
     * An fsync of inode {@code inode} was acknowledged: its data and size are durable, and so is
     * every name operation issued before it (the journal was forced).
     */
    public void fsynced(long inode) {
        file(inode).fsynced();
        Map<String, Long> now = allowedNames.get(allowedNames.size() - 1);
        allowedNames.clear();
        allowedNames.add(now);
    }

    /** The inode file {@code name} has now, if any. */
    public Optional<Long> inodeOf(String name) {
        return Optional.ofNullable(names.get(name));
    }

    /** The names now, in order, with their inodes. */
    public Map<String, Long> names() {
        return java.util.Collections.unmodifiableMap(new TreeMap<>(names));
    }

    /** The name maps a cut may leave, oldest first. */
    public List<Map<String, Long>> allowedNames() {
        return List.copyOf(allowedNames);
    }

    /** The model of inode {@code inode}, if known. */
    public Optional<FileModel> fileModel(long inode) {
        return Optional.ofNullable(files.get(inode));
    }

    /**
     * A restart found {@code recovered}: from now on it is the durable state of every file, and
     * its names the only allowed ones.
     */
    public void restarted(Recovered recovered) {
        requireNonNull(recovered, "recovered");
        files.clear();
        names.clear();
        recovered.files().forEach((name, file) -> {
            names.put(name, file.inode());
            files.put(file.inode(), FileModel.restored(file.contents()));
        });
        allowedNames.clear();
        allowedNames.add(Map.copyOf(names));
    }

    private FileModel file(long inode) {
        FileModel file = files.get(inode);
        if (file == null) {
            throw new IllegalArgumentException("no file with inode " + inode);
        }
        return file;
    }
}
