package dev.writebackd.mpage;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioFlag;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.Segment;
import dev.writebackd.layout.MetadataBuffers;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** A metadata buffer cache that records what the data path asks of it. */
final class TestMetadata implements MetadataBuffers {
    private final int blockSize;
    final Set<Long> dirty = new HashSet<>();
    final Set<Long> inFlight = new HashSet<>();
    final Set<Long> cached = new HashSet<>();
    final List<Long> aliasesCleaned = new ArrayList<>();
    final List<Long> writesIssued = new ArrayList<>();
    final List<String> completions = new ArrayList<>();

    TestMetadata(int blockSize) {
        this.blockSize = blockSize;
    }

    @Override
    public boolean cleanAlias(long block) {
        aliasesCleaned.add(block);
        cached.remove(block);
        dirty.remove(block);
        return inFlight.contains(block);
    }

    @Override
    public Bio writeIfDirty(long block) {
        if (!dirty.remove(block)) {
            return null;
        }
        inFlight.add(block);
        writesIssued.add(block);
        Segment s = Segment.ofMetadata(ByteBuffer.allocate(blockSize), block);
        return new Bio(BioOp.WRITE, block * (blockSize / 512), List.of(s), Set.of(BioFlag.META), 0);
    }

    @Override
    public void writeCompleted(long block, boolean ok) {
        inFlight.remove(block);
        completions.add(block + (ok ? " ok" : " failed"));
    }
}
