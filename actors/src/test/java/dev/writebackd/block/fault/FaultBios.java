package dev.writebackd.block.fault;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.Segment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/** Bios, data and rules for the fault tests. */
final class FaultBios {
    static final int SECTOR = 512;

    private FaultBios() {}

    /** {@code length} seeded non-zero bytes. */
    static byte[] pattern(long seed, int length) {
        byte[] bytes = new byte[length];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) random.nextInt(1, 256);
        }
        return bytes;
    }

    /** A write of {@code data} at {@code startSector} for {@code inode}, in 4 KiB segments (or one smaller). */
    static Bio write(long startSector, byte[] data, long inode) {
        List<Segment> segments = new ArrayList<>();
        for (int at = 0, page = 0; at < data.length; at += 4096, page++) {
            int length = Math.min(4096, data.length - at);
            ByteBuffer buffer = ByteBuffer.allocate(length);
            buffer.put(data, at, length).flip();
            segments.add(Segment.ofPage(buffer, page, page));
        }
        return new Bio(BioOp.WRITE, startSector, segments, Set.of(), inode);
    }

    static Bio write(long startSector, byte[] data) {
        return write(startSector, data, 1);
    }

    /** A read of {@code length} bytes at {@code startSector} for inode 1. */
    static Bio read(long startSector, int length) {
        return new Bio(BioOp.READ, startSector, List.of(Segment.ofPage(ByteBuffer.allocate(length), 0, 0)), Set.of(), 1);
    }

    static Bio flush() {
        return Bio.flush(Set.of());
    }

    /** The bytes in the bio's segments. */
    static byte[] contents(Bio bio) {
        ByteBuffer all = ByteBuffer.allocate((int) bio.lengthBytes());
        bio.segments().forEach(segment -> all.put(segment.buffer().duplicate()));
        return all.array();
    }

    /** A rule from alternating JSON keys and values. */
    static FaultRule rule(Object... keysAndValues) {
        Map<String, Object> json = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            json.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return FaultRule.fromJson(json);
    }
}
