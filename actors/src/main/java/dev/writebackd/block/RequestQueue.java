package dev.writebackd.block;

import static java.util.Objects.requireNonNull;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A device's queue of pending bios: the kernel's plug list and request queue, without threads.
 *
 * <p><b>Plugging.</b> Between {@link #plug()} and {@link #unplug()} submitted bios are only
 * collected; at unplug they join the dispatch queue together, so the bios of one writeback chunk
 * reach the device as a group and merge first. Bios submitted while unplugged join the dispatch
 * queue at once.
 *
 * <p><b>Merging.</b> A bio joining a list (the plug list, or the dispatch queue, which plugged
 * requests join one by one at unplug) is merged into the list's last request when both have the
 * same op (READ or WRITE), the same flags and the same inode, and one ends exactly where the other
 * starts: a back merge appends its segments, a front merge puts them before. After a merge the
 * grown last request is tried against the one before it in the same way, so a bio that closes the
 * gap between two requests joins them into one. Only the last two requests are ever merged (as
 * the kernel's plug merge tries only the last request), so merging never reorders: a bio reaches
 * the device no earlier than any bio queued before it outside its own request, and overlapping
 * bios keep their order. Flags must be equal so that the merged bio asks the device for exactly
 * what each of its parts asked (FUA, META, and fault rules that look at flags or the inode).
 *
 * <p><b>Merge limit.</b> A merged request holds at most {@code maxRequestBytes} (default
 * {@link #DEFAULT_MAX_REQUEST_BYTES}, 1 MiB) and at most {@link Bio#MAX_SEGMENTS} segments; a
 * merge that would exceed either does not happen. The default is 256 pages of 4 KiB, the most a
 * bio of one page per segment can hold anyway, and the split the performance model counts bios
 * against. A bio larger than the limit is never split: it goes out as it is, unmerged.
 *
 * <p><b>Barriers and dispatch.</b> {@link #poll()} hands out the next request in queue order and
 * counts it in flight until it is given back with {@link #complete}. A FLUSH never merges and is a
 * barrier: it is handed out only once every request before it has completed, and nothing after it
 * is handed out until it has completed, so it covers exactly the writes queued before it.
 *
 * <p>Not thread-safe: single-threaded, owned by one actor (the device's bio dispatcher).
 */
public final class RequestQueue {
    /** The default merge limit: 1 MiB, 256 pages of 4 KiB. */
    public static final long DEFAULT_MAX_REQUEST_BYTES = 1L << 20;

    private final long maxRequestBytes;
    private final Deque<Pending> plugList = new ArrayDeque<>();
    private final Deque<Pending> dispatch = new ArrayDeque<>();
    private final Set<DeviceRequest> inFlight = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean plugged;
    private boolean flushInFlight;

    /** A queue merging up to {@link #DEFAULT_MAX_REQUEST_BYTES} per request. */
    public RequestQueue() {
        this(DEFAULT_MAX_REQUEST_BYTES);
    }

    /**
     * A queue merging up to {@code maxRequestBytes} per request.
     *
     * @param maxRequestBytes the largest merged request, at least one sector
     */
    public RequestQueue(long maxRequestBytes) {
        if (maxRequestBytes < BlockDevice.SECTOR_SIZE) {
            throw new IllegalArgumentException("merge limit " + maxRequestBytes + " is below one sector");
        }
        this.maxRequestBytes = maxRequestBytes;
    }

    /** The largest merged request in bytes. */
    public long maxRequestBytes() {
        return maxRequestBytes;
    }

    /**
     * Starts collecting bios: nothing submitted from now on is handed out before {@link #unplug()}.
     *
     * @throws IllegalStateException if already plugged
     */
    public void plug() {
        if (plugged) {
            throw new IllegalStateException("already plugged");
        }
        plugged = true;
    }

    /**
     * Moves the collected requests, in order, to the dispatch queue (merging the first of them with
     * its last request where it can).
     *
     * @throws IllegalStateException if not plugged
     */
    public void unplug() {
        if (!plugged) {
            throw new IllegalStateException("not plugged");
        }
        plugged = false;
        for (Pending pending = plugList.pollFirst(); pending != null; pending = plugList.pollFirst()) {
            append(dispatch, pending);
        }
    }

    /** Whether bios are being collected. */
    public boolean isPlugged() {
        return plugged;
    }

    /** Queues {@code bio}: into the plug list while plugged, else into the dispatch queue. */
    public void submit(Bio bio) {
        requireNonNull(bio, "bio");
        append(plugged ? plugList : dispatch, new Pending(bio));
    }

    /**
     * The next request to perform, counted in flight from now on; {@code null} if the dispatch
     * queue is empty or a FLUSH barrier holds it (see the class comment).
     */
    public DeviceRequest poll() {
        Pending head = dispatch.peekFirst();
        if (flushInFlight || head == null || (head.isFlush() && !inFlight.isEmpty())) {
            return null;
        }
        dispatch.removeFirst();
        DeviceRequest request = head.toRequest();
        inFlight.add(request);
        flushInFlight = request.isFlush();
        return request;
    }

    /**
     * Marks {@code request}, handed out by {@link #poll()}, as finished.
     *
     * @throws IllegalArgumentException if it is not in flight
     */
    public void complete(DeviceRequest request) {
        requireNonNull(request, "request");
        if (!inFlight.remove(request)) {
            throw new IllegalArgumentException("request not in flight: " + request);
        }
        if (request.isFlush()) {
            flushInFlight = false;
        }
    }

    /**
     * Removes every request not yet handed out (dispatch queue first, then the plug list) and
     * returns them in order; requests in flight stay in flight, and the plug stays as it was.
     */
    public List<DeviceRequest> cancelQueued() {
        List<DeviceRequest> cancelled = new ArrayList<>(dispatch.size() + plugList.size());
        for (Pending pending : dispatch) {
            cancelled.add(pending.toRequest());
        }
        for (Pending pending : plugList) {
            cancelled.add(pending.toRequest());
        }
        dispatch.clear();
        plugList.clear();
        return cancelled;
    }

    /** Requests not yet handed out, plugged ones included. */
    public int queued() {
        return dispatch.size() + plugList.size();
    }

    /** Requests handed out and not yet completed. */
    public int inFlight() {
        return inFlight.size();
    }

    /** Whether nothing is queued, plugged or in flight. */
    public boolean isIdle() {
        return queued() == 0 && inFlight.isEmpty();
    }

    /** Adds {@code pending} at the end of {@code list}, then merges the last two while they fit. */
    private void append(Deque<Pending> list, Pending pending) {
        list.addLast(pending);
        while (list.size() >= 2) {
            Pending last = list.removeLast();
            Pending previous = list.getLast();
            if (!previous.absorb(last, maxRequestBytes)) {
                list.addLast(last);
                return;
            }
        }
    }

    /** A queued request while it may still grow: one bio, or several merged. */
    private static final class Pending {
        private final Bio first;
        private final Deque<Segment> segments;
        private final List<Bio> carried = new ArrayList<>(1);
        private long startSector;
        private long endSector;

        Pending(Bio bio) {
            first = bio;
            segments = new ArrayDeque<>(bio.segments());
            carried.add(bio);
            startSector = bio.startSector();
            endSector = bio.endSector();
        }

        boolean isFlush() {
            return first.op() == BioOp.FLUSH;
        }

        /** Merges {@code later}, queued right after this, into this if the class rules allow. */
        boolean absorb(Pending later, long maxRequestBytes) {
            Bio other = later.first;
            boolean back = endSector == later.startSector;
            boolean front = later.endSector == startSector;
            if (isFlush() || other.op() != first.op() || !other.flags().equals(first.flags())
                    || other.inode() != first.inode() || !(back || front)
                    || bytes() + later.bytes() > maxRequestBytes
                    || segments.size() + later.segments.size() > Bio.MAX_SEGMENTS) {
                return false;
            }
            if (back) {
                segments.addAll(later.segments);
                endSector = later.endSector;
            } else {
                for (Iterator<Segment> it = later.segments.descendingIterator(); it.hasNext(); ) {
                    segments.addFirst(it.next());
                }
                startSector = later.startSector;
            }
            carried.addAll(later.carried);
            return true;
        }

        /** The length in bytes: the sectors from start to end, since segments are whole sectors. */
        long bytes() {
            return (endSector - startSector) * BlockDevice.SECTOR_SIZE;
        }

        DeviceRequest toRequest() {
            if (carried.size() == 1) {
                return DeviceRequest.of(first);
            }
            Bio merged = new Bio(first.op(), startSector, List.copyOf(segments), first.flags(), first.inode());
            return new DeviceRequest(merged, carried);
        }
    }
}
