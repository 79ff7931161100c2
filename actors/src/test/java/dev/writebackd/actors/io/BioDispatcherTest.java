package dev.writebackd.actors.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.writebackd.actors.io.BioDispatcher.Command;
import dev.writebackd.actors.io.BioDispatcher.Completed;
import dev.writebackd.actors.io.BioDispatcher.Drain;
import dev.writebackd.actors.io.BioDispatcher.GetStats;
import dev.writebackd.actors.io.BioDispatcher.SetQueueDepth;
import dev.writebackd.actors.io.BioDispatcher.Stats;
import dev.writebackd.actors.io.BioDispatcher.Stop;
import dev.writebackd.actors.io.BioDispatcher.Submit;
import dev.writebackd.block.Bio;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.BlockDevice;
import dev.writebackd.block.DeviceRequest;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.MemoryDevice.Request;
import dev.writebackd.block.RequestQueue;
import dev.writebackd.block.Segment;
import dev.writebackd.error.Errno;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class BioDispatcherTest {
    private static final int PAGE = 4096;
    private static final int PAGE_SECTORS = PAGE / BlockDevice.SECTOR_SIZE;
    private static final long DEVICE_BYTES = 64L << 20;

    private static final ActorTestKit testKit = ActorTestKit.create(BioDispatcher.config());

    @AfterAll
    static void shutDown() {
        testKit.shutdownTestKit();
    }

    @Test
    void chunkOfAdjacentBiosReachesTheDeviceAsOneRequest() {
        MemoryDevice memory = new MemoryDevice(PAGE, DEVICE_BYTES);
        ActorRef<Command> bios = testKit.spawn(BioDispatcher.create(memory, 4));
        TestProbe<Completed> probe = testKit.createTestProbe();
        List<Bio> chunk = new ArrayList<>();
        for (int page = 0; page < 8; page++) {
            chunk.add(write(page, 1));
        }
        Bio lone = write(100, 1);
        chunk.add(lone);

        bios.tell(new Submit(chunk, probe.ref()));
        List<Completed> batches = receiveBatches(probe, chunk.size());

        assertThat(batches).extracting(batch -> batch.results().size()).containsExactlyInAnyOrder(8, 1);
        assertThat(results(batches)).allMatch(BioResult::succeeded)
                .extracting(BioResult::bio).containsExactlyInAnyOrderElementsOf(chunk);
        List<Request> requests = memory.requests();
        assertThat(requests).hasSize(2);
        Request merged = requests.stream().filter(r -> r.startSector() == 0).findFirst().orElseThrow();
        assertThat(merged.sectorCount()).isEqualTo(8L * PAGE_SECTORS);
        assertThat(memory.readBytes(0, 8 * PAGE)).isEqualTo(bytesOf(chunk.subList(0, 8)));
        assertThat(memory.readBytes(100L * PAGE, PAGE)).isEqualTo(bytesOf(List.of(lone)));
    }

    @Test
    void mergedRequestsErrorCompletesEachBioItCarried() {
        MemoryDevice memory = new MemoryDevice(PAGE, DEVICE_BYTES);
        memory.failNext(BioOp.WRITE, Errno.EIO, 1);
        ActorRef<Command> bios = testKit.spawn(BioDispatcher.create(memory, 1));
        TestProbe<Completed> probe = testKit.createTestProbe();
        List<Bio> first = List.of(write(0, 1), write(1, 2), write(3, 1));
        List<Bio> second = List.of(write(50, 1), write(51, 1));

        bios.tell(new Submit(concat(first, second), probe.ref()));
        List<Completed> batches = receiveBatches(probe, 5);

        assertThat(batches).hasSize(2);
        assertThat(batches.get(0).results()).extracting(BioResult::bio).containsExactlyElementsOf(first);
        assertThat(batches.get(0).results()).extracting(BioResult::error).containsOnly(Errno.EIO);
        assertThat(batches.get(1).results()).extracting(BioResult::bio).containsExactlyElementsOf(second);
        assertThat(batches.get(1).results()).allMatch(BioResult::succeeded);
        assertThat(memory.requests()).extracting(Request::result).containsExactly(Errno.EIO, null);
        assertThat(memory.readBytes(0, 4 * PAGE)).containsOnly(0);
        Stats stats = stats(bios);
        assertThat(stats.biosSubmitted()).isEqualTo(5);
        assertThat(stats.requestsIssued()).isEqualTo(2);
        assertThat(stats.bytesIssued()).isEqualTo(6L * PAGE);
        assertThat(stats.biosCompleted()).isEqualTo(5);
        assertThat(stats.biosFailed()).isEqualTo(3);
    }

    @Test
    void eachSubmitIsAnsweredAtItsOwnReplyToEvenWhenMerged() {
        MemoryDevice memory = new MemoryDevice(PAGE, DEVICE_BYTES);
        GatedDevice device = new GatedDevice(memory);
        ActorRef<Command> bios = testKit.spawn(BioDispatcher.create(device, 1));
        TestProbe<Completed> blockerProbe = testKit.createTestProbe();
        TestProbe<Completed> firstProbe = testKit.createTestProbe();
        TestProbe<Completed> secondProbe = testKit.createTestProbe();
        Bio blocker = write(200, 1);
        Bio first = write(0, 1);
        Bio second = write(1, 1);

        bios.tell(new Submit(List.of(blocker), blockerProbe.ref()));
        await().until(() -> device.inside() == 1);
        bios.tell(new Submit(List.of(first), firstProbe.ref()));
        bios.tell(new Submit(List.of(second), secondProbe.ref()));
        device.openForGood();

        assertThat(blockerProbe.receiveMessage().results()).containsExactly(new BioResult(blocker, null));
        assertThat(firstProbe.receiveMessage().results()).containsExactly(new BioResult(first, null));
        assertThat(secondProbe.receiveMessage().results()).containsExactly(new BioResult(second, null));
        assertThat(memory.requests()).hasSize(2);
        assertThat(memory.requests().get(1).startSector()).isZero();
        assertThat(memory.requests().get(1).sectorCount()).isEqualTo(2L * PAGE_SECTORS);
    }

    @Test
    void atMostQueueDepthRequestsAreInFlight() {
        GatedDevice device = new GatedDevice(new MemoryDevice(PAGE, DEVICE_BYTES));
        ActorRef<Command> bios = testKit.spawn(BioDispatcher.create(device, 2));
        TestProbe<Completed> probe = testKit.createTestProbe();
        List<Bio> scattered = scattered(5);

        bios.tell(new Submit(scattered, probe.ref()));

        await().until(() -> device.inside() == 2);
        assertThat(stats(bios)).extracting(Stats::inFlight, Stats::queued).containsExactly(2, 3);
        device.open(1);
        probe.receiveMessage();
        await().until(() -> device.entered().size() == 3 && device.inside() == 2);
        assertThat(stats(bios)).extracting(Stats::inFlight, Stats::queued).containsExactly(2, 2);
        device.open(4);
        receiveBatches(probe, 4);
        assertThat(device.maxInside()).isEqualTo(2);
        assertThat(device.entered()).containsExactlyInAnyOrderElementsOf(scattered);
        assertThat(stats(bios)).extracting(Stats::inFlight, Stats::queued, Stats::requestsIssued)
                .containsExactly(0, 0, 5L);
    }

    @Test
    void deviceCallsRunOnTheBlockingIoDispatcher() {
        GatedDevice device = GatedDevice.open(new MemoryDevice(PAGE, DEVICE_BYTES));
        ActorRef<Command> bios = testKit.spawn(BioDispatcher.create(device, 4));
        TestProbe<Completed> probe = testKit.createTestProbe();

        bios.tell(new Submit(scattered(12), probe.ref()));
        receiveBatches(probe, 12);

        assertThat(device.threads()).isNotEmpty().allSatisfy(name -> assertThat(name)
                .contains(BioDispatcher.DISPATCHER_ID).doesNotContain("default-dispatcher"));
    }

    @Test
    void flushWaitsForTheWritesBeforeItAndHoldsBackThoseAfter() {
        MemoryDevice memory = new MemoryDevice(PAGE, DEVICE_BYTES);
        GatedDevice device = new GatedDevice(memory);
        ActorRef<Command> bios = testKit.spawn(BioDispatcher.create(device, 4));
        TestProbe<Completed> probe = testKit.createTestProbe();
        Bio before1 = write(0, 1);
        Bio before2 = write(10, 1);
        Bio flush = Bio.flush(Set.of());
        Bio after = write(1, 1); // adjacent to before1, but behind the barrier

        bios.tell(new Submit(List.of(before1, before2, flush, after), probe.ref()));

        await().until(() -> device.inside() == 2);
        assertThat(device.entered()).containsExactlyInAnyOrder(before1, before2);
        device.open(2);
        assertThat(results(receiveBatches(probe, 2))).extracting(BioResult::bio)
                .containsExactlyInAnyOrder(before1, before2);
        await().until(() -> device.entered().size() == 3);
        assertThat(device.entered().get(2)).isSameAs(flush);
        assertThat(stats(bios)).extracting(Stats::inFlight, Stats::queued).containsExactly(1, 1);
        device.open(1);
        assertThat(probe.receiveMessage().results()).containsExactly(new BioResult(flush, null));
        await().until(() -> device.entered().size() == 4);
        assertThat(device.entered().get(3)).isSameAs(after);
        device.open(1);
        assertThat(probe.receiveMessage().results()).containsExactly(new BioResult(after, null));
        assertThat(memory.requests()).extracting(Request::op)
                .containsExactly(BioOp.WRITE, BioOp.WRITE, BioOp.FLUSH, BioOp.WRITE);
    }

    @Test
    void drainAnswersOnlyAfterEverythingCompleted() {
        MemoryDevice memory = new MemoryDevice(PAGE, DEVICE_BYTES);
        GatedDevice device = new GatedDevice(memory);
        ActorRef<Command> bios = testKit.spawn(BioDispatcher.create(device, 2));
        // One probe for every reply: the actor's replies reach it in the order they were sent.
        TestProbe<Object> probe = testKit.createTestProbe();

        bios.tell(new Submit(scattered(3), probe.ref().narrow()));
        bios.tell(new Drain(probe.ref().narrow()));
        bios.tell(new GetStats(probe.ref().narrow()));

        Stats stats = probe.expectMessageClass(Stats.class);
        assertThat(stats.inFlight() + stats.queued()).isEqualTo(3);
        device.openForGood();
        List<Object> replies = probe.receiveSeveralMessages(4);
        assertThat(replies.subList(0, 3)).allMatch(Completed.class::isInstance);
        assertThat(replies.get(3)).isEqualTo(Done.getInstance());
        assertThat(memory.requests()).hasSize(3);

        bios.tell(new Drain(probe.ref().narrow()));
        probe.expectMessage(Done.getInstance());
    }

    @Test
    void setQueueDepthTakesEffectAtOnce() {
        GatedDevice device = new GatedDevice(new MemoryDevice(PAGE, DEVICE_BYTES));
        ActorRef<Command> bios = testKit.spawn(BioDispatcher.create(device, 1));
        TestProbe<Completed> probe = testKit.createTestProbe();

        bios.tell(new Submit(scattered(5), probe.ref()));
        await().until(() -> device.inside() == 1);
        bios.tell(new SetQueueDepth(3));
        await().until(() -> device.inside() == 3);
        assertThat(stats(bios)).extracting(Stats::inFlight, Stats::queued, Stats::queueDepth).containsExactly(3, 2, 3);

        bios.tell(new SetQueueDepth(1));
        device.open(1);
        probe.receiveMessage();
        assertThat(stats(bios)).extracting(Stats::inFlight, Stats::queued).containsExactly(2, 2);
        device.open(2);
        receiveBatches(probe, 2);
        await().until(() -> device.entered().size() == 4);
        assertThat(stats(bios)).extracting(Stats::inFlight, Stats::queued, Stats::queueDepth).containsExactly(1, 1, 1);
        device.openForGood();
        receiveBatches(probe, 2);
        assertThat(device.maxInside()).isEqualTo(3);
    }

    @Test
    void stopLetsInFlightRequestsFinishAndRefusesTheRest() {
        MemoryDevice memory = new MemoryDevice(PAGE, DEVICE_BYTES);
        GatedDevice device = new GatedDevice(memory);
        ActorRef<Command> bios = testKit.spawn(BioDispatcher.create(device, 1));
        TestProbe<Completed> probe = testKit.createTestProbe();
        Bio running = write(0, 1);
        Bio queued = write(50, 1);
        Bio late = write(60, 1);

        bios.tell(new Submit(List.of(running, queued), probe.ref()));
        await().until(() -> device.inside() == 1);
        bios.tell(Stop.INSTANCE);
        bios.tell(new Submit(List.of(late), probe.ref()));

        assertThat(probe.receiveMessage().results()).containsExactly(new BioResult(queued, Errno.ESHUTDOWN));
        assertThat(probe.receiveMessage().results()).containsExactly(new BioResult(late, Errno.ESHUTDOWN));
        device.openForGood();
        assertThat(probe.receiveMessage().results()).containsExactly(new BioResult(running, null));
        probe.expectTerminated(bios);
        assertThat(device.entered()).containsExactly(running);
        assertThat(memory.requests()).hasSize(1);
    }

    @Test
    void stopWithNothingInFlightStopsAtOnce() {
        ActorRef<Command> bios = testKit.spawn(BioDispatcher.create(new MemoryDevice(PAGE, DEVICE_BYTES), 1));
        TestProbe<Object> probe = testKit.createTestProbe();

        bios.tell(Stop.INSTANCE);

        probe.expectTerminated(bios);
    }

    @Test
    void deviceThatThrowsFailsTheRequestsBiosWithEio() {
        BlockDevice throwing = new BlockDevice() {
            @Override
            public int blockSize() {
                return PAGE;
            }

            @Override
            public long sizeBytes() {
                return DEVICE_BYTES;
            }

            @Override
            public Errno submit(Bio bio) {
                throw new IllegalStateException("device bug");
            }

            @Override
            public void close() {}
        };
        ActorRef<Command> bios = testKit.spawn(BioDispatcher.create(throwing, 1));
        TestProbe<Completed> probe = testKit.createTestProbe();
        List<Bio> chunk = List.of(write(0, 1), write(1, 1));

        Completed completed = LoggingTestKit.error("threw").withCause(IllegalStateException.class)
                .expect(testKit.system(), () -> {
                    bios.tell(new Submit(chunk, probe.ref()));
                    return probe.receiveMessage();
                });

        assertThat(completed.results()).containsExactly(
                new BioResult(chunk.get(0), Errno.EIO), new BioResult(chunk.get(1), Errno.EIO));
        assertThat(stats(bios).biosFailed()).isEqualTo(2);
    }

    @Test
    void refusesToStartWithoutTheBlockingIoDispatcher() {
        ActorTestKit bare = ActorTestKit.create("BioDispatcherWithoutDispatcherConfig");
        try {
            TestProbe<Object> probe = bare.createTestProbe();
            LoggingTestKit.error(BioDispatcher.DISPATCHER_ID + " is not configured").expect(bare.system(), () -> {
                ActorRef<Command> bios = bare.spawn(BioDispatcher.create(new MemoryDevice(PAGE, DEVICE_BYTES), 1));
                probe.expectTerminated(bios);
                return null;
            });
        } finally {
            bare.shutdownTestKit();
        }
    }

    /**
     * Many chunks from many submitters at once, in random order and sizes, with flushes between
     * some: every bio is answered exactly once at its own reply address, the device holds every
     * page, and adjacent bios merged as the request queue merges them.
     */
    @Test
    void concurrentChunksAreEachAnsweredOnceAndLandWhole() {
        SplittableRandom random = new SplittableRandom(20240611);
        MemoryDevice memory = new MemoryDevice(PAGE, DEVICE_BYTES, false);
        ActorRef<Command> bios = testKit.spawn(BioDispatcher.create(memory, 4));
        List<List<Bio>> chunks = new ArrayList<>();
        List<TestProbe<Completed>> probes = new ArrayList<>();
        int total = 0;
        for (int c = 0; c < 24; c++) {
            List<Bio> chunk = new ArrayList<>();
            long page = c * 512L;
            long end = page + random.nextInt(1, 400);
            while (page < end) {
                int pages = (int) Math.min(end - page, random.nextInt(1, 5));
                chunk.add(write(page, pages));
                page += pages;
            }
            if (random.nextInt(3) == 0) {
                Collections.shuffle(chunk, new Random(random.nextLong()));
            }
            if (random.nextInt(4) == 0) {
                chunk.add(Bio.flush(Set.of()));
            }
            chunks.add(chunk);
            probes.add(testKit.createTestProbe());
            total += chunk.size();
        }

        for (int c = 0; c < chunks.size(); c++) {
            bios.tell(new Submit(chunks.get(c), probes.get(c).ref()));
        }

        for (int c = 0; c < chunks.size(); c++) {
            List<BioResult> results = results(receiveBatches(probes.get(c), chunks.get(c).size()));
            Map<Bio, Boolean> answered = new IdentityHashMap<>();
            results.forEach(result -> assertThat(answered.put(result.bio(), true)).isNull());
            assertThat(answered.keySet()).containsExactlyInAnyOrderElementsOf(chunks.get(c));
            assertThat(results).allMatch(BioResult::succeeded);
            for (Bio bio : chunks.get(c)) {
                if (bio.op() == BioOp.WRITE) {
                    assertThat(memory.readBytes(bio.startSector() * BlockDevice.SECTOR_SIZE, (int) bio.lengthBytes()))
                            .isEqualTo(bytesOf(List.of(bio)));
                }
            }
        }
        Stats stats = stats(bios);
        assertThat(stats.biosSubmitted()).isEqualTo(total);
        assertThat(stats.biosCompleted()).isEqualTo(total);
        // The chunks do not touch each other, so each merges exactly as it would alone.
        assertThat(stats.requestsIssued()).isEqualTo(memory.requests().size())
                .isEqualTo(chunks.stream().mapToLong(BioDispatcherTest::requestsAlone).sum())
                .isLessThan(total);
        assertThat(stats.inFlight()).isZero();
    }

    /** How many device requests a queue of its own makes of {@code chunk}. */
    private static long requestsAlone(List<Bio> chunk) {
        RequestQueue queue = new RequestQueue();
        queue.plug();
        chunk.forEach(queue::submit);
        queue.unplug();
        long requests = 0;
        for (DeviceRequest request = queue.poll(); request != null; request = queue.poll()) {
            queue.complete(request);
            requests++;
        }
        return requests;
    }

    private static Stats stats(ActorRef<Command> bios) {
        TestProbe<Stats> probe = testKit.createTestProbe();
        bios.tell(new GetStats(probe.ref()));
        return probe.receiveMessage();
    }

    /** Receives batches until {@code bios} results have arrived. */
    private static List<Completed> receiveBatches(TestProbe<Completed> probe, int bios) {
        List<Completed> batches = new ArrayList<>();
        int received = 0;
        while (received < bios) {
            Completed batch = probe.receiveMessage();
            batches.add(batch);
            received += batch.results().size();
        }
        assertThat(received).isEqualTo(bios);
        return batches;
    }

    private static List<BioResult> results(List<Completed> batches) {
        return batches.stream().flatMap(batch -> batch.results().stream()).toList();
    }

    /** {@code count} one-page writes that do not touch each other. */
    private static List<Bio> scattered(int count) {
        List<Bio> bios = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            bios.add(write(1000L + 2L * i, 1));
        }
        return bios;
    }

    /** A write of {@code pages} pages at page {@code firstPage}, each page's bytes its own. */
    private static Bio write(long firstPage, int pages) {
        List<Segment> segments = new ArrayList<>();
        for (int i = 0; i < pages; i++) {
            long page = firstPage + i;
            byte[] bytes = new byte[PAGE];
            new SplittableRandom(page * 31 + 7).nextBytes(bytes);
            segments.add(Segment.ofPage(ByteBuffer.wrap(bytes), page, (int) page));
        }
        return new Bio(BioOp.WRITE, firstPage * PAGE_SECTORS, segments, Set.of(), 1);
    }

    private static byte[] bytesOf(List<Bio> bios) {
        ByteBuffer all = ByteBuffer.allocate(bios.stream().mapToInt(bio -> (int) bio.lengthBytes()).sum());
        for (Bio bio : bios) {
            bio.segments().forEach(segment -> all.put(segment.buffer().duplicate()));
        }
        return all.array();
    }

    private static <T> List<T> concat(List<T> first, List<T> second) {
        List<T> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }
}
