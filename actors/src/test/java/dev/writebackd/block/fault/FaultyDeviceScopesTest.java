package dev.writebackd.block.fault;

import static dev.writebackd.block.fault.FaultBios.flush;
import static dev.writebackd.block.fault.FaultBios.pattern;
import static dev.writebackd.block.fault.FaultBios.read;
import static dev.writebackd.block.fault.FaultBios.rule;
import static dev.writebackd.block.fault.FaultBios.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.MemoryDevice;
import dev.writebackd.error.Errno;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Where and when a rule acts: op, sectors, file, probability, every, after, count, duration, windows; and seeds. */
class FaultyDeviceScopesTest {
    private final MemoryDevice memory = new MemoryDevice(4096, 1 << 20);
    private final AtomicLong clock = new AtomicLong(5_000);
    private final Map<String, Long> names = new ConcurrentHashMap<>();
    private final FileResolver files = name -> names.containsKey(name) ? OptionalLong.of(names.get(name))
            : OptionalLong.empty();
    private final FaultyDevice device = new FaultyDevice(memory, 1234, files, clock::get, ms -> { });

    private Errno writeAt(long sector) {
        return device.submit(write(sector, pattern(sector, 512)));
    }

    /** Which of {@code n} writes to sector 0 fail (1-based). */
    private List<Integer> failingOf(int n) {
        List<Integer> failed = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            if (writeAt(0) != null) {
                failed.add(i);
            }
        }
        return failed;
    }

    @Test
    void opLimitsTheRuleToReadsWritesOrFlushes() {
        device.add(rule("op", "flush", "action", "error"));

        assertThat(writeAt(0)).isNull();
        assertThat(device.submit(read(0, 512))).isNull();
        assertThat(device.submit(flush())).isEqualTo(Errno.EIO);
    }

    @Test
    void anyOpTakesEveryOpTheActionWorksOn() {
        device.add(rule("action", "error", "errno", "ENXIO"));

        assertThat(writeAt(0)).isEqualTo(Errno.ENXIO);
        assertThat(device.submit(read(0, 512))).isEqualTo(Errno.ENXIO);
        assertThat(device.submit(flush())).isEqualTo(Errno.ENXIO);
    }

    @Test
    void aSectorRangeMatchesBiosThatOverlapIt() {
        device.add(rule("action", "error", "sectors", List.of(10, 12)));

        assertThat(device.submit(write(2, pattern(1, 4096)))).isNull(); // sectors 2-9
        assertThat(device.submit(write(3, pattern(1, 4096)))).isEqualTo(Errno.EIO); // 3-10
        assertThat(writeAt(12)).isEqualTo(Errno.EIO);
        assertThat(writeAt(13)).isNull();
        assertThat(device.submit(flush())).isNull(); // a flush covers no sector
    }

    @Test
    void aFileScopeMatchesTheBiosOfTheFileTheNameNamesWhenTheBioArrives() {
        device.add(rule("op", "write", "action", "error", "file", "victim"));
        byte[] data = pattern(2, 512);

        assertThat(device.submit(write(0, data, 7))).isNull(); // no such file yet
        names.put("victim", 7L);
        assertThat(device.submit(write(0, data, 7))).isEqualTo(Errno.EIO);
        assertThat(device.submit(write(0, data, 8))).isNull();
        assertThat(device.submit(write(0, data, 0))).isNull(); // metadata

        names.remove("victim"); // renamed away
        names.put("victim", 8L);
        assertThat(device.submit(write(0, data, 7))).isNull();
        assertThat(device.submit(write(0, data, 8))).isEqualTo(Errno.EIO);
    }

    @Test
    void everyNthMatchIsActedOn() {
        device.add(rule("op", "write", "action", "error", "every", 3));

        assertThat(failingOf(10)).containsExactly(3, 6, 9);
    }

    @Test
    void afterTheFirstNMatchesEveryMatchIsActedOn() {
        device.add(rule("op", "write", "action", "error", "after", 4));

        assertThat(failingOf(7)).containsExactly(5, 6, 7);
    }

    @Test
    void afterAndEveryCombine() {
        device.add(rule("op", "write", "action", "error", "after", 2, "every", 2));

        assertThat(failingOf(8)).containsExactly(4, 6, 8);
    }

    @Test
    void countLimitsTheInjectionsThenTheRuleExpires() {
        long id = device.add(rule("op", "write", "action", "error", "count", 2));

        assertThat(failingOf(5)).containsExactly(1, 2);
        assertThat(device.rule(id).orElseThrow()).satisfies(s -> {
            assertThat(s.hits()).isEqualTo(2);
            assertThat(s.expired()).isTrue();
        });
    }

    @Test
    void probabilityZeroNeverActsAndOneAlwaysDoes() {
        long never = device.add(rule("op", "write", "action", "error", "probability", 0));
        assertThat(failingOf(20)).isEmpty();
        device.remove(never);
        device.add(rule("op", "write", "action", "error", "probability", 1));
        assertThat(failingOf(3)).containsExactly(1, 2, 3);
    }

    @Test
    void probabilityDrawsFromTheRulesSeedSoARunReplays() {
        List<List<Integer>> runs = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            FaultyDevice fresh = new FaultyDevice(new MemoryDevice(4096, 1 << 20), 1234);
            fresh.add(rule("op", "write", "action", "error", "probability", 0.3));
            List<Integer> failed = new ArrayList<>();
            for (int i = 1; i <= 200; i++) {
                if (fresh.submit(write(0, pattern(i, 512))) != null) {
                    failed.add(i);
                }
            }
            runs.add(failed);
        }

        assertThat(runs.get(0)).isEqualTo(runs.get(1)).hasSizeBetween(30, 90);
    }

    @Test
    void durationEndsTheRuleThatLongAfterItWasAdded() {
        long id = device.add(rule("op", "write", "action", "error", "durationMs", 1000));

        assertThat(writeAt(0)).isEqualTo(Errno.EIO);
        clock.addAndGet(999);
        assertThat(writeAt(0)).isEqualTo(Errno.EIO);
        clock.addAndGet(1);
        assertThat(writeAt(0)).isNull();
        assertThat(device.rule(id).orElseThrow().expired()).isTrue();
    }

    @Test
    void upAndDownWindowsRepeatActingOnlyWhileDown() {
        device.add(rule("op", "write", "action", "error", "upMs", 100, "downMs", 50));
        List<Long> failingAt = new ArrayList<>();

        for (long t = 0; t < 400; t += 25) {
            clock.set(5_000 + t);
            if (writeAt(0) != null) {
                failingAt.add(t);
            }
        }

        assertThat(failingAt).containsExactly(100L, 125L, 250L, 275L);
    }

    @Test
    void aRuleWithoutSeedDerivesOneFromTheRunSeedAndItsId() {
        long first = device.add(rule("action", "drop"));
        long second = device.add(rule("action", "drop", "seed", 5));
        long third = device.add(rule("action", "drop"));

        assertThat(List.of(first, second, third)).containsExactly(1L, 2L, 3L);
        assertThat(device.rules()).extracting(s -> s.rule().seed())
                .containsExactly(Seeds.derive(1234, "rule", 1), 5L, Seeds.derive(1234, "rule", 3));
        assertThat(device.runSeed()).isEqualTo(1234);
    }

    @Test
    void removeAndClearAnswerWhatTheyRemoved() {
        long id = device.add(rule("action", "drop"));
        device.add(rule("action", "drop"));

        assertThat(device.remove(99)).isFalse();
        assertThat(device.remove(id)).isTrue();
        assertThat(device.remove(id)).isFalse();
        assertThat(device.rules()).hasSize(1);
        assertThat(device.clear()).isEqualTo(1);
        assertThat(device.rules()).isEmpty();
        assertThat(device.add(rule("action", "drop"))).isEqualTo(3); // ids are never reused
        assertThat(writeAt(0)).isNull();
    }

    @Test
    void biosFromManyThreadsAtOnceAreCountedExactly() throws Exception {
        long id = device.add(rule("op", "write", "action", "error", "count", 100));
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Errno>> results = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                long sector = i;
                results.add(threads.submit(() -> device.submit(write(sector, pattern(sector, 512)))));
            }
            long failed = 0;
            for (java.util.concurrent.Future<Errno> result : results) {
                failed += result.get() != null ? 1 : 0;
            }

            assertThat(failed).isEqualTo(100);
            assertThat(device.rule(id).orElseThrow()).satisfies(s -> {
                assertThat(s.hits()).isEqualTo(100);
                assertThat(s.matches()).isEqualTo(100);
            });
            assertThat(memory.requests()).hasSize(300);
        } finally {
            threads.shutdownNow();
        }
    }
}
