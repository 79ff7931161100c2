package dev.writebackd.actors.io;

import dev.writebackd.block.Bio;
import dev.writebackd.block.DelegatingDevice;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.error.Errno;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test device in front of a {@link MemoryDevice}: each {@code submit} records its bio and thread,
 * then waits for a gate the test opens ({@link #open(int)} lets that many requests through), so
 * tests see exactly which requests are inside the device at once. Thread-safe.
 */
final class GatedDevice extends DelegatingDevice {
    private final Semaphore gate = new Semaphore(0);
    private final AtomicInteger inside = new AtomicInteger();
    private final AtomicInteger maxInside = new AtomicInteger();
    private final List<Bio> entered = new CopyOnWriteArrayList<>();
    private final Set<String> threads = ConcurrentHashMap.newKeySet();
    private volatile boolean unlocked;

    GatedDevice(MemoryDevice target) {
        super(target);
    }

    /** A device that lets every request through at once, still recording them. */
    static GatedDevice open(MemoryDevice target) {
        GatedDevice device = new GatedDevice(target);
        device.openForGood();
        return device;
    }

    @Override
    public Errno submit(Bio bio) {
        threads.add(Thread.currentThread().getName());
        entered.add(bio);
        maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
        try {
            if (!unlocked) {
                gate.acquire();
            }
            return target.submit(bio);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Errno.EIO;
        } finally {
            inside.decrementAndGet();
        }
    }

    /** Lets {@code requests} more requests through. */
    void open(int requests) {
        gate.release(requests);
    }

    /** Lets every request through, now and later. */
    void openForGood() {
        unlocked = true;
        gate.release(1024); // wakes those already waiting; later ones see the flag
    }

    /** Requests inside {@code submit} now (waiting at the gate or performing). */
    int inside() {
        return inside.get();
    }

    /** The most requests ever inside {@code submit} at once. */
    int maxInside() {
        return maxInside.get();
    }

    /** The bios that entered {@code submit}, in the order they did. */
    List<Bio> entered() {
        return List.copyOf(entered);
    }

    /** The names of the threads that called {@code submit}. */
    Set<String> threads() {
        return Set.copyOf(threads);
    }
}
