package dev.writebackd.daemon.crashcheck;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class WorkloadTest {

    private static List<Op> ops(long seed, int count) {
        Workload workload = new Workload(seed, 1);
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ops.add(workload.next());
        }
        return ops;
    }

    @Test
    void theSameSeedGivesTheSameOperations() {
        assertThat(ops(5, 300)).isEqualTo(ops(5, 300)).isNotEqualTo(ops(6, 300));
    }

    @Test
    void everyOperationIsValidAndEveryKindOccurs() {
        Map<String, Long> sizes = new TreeMap<>();
        Set<Class<?>> kinds = new HashSet<>();
        long lastWrite = 0;
        for (Op op : ops(11, 3000)) {
            kinds.add(op.getClass());
            if (op instanceof Op.Create c) {
                assertThat(sizes.put(c.name(), 0L)).isNull();
            } else if (op instanceof Op.Write w) {
                assertThat(sizes).containsKey(w.name());
                assertThat(w.offset() + w.length()).isLessThanOrEqualTo(Workload.MAX_FILE_BYTES);
                assertThat(w.writeId()).isEqualTo(lastWrite + 1);
                lastWrite = w.writeId();
                sizes.merge(w.name(), w.offset() + w.length(), Math::max);
            } else if (op instanceof Op.Truncate t) {
                assertThat(sizes).containsKey(t.name());
                assertThat(t.size()).isLessThanOrEqualTo(Workload.MAX_FILE_BYTES);
                sizes.put(t.name(), t.size());
            } else if (op instanceof Op.Rename r) {
                assertThat(sizes).containsKey(r.from());
                assertThat(r.to()).isNotEqualTo(r.from());
                sizes.put(r.to(), sizes.remove(r.from()));
            } else if (op instanceof Op.Unlink u) {
                assertThat(sizes.remove(u.name())).isNotNull();
            } else if (op instanceof Op.Fsync f) {
                assertThat(sizes).containsKey(f.name());
            }
            assertThat(sizes.size()).isLessThanOrEqualTo(Workload.MAX_FILES);
        }
        assertThat(kinds).hasSize(7);
    }

    @Test
    void aResyncReplacesTheView() {
        Workload workload = new Workload(3, 1);
        workload.resync(Map.of("f7", 100L));
        assertThat(workload.files()).containsExactly(Map.entry("f7", 100L));
        Op op = workload.next();
        if (!(op instanceof Op.Create) && !(op instanceof Op.Sync)) {
            assertThat(op.toString()).contains("f7");
        }
    }
}
