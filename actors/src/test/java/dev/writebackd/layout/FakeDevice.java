package dev.writebackd.layout;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A map-backed device for the layout tests: keeps written sectors, records every bio. */
final class FakeDevice implements BlockDevice {
    private final int blockSize;
    private final long blocks;
    private final Map<Long, byte[]> sectors = new HashMap<>();
    private final List<Bio> submitted = new ArrayList<>();
    private Errno failWith;

    FakeDevice(int blockSize, long blocks) {
        this.blockSize = blockSize;
        this.blocks = blocks;
    }

    /** The next bios fail with {@code errno} (null: succeed again). */
    void failWith(Errno errno) {
        this.failWith = errno;
    }

    List<Bio> submitted() {
        return submitted;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public long sizeBytes() {
        return blocks * blockSize;
    }

    @Override
    public Errno submit(Bio bio) {
        submitted.add(bio);
        if (failWith != null) {
            return failWith;
        }
        long sector = bio.startSector();
        for (Segment segment : bio.segments()) {
            ByteBuffer buf = segment.buffer().duplicate();
            for (int off = 0; off < segment.length(); off += SECTOR_SIZE, sector++) {
                if (bio.op() == BioOp.WRITE) {
                    byte[] data = new byte[SECTOR_SIZE];
                    buf.get(off, data);
                    sectors.put(sector, data);
                } else if (bio.op() == BioOp.READ) {
                    buf.put(off, sectors.getOrDefault(sector, new byte[SECTOR_SIZE]));
                }
            }
        }
        return null;
    }

    @Override
    public void close() {}
}
