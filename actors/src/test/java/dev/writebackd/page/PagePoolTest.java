package dev.writebackd.page;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PagePoolTest {

    @Test
    void handsOutDistinctAlignedPagesUpToCapacity() {
        PagePool pool = new PagePool(4096, 4 * 16384, 16384);
        Set<Integer> slots = new HashSet<>();
        for (int i = 0; i < 16; i++) {
            int slot = pool.allocate();
            assertThat(slot).isNotNegative();
            assertThat(pool.buffer(slot).alignmentOffset(0, PagePool.ALIGNMENT)).isZero();
            slots.add(slot);
        }
        assertThat(slots).hasSize(16);
        assertThat(pool.allocate()).isEqualTo(-1);
        assertThat(pool.usedPages()).isEqualTo(16);
    }

    @Test
    void freedSlotsAreReused() {
        PagePool pool = new PagePool(4096, 8192, 8192);
        int a = pool.allocate();
        pool.allocate();
        pool.free(a);

        assertThat(pool.allocate()).isEqualTo(a);
    }

    @Test
    void viewsOfOneSlotShareMemoryAndDifferentSlotsDoNot() {
        PagePool pool = new PagePool(4096, 1 << 20);
        int a = pool.allocate();
        int b = pool.allocate();

        pool.buffer(a).put(0, (byte) 7);

        assertThat(pool.buffer(a).get(0)).isEqualTo((byte) 7);
        assertThat(pool.buffer(b).get(0)).isZero();
        assertThat(pool.buffer(a).limit()).isEqualTo(4096);
    }

    @Test
    void prefillTakesWholeSlabsUpToTheBytesAskedAndNeverBeyondCapacity() {
        PagePool pool = new PagePool(4096, 4 * 16 * 4096, 16 * 4096); // 4 slabs of 16 pages
        assertThat(pool.prefill(0)).isZero();
        assertThat(pool.slabCount()).isZero();
        assertThat(pool.prefill(16 * 4096 + 1)).isEqualTo(2 * 16 * 4096); // rounded up to whole slabs
        assertThat(pool.slabCount()).isEqualTo(2);
        assertThat(pool.usedPages()).isZero(); // memory held, no page handed out
        assertThat(pool.prefill(1L << 40)).isEqualTo(4 * 16 * 4096); // capped at the capacity
        for (int i = 0; i < 64; i++) {
            assertThat(pool.allocate()).isNotNegative();
        }
        assertThat(pool.allocate()).isEqualTo(-1);
    }

    @Test
    void growsTheNextSlabAheadOnTheExecutorOnceTheFreePagesRunLow() {
        PagePool pool = new PagePool(4096, 4 * 16 * 4096, 16 * 4096); // 4 slabs of 16 pages
        java.util.List<Runnable> tasks = new java.util.ArrayList<>();
        pool.growAheadOn(tasks::add);
        assertThat(tasks).isEmpty(); // nothing in use yet: no memory taken ahead

        int first = pool.allocate(); // the first slab, on demand
        for (int i = 0; i < 7; i++) {
            pool.allocate();
        }
        assertThat(tasks).isEmpty(); // 8 of 16 free: not below half yet
        pool.allocate();
        assertThat(tasks).hasSize(1); // 7 free: the next slab is asked for, once
        pool.allocate();
        assertThat(tasks).hasSize(1);

        tasks.get(0).run();
        assertThat(pool.slabCount()).isEqualTo(2);
        // The old slab's free pages still go first, then the new slab's, lowest first.
        for (int page = 10; page < 16; page++) {
            assertThat(pool.allocate()).isEqualTo(first + page);
        }
        assertThat(pool.allocate()).isEqualTo(16);
        assertThat(pool.usedPages()).isEqualTo(17);
    }

    @Test
    void aSlabGrownAheadIsDroppedWhenThePoolFilledMeanwhile() {
        PagePool pool = new PagePool(4096, 2 * 4 * 4096, 4 * 4096); // 2 slabs of 4 pages
        java.util.List<Runnable> tasks = new java.util.ArrayList<>();
        pool.growAheadOn(tasks::add);
        for (int i = 0; i < 4; i++) {
            pool.allocate();
        }
        assertThat(tasks).hasSize(1);
        pool.allocate(); // grows the second slab on demand before the task ran

        tasks.get(0).run();

        assertThat(pool.slabCount()).isEqualTo(2);
        assertThat(pool.capacityPages()).isEqualTo(8);
        for (int i = 0; i < 3; i++) {
            assertThat(pool.allocate()).isNotNegative();
        }
        assertThat(pool.allocate()).isEqualTo(-1);
    }
}
