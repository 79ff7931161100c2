package dev.writebackd.block;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/** Builds bios and test data for the block tests. */
final class TestBios {
    private TestBios() {}

    /** {@code length} deterministic pseudo-random bytes, different for each seed. */
    static byte[] pattern(long seed, int length) {
        byte[] bytes = new byte[length];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) random.nextInt(1, 256); // never zero: zeroed bytes stand out
        }
        return bytes;
    }

    /** Where segment buffers live. */
    enum Memory {
        /** Heap arrays. */
        HEAP,
        /** Off-heap, 4 KiB aligned, like pool pages: O_DIRECT can take them as they are. */
        OFF_HEAP,
        /** Off-heap, 8 bytes past a 4 KiB boundary: O_DIRECT cannot take them. */
        OFF_HEAP_MISALIGNED;

        ByteBuffer allocate(int length) {
            // alignedSlice rounds both ends inwards, so allocate whole pages and one spare.
            int pages = (length + 8 + 4095) / 4096 + 1;
            return switch (this) {
                case HEAP -> ByteBuffer.allocate(length);
                case OFF_HEAP -> ByteBuffer.allocateDirect(pages * 4096).alignedSlice(4096).limit(length);
                case OFF_HEAP_MISALIGNED -> ByteBuffer.allocateDirect(pages * 4096).alignedSlice(4096)
                        .position(8).limit(8 + length).slice();
            };
        }
    }

    /** A buffer holding a copy of {@code bytes}. */
    static ByteBuffer buffer(byte[] bytes, Memory memory) {
        ByteBuffer buffer = memory.allocate(bytes.length);
        buffer.put(bytes).flip();
        return buffer;
    }

    /** A write bio of one segment per array, page indexes 0, 1, … */
    static Bio write(long startSector, List<byte[]> segments, Memory memory, Set<BioFlag> flags, long inode) {
        List<Segment> list = new ArrayList<>();
        for (int i = 0; i < segments.size(); i++) {
            list.add(Segment.ofPage(buffer(segments.get(i), memory), i, i));
        }
        return new Bio(BioOp.WRITE, startSector, list, flags, inode);
    }

    /** A write bio of one segment per array, on the heap, no flags, inode 1. */
    static Bio write(long startSector, byte[]... segments) {
        return write(startSector, List.of(segments), Memory.HEAP, Set.of(), 1);
    }

    /** A read bio of segments of the given lengths, prefilled with 0x5a so untouched bytes show. */
    static Bio read(long startSector, Memory memory, int... lengths) {
        List<Segment> list = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            byte[] fill = new byte[lengths[i]];
            Arrays.fill(fill, (byte) 0x5a);
            list.add(Segment.ofPage(buffer(fill, memory), i, i));
        }
        return new Bio(BioOp.READ, startSector, list, Set.of(), 1);
    }

    /** A heap read bio of segments of the given lengths. */
    static Bio read(long startSector, int... lengths) {
        return read(startSector, Memory.HEAP, lengths);
    }

    /** The bytes of all segments, concatenated, without disturbing the buffers. */
    static byte[] contents(Bio bio) {
        ByteBuffer all = ByteBuffer.allocate((int) bio.lengthBytes());
        for (Segment segment : bio.segments()) {
            all.put(segment.buffer().duplicate());
        }
        return all.array();
    }

    /** The bytes of one segment. */
    static byte[] contents(Segment segment) {
        byte[] bytes = new byte[segment.length()];
        segment.buffer().duplicate().get(bytes);
        return bytes;
    }

    /** The concatenation of arrays. */
    static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        ByteBuffer all = ByteBuffer.allocate(length);
        for (byte[] part : parts) {
            all.put(part);
        }
        return all.array();
    }
}
