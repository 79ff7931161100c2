package dev.writebackd.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestQueueTest {
    private static final int SECTOR = BlockDevice.SECTOR_SIZE;
    private static final int PAGE = 4096;
    private static final int PAGE_SECTORS = PAGE / SECTOR;

    // Every segment gets its own pageIndex, so merged segment lists can be compared by tag.
    private final AtomicLong nextTag = new AtomicLong();

    @Test
    void unpluggedBioIsHandedOutAtOnceAsItself() {
        RequestQueue queue = new RequestQueue();
        Bio bio = write(0, 1);

        queue.submit(bio);
        DeviceRequest request = queue.poll();

        assertThat(request.bio()).isSameAs(bio);
        assertThat(request.carried()).containsExactly(bio);
        assertThat(request.isMerged()).isFalse();
        assertThat(queue.poll()).isNull();
    }

    @Test
    void backMergeJoinsAscendingAdjacentBios() {
        RequestQueue queue = new RequestQueue();
        Bio a = write(8, 2);
        Bio b = write(8 + 2 * PAGE_SECTORS, 1);
        Bio c = write(8 + 3 * PAGE_SECTORS, 3);

        queue.plug();
        queue.submit(a);
        queue.submit(b);
        queue.submit(c);
        queue.unplug();
        DeviceRequest request = queue.poll();

        assertThat(queue.poll()).isNull();
        assertThat(request.carried()).containsExactly(a, b, c);
        assertThat(request.bio().op()).isEqualTo(BioOp.WRITE);
        assertThat(request.bio().startSector()).isEqualTo(8);
        assertThat(request.bio().sectorCount()).isEqualTo(6 * PAGE_SECTORS);
        assertThat(tags(request.bio())).isEqualTo(tags(a, b, c));
    }

    @Test
    void frontMergeJoinsDescendingAdjacentBiosInSectorOrder() {
        RequestQueue queue = new RequestQueue();
        Bio c = write(3 * PAGE_SECTORS, 1);
        Bio b = write(PAGE_SECTORS, 2);
        Bio a = write(0, 1);

        queue.plug();
        queue.submit(c);
        queue.submit(b);
        queue.submit(a);
        queue.unplug();
        DeviceRequest request = queue.poll();

        assertThat(request.carried()).containsExactly(c, b, a);
        assertThat(request.bio().startSector()).isZero();
        assertThat(request.bio().endSector()).isEqualTo(4 * PAGE_SECTORS);
        assertThat(tags(request.bio())).isEqualTo(tags(a, b, c));
        assertThat(queue.poll()).isNull();
    }

    @Test
    void bioClosingAGapJoinsBothNeighbours() {
        RequestQueue queue = new RequestQueue();
        Bio low = write(0, 1);
        Bio high = write(2 * PAGE_SECTORS, 1);
        Bio middle = write(PAGE_SECTORS, 1);
        Bio lowAgain = write(4 * PAGE_SECTORS, 1);
        Bio highAgain = write(6 * PAGE_SECTORS, 1);
        Bio middleAgain = write(5 * PAGE_SECTORS, 1);

        queue.plug();
        for (Bio bio : List.of(low, high, middle, highAgain, lowAgain, middleAgain)) {
            queue.submit(bio);
        }
        queue.unplug();

        DeviceRequest first = queue.poll();
        assertThat(first.carried()).containsExactly(low, high, middle);
        assertThat(tags(first.bio())).isEqualTo(tags(low, middle, high));
        DeviceRequest second = queue.poll();
        assertThat(second.carried()).containsExactly(highAgain, lowAgain, middleAgain);
        assertThat(tags(second.bio())).isEqualTo(tags(lowAgain, middleAgain, highAgain));
        assertThat(second.bio().startSector()).isEqualTo(4 * PAGE_SECTORS);
        assertThat(queue.poll()).isNull();
    }

    @Test
    void readsMergeLikeWrites() {
        RequestQueue queue = new RequestQueue();
        Bio a = bio(BioOp.READ, 0, 1, Set.of(BioFlag.RAHEAD), 3);
        Bio b = bio(BioOp.READ, PAGE_SECTORS, 1, Set.of(BioFlag.RAHEAD), 3);

        queue.submit(a);
        queue.submit(b);
        DeviceRequest request = queue.poll();

        assertThat(request.carried()).containsExactly(a, b);
        assertThat(request.bio().op()).isEqualTo(BioOp.READ);
        assertThat(request.bio().flags()).containsExactly(BioFlag.RAHEAD);
        assertThat(request.bio().inode()).isEqualTo(3);
    }

    @Test
    void biosThatDifferOrDoNotTouchStaySeparate() {
        Bio base = bio(BioOp.WRITE, 16, 1, Set.of(BioFlag.SYNC), 1);
        long after = 16 + PAGE_SECTORS;
        List<Bio> others = List.of(
                bio(BioOp.READ, after, 1, Set.of(BioFlag.SYNC), 1), // other op
                bio(BioOp.WRITE, after, 1, Set.of(), 1), // other flags
                bio(BioOp.WRITE, after, 1, Set.of(BioFlag.SYNC, BioFlag.FUA), 1), // more flags
                bio(BioOp.WRITE, after, 1, Set.of(BioFlag.SYNC), 2), // other inode
                bio(BioOp.WRITE, after + 1, 1, Set.of(BioFlag.SYNC), 1), // a gap after
                bio(BioOp.WRITE, 16 - PAGE_SECTORS - 1, 1, Set.of(BioFlag.SYNC), 1), // a gap before
                bio(BioOp.WRITE, 16 + 1, 1, Set.of(BioFlag.SYNC), 1), // overlapping
                bio(BioOp.WRITE, 16, 1, Set.of(BioFlag.SYNC), 1)); // the same sectors again

        for (Bio other : others) {
            RequestQueue queue = new RequestQueue();
            queue.plug();
            queue.submit(base);
            queue.submit(other);
            queue.unplug();

            assertThat(queue.poll().carried()).as("%s", other).containsExactly(base);
            assertThat(queue.poll().carried()).as("%s", other).containsExactly(other);
        }
    }

    @Test
    void nonAdjacentBiosComeOutInSubmissionOrder() {
        RequestQueue queue = new RequestQueue();
        List<Bio> bios = List.of(write(64, 1), write(0, 1), write(200, 1), write(32, 1), write(100, 1));

        queue.plug();
        bios.forEach(queue::submit);
        queue.unplug();

        assertThat(drainInOrder(queue)).containsExactlyElementsOf(bios);
    }

    @Test
    void onlyTheLastRequestIsAMergeCandidate() {
        RequestQueue queue = new RequestQueue();
        Bio a = write(0, 1);
        Bio far = write(100, 1);
        Bio afterA = write(PAGE_SECTORS, 1); // adjacent to a, but far came in between

        queue.plug();
        queue.submit(a);
        queue.submit(far);
        queue.submit(afterA);
        queue.unplug();

        assertThat(queue.poll().carried()).containsExactly(a);
        assertThat(queue.poll().carried()).containsExactly(far);
        assertThat(queue.poll().carried()).containsExactly(afterA);
    }

    @Test
    void mergeStopsAtTheByteLimit() {
        RequestQueue queue = new RequestQueue(2 * PAGE);
        List<Bio> bios = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            bios.add(write((long) i * PAGE_SECTORS, 1));
        }

        queue.plug();
        bios.forEach(queue::submit);
        queue.unplug();

        assertThat(queue.poll().carried()).containsExactly(bios.get(0), bios.get(1));
        assertThat(queue.poll().carried()).containsExactly(bios.get(2), bios.get(3));
        assertThat(queue.poll().carried()).containsExactly(bios.get(4));
    }

    @Test
    void defaultLimitIsOneMebibyteOf256Pages() {
        RequestQueue queue = new RequestQueue();
        List<Bio> pages = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            pages.add(write((long) i * PAGE_SECTORS, 1));
        }

        queue.plug();
        pages.forEach(queue::submit);
        queue.unplug();

        assertThat(queue.maxRequestBytes()).isEqualTo(1 << 20).isEqualTo(RequestQueue.DEFAULT_MAX_REQUEST_BYTES);
        DeviceRequest first = queue.poll();
        assertThat(first.carried()).hasSize(256);
        assertThat(first.bio().lengthBytes()).isEqualTo(1 << 20);
        assertThat(queue.poll().carried()).hasSize(44);
    }

    @Test
    void mergeStopsAtTheSegmentLimitWhateverTheBytes() {
        RequestQueue queue = new RequestQueue(1L << 30);
        List<Bio> sectors = new ArrayList<>();
        for (int i = 0; i < Bio.MAX_SEGMENTS + 10; i++) {
            sectors.add(bio(BioOp.WRITE, i, 1, SECTOR, Set.of(), 1));
        }

        sectors.forEach(queue::submit);

        DeviceRequest first = queue.poll();
        assertThat(first.bio().segments()).hasSize(Bio.MAX_SEGMENTS);
        assertThat(first.bio().sectorCount()).isEqualTo(Bio.MAX_SEGMENTS);
        assertThat(queue.poll().carried()).hasSize(10);
    }

    @Test
    void bioOverTheLimitGoesOutWholeAndAlone() {
        RequestQueue queue = new RequestQueue(PAGE);
        Bio big = write(0, 3);
        Bio next = write(3 * PAGE_SECTORS, 1);

        queue.submit(big);
        queue.submit(next);

        DeviceRequest request = queue.poll();
        assertThat(request.bio()).isSameAs(big);
        assertThat(queue.poll().carried()).containsExactly(next);
    }

    @Test
    void pluggedBiosAreHeldUntilUnplug() {
        RequestQueue queue = new RequestQueue();
        Bio a = write(0, 1);
        Bio b = write(PAGE_SECTORS, 1);

        queue.plug();
        queue.submit(a);
        queue.submit(b);

        assertThat(queue.isPlugged()).isTrue();
        assertThat(queue.poll()).isNull();
        assertThat(queue.queued()).isEqualTo(1);
        queue.unplug();
        assertThat(queue.isPlugged()).isFalse();
        assertThat(queue.poll().carried()).containsExactly(a, b);
    }

    @Test
    void requestsQueuedBeforeThePlugStillGoOut() {
        RequestQueue queue = new RequestQueue();
        Bio before = write(0, 1);
        Bio plugged = write(100, 1);

        queue.submit(before);
        queue.plug();
        queue.submit(plugged);

        assertThat(queue.poll().carried()).containsExactly(before);
        assertThat(queue.poll()).isNull();
        queue.unplug();
        assertThat(queue.poll().carried()).containsExactly(plugged);
    }

    @Test
    void unplugMergesWithAQueuedRequestButNeverWithOneHandedOut() {
        RequestQueue queue = new RequestQueue();
        Bio a = write(0, 1);
        Bio b = write(PAGE_SECTORS, 1);
        Bio c = write(2 * PAGE_SECTORS, 1);

        queue.submit(a);
        queue.plug();
        queue.submit(b);
        queue.unplug();
        DeviceRequest ab = queue.poll();
        queue.submit(c);

        assertThat(ab.carried()).containsExactly(a, b);
        assertThat(queue.poll().carried()).containsExactly(c);
    }

    @Test
    void flushesNeverMerge() {
        RequestQueue queue = new RequestQueue();
        Bio first = Bio.flush(Set.of(BioFlag.SYNC));
        Bio second = Bio.flush(Set.of(BioFlag.SYNC));

        queue.plug();
        queue.submit(first);
        queue.submit(second);
        queue.unplug();

        DeviceRequest one = queue.poll();
        assertThat(one.isFlush()).isTrue();
        assertThat(one.carried()).containsExactly(first);
        queue.complete(one);
        assertThat(queue.poll().carried()).containsExactly(second);
    }

    @Test
    void flushIsABarrier() {
        RequestQueue queue = new RequestQueue();
        Bio before1 = write(0, 1);
        Bio before2 = write(100, 1);
        Bio flush = Bio.flush(Set.of());
        Bio after = write(PAGE_SECTORS, 1); // adjacent to before1, but on the other side of the flush

        queue.plug();
        List.of(before1, before2, flush, after).forEach(queue::submit);
        queue.unplug();

        DeviceRequest r1 = queue.poll();
        DeviceRequest r2 = queue.poll();
        assertThat(r1.carried()).containsExactly(before1);
        assertThat(r2.carried()).containsExactly(before2);
        assertThat(queue.poll()).as("the flush waits for the writes before it").isNull();
        queue.complete(r2);
        assertThat(queue.poll()).isNull();
        queue.complete(r1);

        DeviceRequest barrier = queue.poll();
        assertThat(barrier.carried()).containsExactly(flush);
        assertThat(queue.poll()).as("writes after the flush wait for it").isNull();
        queue.submit(write(500, 1));
        assertThat(queue.poll()).isNull();
        queue.complete(barrier);

        assertThat(queue.poll().carried()).containsExactly(after);
        assertThat(queue.poll()).isNotNull();
    }

    @Test
    void countsQueuedAndInFlight() {
        RequestQueue queue = new RequestQueue();
        assertThat(queue.isIdle()).isTrue();

        queue.submit(write(0, 1));
        queue.submit(write(100, 1));
        assertThat(queue.queued()).isEqualTo(2);
        DeviceRequest request = queue.poll();

        assertThat(queue.queued()).isEqualTo(1);
        assertThat(queue.inFlight()).isEqualTo(1);
        queue.complete(queue.poll());
        queue.complete(request);
        assertThat(queue.isIdle()).isTrue();
    }

    @Test
    void cancelQueuedReturnsWhatWasNotHandedOutInOrder() {
        RequestQueue queue = new RequestQueue();
        Bio out = write(0, 1);
        Bio q1 = write(100, 1);
        Bio q2 = write(100 + PAGE_SECTORS, 1);
        Bio plugged = write(300, 1);

        queue.submit(out);
        DeviceRequest inFlight = queue.poll();
        queue.submit(q1);
        queue.submit(q2);
        queue.plug();
        queue.submit(plugged);

        List<DeviceRequest> cancelled = queue.cancelQueued();

        assertThat(cancelled).extracting(DeviceRequest::carried)
                .containsExactly(List.of(q1, q2), List.of(plugged));
        assertThat(queue.queued()).isZero();
        assertThat(queue.inFlight()).isEqualTo(1);
        assertThat(queue.isPlugged()).isTrue();
        queue.complete(inFlight);
        assertThat(queue.isIdle()).isTrue();
    }

    @Test
    void misuseIsRefused() {
        RequestQueue queue = new RequestQueue();
        assertThatThrownBy(queue::unplug).isInstanceOf(IllegalStateException.class);
        queue.plug();
        assertThatThrownBy(queue::plug).isInstanceOf(IllegalStateException.class);
        queue.unplug();

        queue.submit(write(0, 1));
        DeviceRequest request = queue.poll();
        queue.complete(request);
        assertThatThrownBy(() -> queue.complete(request)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> queue.complete(DeviceRequest.of(write(0, 1))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> queue.submit(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new RequestQueue(SECTOR - 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DeviceRequest(write(0, 1), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Random submits, plugs, polls and completions: every bio is handed out exactly once, never
     * while its plug is open; merged requests are well formed and within the limits; bios come out
     * in submission order except within one request; flushes are barriers; and performing the
     * requests leaves the device as performing the bios one by one would.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 42, 20240601})
    void randomizedQueueLosesNothingAndKeepsOrder(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long limit = List.of(2L * PAGE, 4L * PAGE, 1L << 20).get(random.nextInt(3));
        RequestQueue queue = new RequestQueue(limit);
        int sectors = 256;
        MemoryDevice byBio = new MemoryDevice(SECTOR, (long) sectors * SECTOR);
        MemoryDevice byRequest = new MemoryDevice(SECTOR, (long) sectors * SECTOR);

        List<Bio> submitted = new ArrayList<>();
        Map<Bio, Integer> submitIndex = new IdentityHashMap<>();
        Map<Bio, Integer> plugOf = new IdentityHashMap<>(); // which plug a plugged bio was submitted in
        Map<Bio, Integer> handedOutAs = new IdentityHashMap<>();
        List<DeviceRequest> inFlight = new ArrayList<>();
        int plugNumber = 0;
        int requestNumber = 0;
        long nextStart = 0;

        for (int step = 0; step < 3000 || queue.isPlugged() || !queue.isIdle(); step++) {
            boolean winding = step >= 3000;
            int action = random.nextInt(100);
            if (winding && queue.isPlugged()) {
                queue.unplug();
            } else if (!winding && action < 45) {
                Bio bio = randomBio(random, nextStart, sectors);
                nextStart = bio.op() == BioOp.FLUSH ? nextStart : bio.endSector() % sectors;
                submitIndex.put(bio, submitted.size());
                submitted.add(bio);
                if (queue.isPlugged()) {
                    plugOf.put(bio, plugNumber);
                }
                queue.submit(bio);
                byBio.submit(bio);
            } else if (!winding && action < 52) {
                if (queue.isPlugged()) {
                    queue.unplug();
                } else {
                    queue.plug();
                    plugNumber++;
                }
            } else if (action < 76 || inFlight.isEmpty()) {
                boolean flushOut = inFlight.stream().anyMatch(DeviceRequest::isFlush);
                DeviceRequest request = queue.poll();
                if (request == null) {
                    continue;
                }
                assertThat(flushOut).as("seed %d: handed out past a flush in flight", seed).isFalse();
                if (request.isFlush()) {
                    assertThat(inFlight).as("seed %d: flush handed out with requests in flight", seed).isEmpty();
                }
                checkWellFormed(request, limit, seed);
                for (Bio bio : request.carried()) {
                    assertThat(handedOutAs.put(bio, requestNumber)).as("seed %d: bio handed out twice", seed).isNull();
                    assertThat(submitIndex).as("seed %d: unknown bio", seed).containsKey(bio);
                    if (queue.isPlugged() && plugOf.containsKey(bio)) {
                        assertThat(plugOf.get(bio)).as("seed %d: bio left an open plug", seed).isNotEqualTo(plugNumber);
                    }
                }
                requestNumber++;
                inFlight.add(request);
                byRequest.submit(request.bio());
            } else {
                queue.complete(inFlight.remove(random.nextInt(inFlight.size())));
            }
        }

        assertThat(handedOutAs).as("seed %d: every bio handed out", seed).hasSameSizeAs(submitted);
        int previous = -1;
        for (Bio bio : submitted) {
            int number = handedOutAs.get(bio);
            assertThat(number).as("seed %d: bio %d reordered", seed, submitIndex.get(bio)).isGreaterThanOrEqualTo(previous);
            previous = number;
        }
        assertThat(requestNumber).as("seed %d: some bios merged", seed).isLessThan(submitted.size());
        assertThat(byRequest.readBytes(0, sectors * SECTOR)).as("seed %d: device contents", seed)
                .isEqualTo(byBio.readBytes(0, sectors * SECTOR));
    }

    private static void checkWellFormed(DeviceRequest request, long limit, long seed) {
        Bio bio = request.bio();
        if (!request.isMerged()) {
            assertThat(bio).isSameAs(request.carried().get(0));
            return;
        }
        assertThat(bio.lengthBytes()).as("seed %d: merged over the limit", seed).isLessThanOrEqualTo(limit);
        List<Bio> bySector = new ArrayList<>(request.carried());
        bySector.sort(Comparator.comparingLong(Bio::startSector));
        assertThat(bio.startSector()).isEqualTo(bySector.get(0).startSector());
        List<Segment> segments = new ArrayList<>();
        long end = bio.startSector();
        for (Bio part : bySector) {
            assertThat(part.op()).isEqualTo(bio.op()).isNotEqualTo(BioOp.FLUSH);
            assertThat(part.flags()).isEqualTo(bio.flags());
            assertThat(part.inode()).isEqualTo(bio.inode());
            assertThat(part.startSector()).as("seed %d: parts tile the request", seed).isEqualTo(end);
            end = part.endSector();
            segments.addAll(part.segments());
        }
        assertThat(bio.endSector()).isEqualTo(end);
        assertThat(bio.segments()).hasSameSizeAs(segments);
        for (int i = 0; i < segments.size(); i++) {
            assertThat(bio.segments().get(i)).isSameAs(segments.get(i));
        }
    }

    /** Mostly writes that continue where the last bio ended, some elsewhere, reads and flushes. */
    private Bio randomBio(SplittableRandom random, long nextStart, int deviceSectors) {
        int kind = random.nextInt(100);
        if (kind < 8) {
            return Bio.flush(Set.of());
        }
        BioOp op = kind < 75 ? BioOp.WRITE : BioOp.READ;
        int segmentCount = random.nextInt(1, 4);
        int segmentSectors = random.nextInt(1, 9);
        int length = segmentCount * segmentSectors;
        int where = random.nextInt(100);
        long start = where < 60 ? nextStart : where < 75 ? nextStart - length : random.nextInt(deviceSectors);
        if (start < 0 || start + length > deviceSectors) {
            start = random.nextInt(deviceSectors - length + 1);
        }
        Set<BioFlag> flags = random.nextInt(10) == 0 ? Set.of(BioFlag.SYNC) : Set.of();
        long inode = random.nextInt(10) == 0 ? 2 : 1;
        List<Segment> segments = new ArrayList<>();
        for (int i = 0; i < segmentCount; i++) {
            byte[] bytes = new byte[segmentSectors * SECTOR];
            random.nextBytes(bytes);
            segments.add(Segment.ofPage(ByteBuffer.wrap(bytes), nextTag.getAndIncrement(), i));
        }
        return new Bio(op, start, segments, flags, inode);
    }

    private static List<Bio> drainInOrder(RequestQueue queue) {
        List<Bio> out = new ArrayList<>();
        for (DeviceRequest request = queue.poll(); request != null; request = queue.poll()) {
            out.addAll(request.carried());
            queue.complete(request);
        }
        return out;
    }

    private Bio write(long startSector, int pages) {
        return bio(BioOp.WRITE, startSector, pages, Set.of(), 1);
    }

    private Bio bio(BioOp op, long startSector, int pages, Set<BioFlag> flags, long inode) {
        return bio(op, startSector, pages, PAGE, flags, inode);
    }

    private Bio bio(BioOp op, long startSector, int segmentCount, int segmentBytes, Set<BioFlag> flags, long inode) {
        List<Segment> segments = new ArrayList<>();
        for (int i = 0; i < segmentCount; i++) {
            segments.add(Segment.ofPage(ByteBuffer.allocate(segmentBytes), nextTag.getAndIncrement(), i));
        }
        return new Bio(op, startSector, segments, flags, inode);
    }

    private static List<Long> tags(Bio... bios) {
        List<Long> tags = new ArrayList<>();
        for (Bio bio : bios) {
            bio.segments().forEach(s -> tags.add(s.pageIndex()));
        }
        return Collections.unmodifiableList(tags);
    }
}
