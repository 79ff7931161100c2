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
}
