package dev.writebackd.actors;

import dev.writebackd.actors.engine.InodeActor;
import dev.writebackd.actors.engine.WriteQueue;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * An open file of an {@link Engine}, like a file descriptor: writes, reads, fsync and truncate go
 * through it. It carries the file's and the device's errseq samples taken when it was opened (kept
 * by the file's actor), so each handle learns of each write error once (E4).
 *
 * <p>Valid until {@link Engine#close(Handle) closed} or until the engine shuts down; a handle of
 * another engine answers ESTALE. Immutable and thread-safe.
 */
public final class Handle {
    private final Engine engine;
    private final long id;
    private final String name;
    private final long inode;
    private final ActorRef<InodeActor.Command> file;
    private final WriteQueue writes;

    Handle(Engine engine, long id, String name, long inode, ActorRef<InodeActor.Command> file) {
        this.engine = engine;
        this.id = id;
        this.name = name;
        this.inode = inode;
        this.file = file;
        this.writes = new WriteQueue(file);
    }

    /** The handle's number, unique within its engine. */
    public long id() {
        return id;
    }

    /** The name the file was opened by (a later rename does not change it). */
    public String name() {
        return name;
    }

    /** The file's inode number. */
    public long inode() {
        return inode;
    }

    Engine engine() {
        return engine;
    }

    ActorRef<InodeActor.Command> file() {
        return file;
    }

    /** The queue this handle's writes take to the file's actor. */
    WriteQueue writes() {
        return writes;
    }

    @Override
    public String toString() {
        return "Handle[" + id + ", " + name + ", inode " + inode + "]";
    }
}
