package dev.writebackd.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writebackd.layout.BlockAllocator.Run;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BlockAllocatorTest {

    @Test
    @DisplayName("block 0 (device header) and the layout's reserved blocks are never handed out")
    void reservedBlocksAreNeverAllocated() {
        BlockAllocator a = new BlockAllocator(100);
        assertThat(a.isFree(0)).isFalse();
        assertThat(a.freeBlocks()).isEqualTo(99);
        assertThat(a.allocate(0, 10)).isEqualTo(new Run(1, 10));

        BlockAllocator withLayoutArea = new BlockAllocator(100, 8);
        assertThat(withLayoutArea.allocate(3, 4)).isEqualTo(new Run(8, 4));
        assertThat(withLayoutArea.freeBlocks()).isEqualTo(88);
    }

    @Test
    @DisplayName("allocation is next-fit from the goal and continues after the previous one without a goal")
    void nextFitFromGoal() {
        BlockAllocator a = new BlockAllocator(1000);
        assertThat(a.allocate(500, 10)).isEqualTo(new Run(500, 10));
        assertThat(a.allocate(500, 5)).isEqualTo(new Run(510, 5));
        assertThat(a.allocate(-1, 5)).isEqualTo(new Run(515, 5));
        assertThat(a.isAllocated(512)).isTrue();
        assertThat(a.freeBlocks()).isEqualTo(999 - 20);
    }

    @Test
    @DisplayName("a run that holds the whole request beats a shorter one at the goal; else the longest run")
    void wholeRunPreferredThenLongest() {
        BlockAllocator a = new BlockAllocator(100);
        a.allocate(1, 99);
        a.release(10, 5);
        a.release(40, 20);
        a.release(80, 3);

        assertThat(a.allocate(10, 8)).isEqualTo(new Run(40, 8));
        assertThat(a.allocate(10, 30)).as("partial: the longest run").isEqualTo(new Run(48, 12));
        assertThat(a.allocate(10, 30)).isEqualTo(new Run(10, 5));
        assertThat(a.allocate(10, 30)).isEqualTo(new Run(80, 3));
        assertThat(a.allocate(10, 1)).isNull();
    }

    @Test
    @DisplayName("a goal near the end wraps around to the start of the device")
    void wrapsAround() {
        BlockAllocator a = new BlockAllocator(64);
        a.allocate(60, 4);
        assertThat(a.allocate(62, 4)).isEqualTo(new Run(1, 4));
    }

    @Test
    @DisplayName("U3 freed blocks are pending and reused only after commitFrees")
    void freedBlocksWaitForCommit() {
        BlockAllocator a = new BlockAllocator(17);
        assertThat(a.allocate(-1, 16)).isEqualTo(new Run(1, 16));
        a.free(5, 3);

        assertThat(a.isPendingFree(6)).isTrue();
        assertThat(a.isAllocated(6)).isFalse();
        assertThat(a.isFree(6)).isFalse();
        assertThat(a.freeBlocks()).isZero();
        assertThat(a.pendingFreeBlocks()).isEqualTo(3);
        assertThat(a.allocate(5, 3)).isNull();

        assertThat(a.commitFrees()).isEqualTo(3);
        assertThat(a.freeBlocks()).isEqualTo(3);
        assertThat(a.allocate(1, 3)).isEqualTo(new Run(5, 3));
    }

    @Test
    @DisplayName("U3 committing the free of one run releases only that run; other frees stay pending")
    void committingOneRunLeavesOtherFreesPending() {
        BlockAllocator a = new BlockAllocator(17);
        a.allocate(-1, 16);
        a.free(2, 3);
        a.free(10, 2);

        a.commitFrees(10, 2);

        assertThat(a.isFree(10)).isTrue();
        assertThat(a.isFree(11)).isTrue();
        assertThat(a.isPendingFree(3)).isTrue();
        assertThat(a.freeBlocks()).isEqualTo(2);
        assertThat(a.pendingFreeBlocks()).isEqualTo(3);
        assertThat(a.allocate(1, 3)).as("only the committed run is handed out").isEqualTo(new Run(10, 2));
        assertThatThrownBy(() -> a.commitFrees(4, 2)).as("block 5 is allocated, not pending")
                .isInstanceOf(IllegalStateException.class);
        assertThat(a.isPendingFree(4)).as("a refused commit changes nothing").isTrue();
        assertThat(a.commitFrees()).isEqualTo(3);
    }

    @Test
    @DisplayName("release returns never-visible blocks at once, without a commit")
    void releaseIsImmediate() {
        BlockAllocator a = new BlockAllocator(10);
        a.allocate(-1, 9);
        a.release(3, 2);
        assertThat(a.freeBlocks()).isEqualTo(2);
        assertThat(a.allocate(-1, 2)).isEqualTo(new Run(3, 2));
    }

    @Test
    @DisplayName("freeing a block that is not allocated is refused and changes nothing")
    void doubleFreeIsRefused() {
        BlockAllocator a = new BlockAllocator(100);
        a.allocate(10, 5);
        a.free(10, 2);
        assertThatThrownBy(() -> a.free(11, 2)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.free(20, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.release(0, 1)).isInstanceOf(IllegalStateException.class);
        assertThat(a.isAllocated(12)).isTrue();
        assertThat(a.pendingFreeBlocks()).isEqualTo(2);
    }

    @Test
    @DisplayName("markAllocated rebuilds the bitmap from persisted mappings")
    void markAllocated() {
        BlockAllocator a = new BlockAllocator(100);
        a.markAllocated(1, 50);
        assertThat(a.allocate(1, 10)).isEqualTo(new Run(51, 10));
        assertThatThrownBy(() -> a.markAllocated(55, 1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("a large device keeps one bit per block and scans across words")
    void largeDevice() {
        BlockAllocator a = new BlockAllocator(1 << 20);
        assertThat(a.allocate(1000, 100_000)).isEqualTo(new Run(1000, 100_000));
        a.allocate((1 << 20) - 5, 5);
        assertThat(a.allocate((1 << 20) - 10, 10)).as("5 free before the end: wrap").isEqualTo(new Run(1, 10));
        assertThat(a.allocate(2000, 10)).isEqualTo(new Run(101_000, 10));
        assertThat(a.freeBlocks()).isEqualTo((1 << 20) - 1 - 100_025);
    }
}
