package dev.writebackd.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.layout.BlockAllocator.Run;
import dev.writebackd.layout.Ext2Commits.Snapshot;
import dev.writebackd.layout.MapResult.Mapped;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What ext2 commits per file: its inode as a snapshot, and its frees, reusable only once committed (U3). */
class Ext2CommitsTest {
    private static final int BLOCK = 1024;

    private final BlockAllocator allocator = new BlockAllocator(4000);
    private final Ext2Mapper mapper = new Ext2Mapper(allocator, BLOCK, new MetadataCache(BLOCK));
    private final Ext2Commits commits = new Ext2Commits(mapper);

    @BeforeEach
    void writeTwoFiles() {
        write(1, 20); // 12 direct blocks, a single-indirect map block and 8 blocks under it
        write(2, 4);
    }

    @Test
    void aTruncatesFreesStayPendingUntilTheFilesSnapshotIsCommitted() {
        List<Long> dropped = mapper.extents(1).stream()
                .flatMap(e -> java.util.stream.LongStream.range(e.logical(), e.logicalEnd())
                        .filter(l -> l >= 5).mapToObj(e::physicalOf))
                .toList();
        long mapBlock = mapper.inodePointers(1).singleIndirect();

        commits.truncate(1, 5);
        assertThat(allocator.pendingFreeBlocks()).isEqualTo(16);
        assertThat(commits.pendingFrees(1)).isEqualTo(16);
        Snapshot snapshot = commits.take(1, 5 * BLOCK);

        assertThat(snapshot.freed().stream().mapToLong(Run::count).sum()).isEqualTo(16);
        assertThat(snapshot.pointers()).isEqualTo(mapper.inodePointers(1));
        assertThat(snapshot.pointers().singleIndirect()).isZero();
        assertThat(snapshot.size()).isEqualTo(5 * BLOCK);
        assertThat(allocator.isPendingFree(mapBlock)).isTrue();
        assertThat(dropped).allSatisfy(block -> assertThat(allocator.isPendingFree(block)).isTrue());

        commits.committed(snapshot);

        assertThat(allocator.pendingFreeBlocks()).isZero();
        assertThat(allocator.isFree(mapBlock)).isTrue();
        assertThat(dropped).allSatisfy(block -> assertThat(allocator.isFree(block)).isTrue());
        assertThat(commits.take(1, 5 * BLOCK).freed()).isEmpty();
    }

    @Test
    void aFailedSnapshotsFreesGoWithTheNextOneAndStayPending() {
        commits.truncate(1, 15);
        Snapshot failed = commits.take(1, 15 * BLOCK);
        commits.truncate(1, 10);

        commits.failed(failed);
        Snapshot next = commits.take(1, 10 * BLOCK);

        assertThat(allocator.pendingFreeBlocks()).isEqualTo(11);
        assertThat(next.freed()).startsWith(failed.freed().toArray(Run[]::new));
        assertThat(next.freed().stream().mapToLong(Run::count).sum()).isEqualTo(11);
        commits.committed(next);
        assertThat(allocator.pendingFreeBlocks()).isZero();
    }

    @Test
    void committingOneFileLeavesAnothersFreesPending() {
        commits.truncate(1, 0);
        commits.truncate(2, 1);

        commits.committed(commits.take(2, BLOCK));

        assertThat(allocator.pendingFreeBlocks()).isEqualTo(21);
        assertThat(commits.pendingFrees(1)).isEqualTo(21);
    }

    @Test
    void anUnlinkedFilesSnapshotIsADeletionWithEveryBlockFreed() {
        commits.deleteFile(2);

        Snapshot snapshot = commits.take(2, 4 * BLOCK);

        assertThat(snapshot.deleted()).isTrue();
        assertThat(snapshot.size()).isZero();
        assertThat(snapshot.freed().stream().mapToLong(Run::count).sum()).isEqualTo(4);
        assertThatThrownBy(() -> commits.map(2, 0, 1, true)).isInstanceOf(IllegalStateException.class);
        commits.committed(snapshot);
        assertThat(allocator.pendingFreeBlocks()).isZero();
    }

    private void write(long inode, long blocks) {
        for (long b = 0; b < blocks; ) {
            Mapped m = (Mapped) commits.map(inode, b, (int) (blocks - b), true);
            b += m.count();
        }
    }
}
