package dev.writebackd.block.fault;

import static dev.writebackd.block.fault.FaultBios.SECTOR;
import static dev.writebackd.block.fault.FaultBios.contents;
import static dev.writebackd.block.fault.FaultBios.flush;
import static dev.writebackd.block.fault.FaultBios.pattern;
import static dev.writebackd.block.fault.FaultBios.read;
import static dev.writebackd.block.fault.FaultBios.rule;
import static dev.writebackd.block.fault.FaultBios.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.MemoryDevice.Request;
import dev.writebackd.error.Errno;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Each action of a fault rule on a memory device. */
class FaultyDeviceActionsTest {
    private final MemoryDevice memory = new MemoryDevice(4096, 1 << 20);
    private final AtomicLong clock = new AtomicLong(1_000);
    private final List<Long> sleeps = new ArrayList<>();
    private final FaultyDevice device = new FaultyDevice(memory, 99, FileResolver.NONE, clock::get, sleeps::add);

    @Test
    void withoutRulesEveryBioIsForwarded() {
        byte[] data = pattern(1, 8192);

        assertThat(device.submit(write(16, data))).isNull();
        Bio read = read(16, 8192);
        assertThat(device.submit(read)).isNull();
        assertThat(device.submit(flush())).isNull();

        assertThat(contents(read)).isEqualTo(data);
        assertThat(memory.requests()).extracting(Request::op).containsExactly(BioOp.WRITE, BioOp.READ, BioOp.FLUSH);
        assertThat(device.blockSize()).isEqualTo(4096);
        assertThat(device.sizeBytes()).isEqualTo(1 << 20);
    }

    @ParameterizedTest
    @EnumSource(names = {"EIO", "ENOSPC", "EROFS", "EDQUOT", "ENXIO", "ETIMEDOUT"})
    void errorFailsTheBioWithTheErrnoAndNothingIsWritten(Errno errno) {
        device.add(rule("op", "write", "action", "error", "errno", errno.name()));

        assertThat(device.submit(write(8, pattern(2, 4096)))).isEqualTo(errno);

        assertThat(memory.requests()).isEmpty();
        assertThat(memory.readBytes(8 * SECTOR, 4096)).containsOnly(0);
        assertThat(device.submit(read(8, 4096))).isNull(); // reads are not the rule's
        assertThat(device.rules()).singleElement().satisfies(s -> assertThat(s.hits()).isEqualTo(1));
    }

    @Test
    void dropAcknowledgesWritesAndFlushesThatNeverReachTheDevice() {
        device.add(rule("action", "drop"));

        assertThat(device.submit(write(0, pattern(3, 4096)))).isNull();
        assertThat(device.submit(flush())).isNull();
        Bio read = read(0, 4096);
        assertThat(device.submit(read)).isNull(); // drop does not affect reads

        assertThat(memory.requests()).extracting(Request::op).containsExactly(BioOp.READ);
        assertThat(contents(read)).containsOnly(0);
        assertThat(device.rules().get(0).hits()).isEqualTo(2);
    }

    @Test
    void corruptAtAChosenOffsetChangesOnlyTheDevicesCopy() {
        device.add(rule("op", "write", "action", "corrupt", "corruptOffset", 5000, "corruptValue", 0));
        byte[] data = pattern(4, 8192);
        Bio write = write(8, data);

        assertThat(device.submit(write)).isNull();

        assertThat(contents(write)).isEqualTo(data); // the caller's (page cache's) buffers are untouched
        byte[] expected = data.clone();
        expected[5000] = 0;
        assertThat(memory.readBytes(8 * SECTOR, 8192)).isEqualTo(expected);
    }

    @Test
    void corruptWithoutOffsetOrValueFlipsOneSeededByte() {
        byte[] data = pattern(5, 8192);
        byte[] first = corruptedOnce(data, 77);
        byte[] again = corruptedOnce(data, 77);
        byte[] other = corruptedOnce(data, 78);

        assertThat(differingBytes(first, data)).hasSize(1);
        assertThat(again).isEqualTo(first);
        assertThat(differingBytes(other, data)).hasSize(1);
        assertThat(other).isNotEqualTo(first);
    }

    private static byte[] corruptedOnce(byte[] data, long seed) {
        MemoryDevice memory = new MemoryDevice(4096, 1 << 20);
        FaultyDevice device = new FaultyDevice(memory, 1);
        device.add(rule("action", "corrupt", "seed", seed));
        Bio write = write(0, data);
        assertThat(device.submit(write)).isNull();
        assertThat(contents(write)).isEqualTo(data);
        return memory.readBytes(0, data.length);
    }

