package dev.writebackd.block.fault;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.Segment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Bios derived from a bio: a corrupted copy, a prefix. Never changes the original's buffers unless asked to. */
final class BioEdits {
    private BioEdits() {}

    /**
     * A copy of write {@code bio} whose data has {@code corrupt} applied: every segment's bytes are
     * copied, so the caller's buffers (the page cache's pages) keep their contents.
     */
    static Bio corruptedCopy(Bio bio, Injection.Corrupt corrupt) {
        List<Segment> copies = new ArrayList<>(bio.segments().size());
        long offset = 0;
        for (Segment segment : bio.segments()) {
            ByteBuffer copy = ByteBuffer.allocate(segment.length());
            copy.put(segment.buffer().duplicate()).flip();
            if (corrupt.offset() >= offset && corrupt.offset() < offset + segment.length()) {
                int at = (int) (corrupt.offset() - offset);
                copy.put(at, corrupt.apply(copy.get(at)));
            }
            copies.add(new Segment(copy, segment.pageIndex(), segment.slot(), segment.metaBlock()));
            offset += segment.length();
        }
        return new Bio(bio.op(), bio.startSector(), copies, bio.flags(), bio.inode());
    }

    /** Applies {@code corrupt} to the bytes a read filled in {@code bio}'s own buffers, as a bad device would return them. */
    static void corruptInPlace(Bio bio, Injection.Corrupt corrupt) {
        long offset = 0;
        for (Segment segment : bio.segments()) {
            if (corrupt.offset() >= offset && corrupt.offset() < offset + segment.length()) {
                ByteBuffer buffer = segment.buffer();
                int at = buffer.position() + (int) (corrupt.offset() - offset);
                buffer.put(at, corrupt.apply(buffer.get(at)));
                return;
            }
            offset += segment.length();
        }
    }

    /** The first {@code sectors} sectors of write {@code bio} (at least 1, fewer than the bio has), as views of its buffers. */
    static Bio prefix(Bio bio, long sectors) {
        long keepBytes = sectors * BlockDevice.SECTOR_SIZE;
        List<Segment> kept = new ArrayList<>();
        long offset = 0;
        for (Segment segment : bio.segments()) {
            if (offset >= keepBytes) {
                break;
            }
            int length = (int) Math.min(segment.length(), keepBytes - offset);
            ByteBuffer buffer = segment.buffer();
            kept.add(new Segment(buffer.slice(buffer.position(), length), segment.pageIndex(), segment.slot(),
                    segment.metaBlock()));
            offset += length;
        }
        return new Bio(bio.op(), bio.startSector(), kept, bio.flags(), bio.inode());
    }
}
