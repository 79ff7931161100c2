package dev.writebackd.block;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;

/**
 * One segment of a bio: the bytes of (part of) a cached page, or of a metadata block.
 *
 * <p>{@code buffer} covers exactly the segment's bytes (position 0, limit = length); writes take
 * them from it, reads fill it. {@code pageIndex} and {@code slot} name the page-cache page and the
 * pool slot holding the bytes, so completion can find the page again; metadata segments use
 * {@link #NO_PAGE} and carry the metadata block number in {@code slot}'s place ({@code metaBlock}).
 *
 * @param buffer the bytes; its remaining length is a multiple of 512
 * @param pageIndex the page's index in its file, or {@link #NO_PAGE}
 * @param slot the page pool slot of the bytes, or -1
 * @param metaBlock for metadata segments, the block number; otherwise -1
 */
public record Segment(ByteBuffer buffer, long pageIndex, int slot, long metaBlock) {
    /** {@code pageIndex} of segments that carry no page-cache page. */
    public static final long NO_PAGE = -1;

    /** Validates the segment. */
    public Segment {
        requireNonNull(buffer, "buffer");
        if (buffer.remaining() == 0 || buffer.remaining() % BlockDevice.SECTOR_SIZE != 0) {
            throw new IllegalArgumentException("segment length " + buffer.remaining()
                    + " is not a positive multiple of " + BlockDevice.SECTOR_SIZE);
        }
    }

    /** A segment holding bytes of page {@code pageIndex} from pool slot {@code slot}. */
    public static Segment ofPage(ByteBuffer buffer, long pageIndex, int slot) {
        return new Segment(buffer, pageIndex, slot, -1);
    }

    /** A segment holding metadata block {@code block}. */
    public static Segment ofMetadata(ByteBuffer buffer, long block) {
        return new Segment(buffer, NO_PAGE, -1, block);
    }

    /** The segment's length in bytes. */
    public int length() {
        return buffer.remaining();
    }
}