    private static List<Integer> differingBytes(byte[] a, byte[] b) {
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                at.add(i);
            }
        }
        return at;
    }

    @Test
    void corruptOnReadsAltersTheBytesReadNotTheDevice() {
        byte[] data = pattern(6, 4096);
        memory.writeBytes(0, data);
        device.add(rule("op", "read", "action", "corrupt", "corruptOffset", 10, "corruptValue", 7));

        Bio read = read(0, 4096);
        assertThat(device.submit(read)).isNull();

        byte[] expected = data.clone();
        expected[10] = 7;
        assertThat(contents(read)).isEqualTo(expected);
        assertThat(memory.readBytes(0, 4096)).isEqualTo(data);
    }

    @Test
    void corruptAtAnOffsetBeyondTheBioLeavesItAlone() {
        device.add(rule("action", "corrupt", "corruptOffset", 4096, "corruptValue", 0));
        byte[] data = pattern(7, 4096);

        assertThat(device.submit(write(0, data))).isNull();

        assertThat(memory.readBytes(0, 4096)).isEqualTo(data);
        assertThat(device.rules().get(0).hits()).isZero();
    }

    @Test
    void delayWaitsAFixedTimeOrAUniformSeededOneWithinTheBounds() {
        device.add(rule("op", "flush", "action", "delay", "delayMs", 25));
        device.add(rule("op", "read", "action", "delay", "delayMs", 10, "delayMaxMs", 20, "seed", 5));

        device.submit(flush());
        for (int i = 0; i < 50; i++) {
            device.submit(read(0, 512));
        }

        assertThat(sleeps.get(0)).isEqualTo(25);
        List<Long> uniform = sleeps.subList(1, sleeps.size());
        assertThat(uniform).hasSize(50).allSatisfy(ms -> assertThat(ms).isBetween(10L, 20L));
        assertThat(uniform.stream().distinct().count()).isGreaterThan(3);
        assertThat(memory.requests()).hasSize(51); // delayed bios still happen

        List<Long> replayed = new ArrayList<>();
        FaultyDevice again = new FaultyDevice(new MemoryDevice(4096, 1 << 20), 1, FileResolver.NONE, clock::get,
                replayed::add);
        again.add(rule("op", "read", "action", "delay", "delayMs", 10, "delayMaxMs", 20, "seed", 5));
        for (int i = 0; i < 50; i++) {
            again.submit(read(0, 512));
        }
        assertThat(replayed).isEqualTo(uniform);
    }

    @Test
    void stallHoldsBiosUntilReleasedThenTheyGoOn() throws Exception {
        long id = device.add(rule("op", "write", "action", "stall"));
        byte[] data = pattern(8, 4096);

        CompletableFuture<Errno> held = CompletableFuture.supplyAsync(() -> device.submit(write(0, data)));
        await().atMost(Duration.ofSeconds(10)).until(() -> device.rule(id).orElseThrow().stalled() == 1);

        assertThat(held).isNotDone();
        assertThat(memory.requests()).isEmpty();
        assertThat(device.submit(read(0, 512))).isNull(); // other bios are not held

        assertThat(device.release()).isEqualTo(1);
        assertThat(held.get(10, TimeUnit.SECONDS)).isNull();
        assertThat(memory.readBytes(0, 4096)).isEqualTo(data);
        assertThat(device.release()).isZero();
    }

    @Test
    void removingOrClearingAStallRuleLetsItsBiosGo() throws Exception {
        long id = device.add(rule("op", "flush", "action", "stall"));
        CompletableFuture<Errno> first = CompletableFuture.supplyAsync(() -> device.submit(flush()));
        await().atMost(Duration.ofSeconds(10)).until(() -> device.rule(id).orElseThrow().stalled() == 1);
        assertThat(device.remove(id)).isTrue();
        assertThat(first.get(10, TimeUnit.SECONDS)).isNull();

        long other = device.add(rule("op", "flush", "action", "stall"));
        CompletableFuture<Errno> second = CompletableFuture.supplyAsync(() -> device.submit(flush()));
        await().atMost(Duration.ofSeconds(10)).until(() -> device.rule(other).orElseThrow().stalled() == 1);
        assertThat(device.clear()).isEqualTo(1);
        assertThat(second.get(10, TimeUnit.SECONDS)).isNull();
        assertThat(memory.requests()).extracting(Request::op).containsExactly(BioOp.FLUSH, BioOp.FLUSH);
    }

    @Test
    void tornWritesASeededPrefixOfSectorsThenFails() {
        device.add(rule("op", "write", "action", "torn", "errno", "EIO", "seed", 11));
        byte[] data = pattern(9, 8192); // 16 sectors

        assertThat(device.submit(write(0, data))).isEqualTo(Errno.EIO);

        List<Request> requests = memory.requests();
        long kept = requests.isEmpty() ? 0 : requests.get(0).sectorCount();
        assertThat(kept).isBetween(0L, 15L);
        byte[] onDevice = memory.readBytes(0, 8192);
        int keptBytes = (int) kept * SECTOR;
        assertThat(Arrays.copyOf(onDevice, keptBytes)).isEqualTo(Arrays.copyOf(data, keptBytes));
        assertThat(Arrays.copyOfRange(onDevice, keptBytes, 8192)).containsOnly(0);
    }

    @Test
    void tornWithSuccessReportsSuccessAndTheSameSeedTearsTheSameWay() {
        List<Long> prefixes = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            MemoryDevice below = new MemoryDevice(4096, 1 << 20);
            FaultyDevice torn = new FaultyDevice(below, 3);
            torn.add(rule("action", "torn", "tornOutcome", "success"));
            for (int i = 0; i < 20; i++) {
                assertThat(torn.submit(write(0, pattern(i, 8192)))).isNull();
            }
            below.requests().forEach(r -> prefixes.add(r.sectorCount()));
        }
        assertThat(prefixes.subList(0, prefixes.size() / 2)).isEqualTo(prefixes.subList(prefixes.size() / 2, prefixes.size()))
                .allSatisfy(n -> assertThat(n).isBetween(1L, 15L));
    }

    @Test
    void badblockFailsReadsOfItsSectorsUntilTheyAreRewritten() {
        long id = device.add(rule("action", "badblock", "badSectors", List.of(5, 40)));

        assertThat(device.submit(read(0, 4096))).isEqualTo(Errno.EIO); // sectors 0-7 hold 5
        assertThat(device.submit(read(8, 4096))).isNull();
        assertThat(device.submit(read(40, 512))).isEqualTo(Errno.EIO);

        assertThat(device.submit(write(0, pattern(10, 4096)))).isNull(); // rewrites sector 5
        assertThat(device.submit(read(0, 4096))).isNull();
        assertThat(device.submit(read(40, 512))).isEqualTo(Errno.EIO);
        assertThat(device.rule(id).orElseThrow().expired()).isFalse();

        assertThat(device.submit(write(40, pattern(11, 512)))).isNull();
        assertThat(device.submit(read(40, 512))).isNull();
        assertThat(device.rule(id).orElseThrow()).satisfies(s -> {
            assertThat(s.hits()).isEqualTo(3);
            assertThat(s.expired()).isTrue();
        });
    }

    @Test
    void aFailedOrDroppedWriteDoesNotRepairABadSector() {
        device.add(rule("action", "badblock", "badSectors", List.of(0)));
        long failing = device.add(rule("op", "write", "action", "error", "count", 1));

        assertThat(device.submit(write(0, pattern(12, 512)))).isEqualTo(Errno.EIO);
        assertThat(device.submit(read(0, 512))).isEqualTo(Errno.EIO);
        device.remove(failing);
        assertThat(device.submit(write(0, pattern(12, 512)))).isNull();
        assertThat(device.submit(read(0, 512))).isNull();
    }

    @Test
    void aDelayAndThenAnErrorBothActOnTheSameBio() {
        device.add(rule("action", "delay", "delayMs", 3));
        device.add(rule("op", "write", "action", "error", "errno", "ENOSPC"));

        assertThat(device.submit(write(0, pattern(13, 512)))).isEqualTo(Errno.ENOSPC);

        assertThat(sleeps).containsExactly(3L);
        assertThat(device.rules()).extracting(RuleStatus::hits).containsExactly(1L, 1L);
    }

    @Test
    void theFirstDecidingRuleWinsAndLaterRulesDoNotSeeTheBio() {
        device.add(rule("op", "write", "action", "error", "errno", "EROFS"));
        device.add(rule("op", "write", "action", "error", "errno", "ENOSPC"));

        assertThat(device.submit(write(0, pattern(14, 512)))).isEqualTo(Errno.EROFS);
        assertThat(device.rules()).extracting(RuleStatus::matches).containsExactly(1L, 0L);
    }
}
