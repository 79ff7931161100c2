package dev.writebackd.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.layout.MapResult.Mapped;
import dev.writebackd.layout.MappingJournal.Batch;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class MappingJournalTest {
    private static final int BLOCK = 4096;

    private final ExtentMapper mapper = new ExtentMapper(new BlockAllocator(33), BLOCK);
    private final BlockAllocator allocator = mapper.allocator();
    private final MappingJournal journal = new MappingJournal(mapper);

    @Test
    @DisplayName("ordered mode: a new mapping is committable only once its data is durable")
    void aMappingWhoseDataIsNotDurableIsNeverInABatch() {
        Extent first = write(1, 0, 4);
        Extent second = write(1, 4, 4);
        journal.sizeChanged(1, 8L * BLOCK);

        journal.dataDurable(1, List.of(first));
        Batch batch = journal.drain(1).orElseThrow();

        assertThat(batch).isEqualTo(new Batch(1, 8L * BLOCK, List.of(first), List.of(), false));
        journal.committed(batch);
        assertThat(journal.drain(1)).as("the second run still awaits its data").isEmpty();

        journal.dataDurable(1, List.of(second));
        assertThat(journal.drain(1).orElseThrow().mapped()).containsExactly(second);
    }

    @Test
    @DisplayName("a durability report for only part of a run commits only that part")
    void partOfARunBecomesCommittable() {
        Extent run = write(1, 0, 8);
        journal.sizeChanged(1, 8L * BLOCK);

        journal.dataDurable(1, List.of(new Extent(2, run.physical() + 2, 3)));

        assertThat(journal.drain(1).orElseThrow().mapped()).containsExactly(new Extent(2, run.physical() + 2, 3));
    }

    @Test
    @DisplayName("U3 blocks freed by truncate are not reusable before the batch freeing them is committed")
    void freesAreNotReusableBeforeTheirCommit() {
        Extent run = commitNewRun(1, 0, 8);
        fillDevice(2);

        assertThat(journal.truncate(1, 2)).isEqualTo(6);
        journal.sizeChanged(1, 2L * BLOCK);
        Extent freed = new Extent(2, run.physical() + 2, 6);

        assertThat(allocator.pendingFreeBlocks()).isEqualTo(6);
        assertThat(journal.map(3, 0, 1, true)).as("nothing reusable yet").isInstanceOf(MapResult.Failed.class);
        Batch batch = journal.drain(1).orElseThrow();
        assertThat(batch).isEqualTo(new Batch(1, 2L * BLOCK, List.of(), List.of(freed), false));
        assertThat(allocator.isPendingFree(freed.physical())).as("drained, not yet committed").isTrue();

        journal.committed(batch);

        assertThat(allocator.pendingFreeBlocks()).isZero();
        assertThat(allocator.isFree(freed.physical())).isTrue();
        assertThat(((Mapped) journal.map(3, 0, 6, true)).physicalBlock()).isEqualTo(freed.physical());
        assertThat(journal.checkConsistency()).isEmpty();
    }

    @Test
    @DisplayName("one file's committed frees release only its own blocks, not another file's pending frees")
    void committedFreesAreReleasedPerBatch() {
        Extent a = commitNewRun(1, 0, 4);
        Extent b = commitNewRun(2, 0, 4);
        journal.deleteFile(1);
        journal.truncate(2, 0);
        journal.sizeChanged(2, 0);

        journal.committed(journal.drain(1).orElseThrow());

        assertThat(allocator.isFree(a.physical())).isTrue();
        assertThat(allocator.isPendingFree(b.physical())).as("inode 2's free is not committed").isTrue();
    }

    @Test
    @DisplayName("a truncated mapping that was never committed is reusable at once and never journaled")
    void uncommittedMappingsFreedByTruncateNeverReachTheJournal() {
        Extent awaiting = write(1, 0, 4);
        Extent durable = write(1, 4, 4);
        journal.dataDurable(1, List.of(durable));
        journal.sizeChanged(1, 0);

        journal.truncate(1, 0);

        assertThat(allocator.isFree(awaiting.physical())).isTrue();
        assertThat(allocator.isFree(durable.physical())).isTrue();
        assertThat(allocator.pendingFreeBlocks()).isZero();
        Batch batch = journal.drain(1).orElseThrow();
        assertThat(batch).isEqualTo(new Batch(1, 0, List.of(), List.of(), false));
        journal.committed(batch);
        journal.dataDurable(1, List.of(awaiting));
        assertThat(journal.drain(1)).as("a late report of a truncated run is ignored").isEmpty();
    }

    @Test
    @DisplayName("a durability report for blocks remapped since the write is ignored")
    void staleDurabilityReportsAreIgnored() {
        Extent old = write(1, 0, 2);
        journal.truncate(1, 0);
        journal.map(9, 0, 2, true);
        Extent current = write(1, 0, 2);
        journal.sizeChanged(1, 2L * BLOCK);
        assertThat(current.physical()).isNotEqualTo(old.physical());

        journal.dataDurable(1, List.of(old));
        Batch sizeOnly = journal.drain(1).orElseThrow();
        assertThat(sizeOnly.mapped()).isEmpty();
        journal.committed(sizeOnly);

        journal.dataDurable(1, List.of(current));
        assertThat(journal.drain(1).orElseThrow().mapped()).containsExactly(current);
    }

    @Test
    @DisplayName("reservations never reach the journal; only the blocks mapped out of them do")
    void reservationsAreNotJournaled() {
        assertThat(journal.reserve(1, 0, 8)).isNull();
        Extent mapped = write(1, 0, 3);
        journal.dataDurable(1, List.of(mapped));
        journal.sizeChanged(1, 3L * BLOCK);

        assertThat(journal.drain(1).orElseThrow().mapped()).containsExactly(mapped);
        assertThat(mapper.reservations(1)).hasSize(1);
    }

    @Test
    @DisplayName("a truncate of blocks in an outstanding batch frees them in the next batch, after it")
    void truncatingAnOutstandingMappingJournalsItsFree() {
        Extent run = write(1, 0, 4);
        journal.dataDurable(1, List.of(run));
        journal.sizeChanged(1, 4L * BLOCK);
        Batch first = journal.drain(1).orElseThrow();

        journal.truncate(1, 1);
        journal.sizeChanged(1, BLOCK);
        assertThat(allocator.isPendingFree(run.physical() + 1)).isTrue();
        journal.committed(first);
        assertThat(allocator.isPendingFree(run.physical() + 1)).as("the free is not committed yet").isTrue();

        Batch second = journal.drain(1).orElseThrow();
        assertThat(second.freed()).containsExactly(new Extent(1, run.physical() + 1, 3));
        journal.committed(second);
        assertThat(allocator.isFree(run.physical() + 1)).isTrue();
    }

    @Test
    @DisplayName("a batch the record does not hold goes back in front of later changes")
    void aFailedBatchIsPutBack() {
        Extent old = commitNewRun(1, 0, 2);
        journal.truncate(1, 0);
        Extent run = write(1, 0, 6);
        journal.dataDurable(1, List.of(run));
        journal.sizeChanged(1, 6L * BLOCK);
        Batch failed = journal.drain(1).orElseThrow();
        assertThat(failed.freed()).containsExactly(old);
        assertThat(failed.mapped()).containsExactly(run);
        journal.truncate(1, 4);
        journal.sizeChanged(1, 4L * BLOCK);
        Extent later = write(1, 8, 1);
        journal.dataDurable(1, List.of(later));

        journal.failed(failed);

        assertThat(allocator.isFree(run.physical() + 4))
                .as("blocks the failed batch mapped and a truncate freed since were never committed").isTrue();
        Batch retry = journal.drain(1).orElseThrow();
        assertThat(retry).isEqualTo(new Batch(1, 4L * BLOCK,
                List.of(new Extent(0, run.physical(), 4), later), List.of(old), false));
        journal.committed(retry);
        assertThat(allocator.isFree(old.physical())).isTrue();
        assertThat(journal.checkConsistency()).isEmpty();
    }

    @Test
    @DisplayName("unlink: the next batch deletes the file and frees what the record maps; then it is forgotten")
    void deleteFileJournalsADelete() {
        Extent committed = commitNewRun(1, 0, 3);
        Extent awaiting = write(1, 3, 2);

        assertThat(journal.deleteFile(1)).isEqualTo(5);

        assertThat(allocator.isFree(awaiting.physical())).isTrue();
        assertThatThrownBy(() -> journal.map(1, 0, 1, true)).isInstanceOf(IllegalStateException.class);
        Batch batch = journal.drain(1).orElseThrow();
        assertThat(batch).isEqualTo(new Batch(1, 0, List.of(), List.of(committed), true));
        journal.committed(batch);
        assertThat(allocator.isFree(committed.physical())).isTrue();
        assertThat(journal.drain(1)).isEmpty();
    }

    @Test
    @DisplayName("a restored file commits nothing until it changes, then with its restored size")
    void restoredFilesKeepTheirSize() {
        mapper.restore(1, List.of(new Extent(0, 10, 4)));
        journal.restored(1, 4L * BLOCK - 100);
        assertThat(journal.drain(1)).isEmpty();

        journal.dataDurable(1, List.of(write(1, 4, 1)));

        assertThat(journal.drain(1).orElseThrow().size()).isEqualTo(4L * BLOCK - 100);
    }

    @Test
    @DisplayName("one outstanding batch per file; a size must be known; only the outstanding batch can end")
    void misuseIsRefused() {
        journal.dataDurable(1, List.of(write(1, 0, 1)));
        assertThatThrownBy(() -> journal.drain(1)).hasMessageContaining("size of inode 1 is unknown");

        journal.sizeChanged(1, 1);
        Batch batch = journal.drain(1).orElseThrow();
        assertThatThrownBy(() -> journal.drain(1)).hasMessageContaining("outstanding");
        Batch other = new Batch(1, 1, List.of(), List.of(), false);
        assertThatThrownBy(() -> journal.committed(other)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> journal.failed(other)).isInstanceOf(IllegalStateException.class);
        journal.committed(batch);
        assertThatThrownBy(() -> journal.committed(batch)).isInstanceOf(IllegalStateException.class);
    }

    /** Maps {@code count} new blocks of {@code inode} at {@code logical} in one run. */
    private Extent write(long inode, long logical, int count) {
        Mapped mapped = (Mapped) journal.map(inode, logical, count, true);
        assertThat(mapped.isNew()).isTrue();
        assertThat(mapped.count()).isEqualTo(count);
        return new Extent(logical, mapped.physicalBlock(), count);
    }

    /** A new run of {@code inode} whose data is durable and whose mapping is committed. */
    private Extent commitNewRun(long inode, long logical, int count) {
        Extent run = write(inode, logical, count);
        journal.dataDurable(inode, List.of(run));
        journal.sizeChanged(inode, (logical + count) * BLOCK);
        journal.committed(journal.drain(inode).orElseThrow());
        return run;
    }

    /** Maps every free block to {@code inode}, so that only committed frees can be handed out. */
    private void fillDevice(long inode) {
        long logical = 1_000;
        while (journal.map(inode, logical, 64, true) instanceof Mapped mapped) {
            logical += mapped.count();
        }
        assertThat(allocator.freeBlocks()).isZero();
    }
}
