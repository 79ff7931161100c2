package dev.writebackd.actors.persist;

import static org.assertj.core.api.Assertions.fail;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * What an {@link EngineWriterMain}-style child reported before it was killed (the last step it
 * started and the steps whose fsync was acknowledged), and the files' durable bytes replayed from it.
 */
final class EngineWorkloadProgress implements ChildJvm.Progress {
    private final String who;
    private final int killAfterSyncs;
    private final Set<Integer> synced = new HashSet<>();
    private boolean ready;
    private int lastStarted = -1;

    /** Progress of the child of round {@code who}, enough once ready and {@code killAfterSyncs} fsyncs are acknowledged. */
    EngineWorkloadProgress(String who, int killAfterSyncs) {
        this.who = who;
        this.killAfterSyncs = killAfterSyncs;
    }

    @Override
    public void accept(String line) {
        if (line.startsWith("FAILED")) {
            fail("%s: %s", who, line);
        }
        ready |= line.equals(EngineWriterMain.READY);
        if (line.startsWith("START ")) {
            lastStarted = Integer.parseInt(line.substring(6));
        }
        if (line.startsWith("SYNCED ")) {
            synced.add(Integer.parseInt(line.substring(7)));
        }
    }

    @Override
    public boolean enough() {
        return ready && synced.size() >= killAfterSyncs;
    }

    /**
     * Each file's bytes as of its last acknowledged fsync, and which of them were written since,
     * replaying the steps of {@code childSeed} up to the last started on files that held {@code before}.
     */
    Durable replay(byte[][] before, long childSeed) {
        int files = EngineWorkload.FILES;
        byte[][] model = new byte[files][];
        byte[][] durable = new byte[files][];
        boolean[][] changed = new boolean[files][EngineWorkload.MAX_FILE];
        for (int f = 0; f < files; f++) {
            model[f] = before[f].clone();
            durable[f] = before[f].clone();
        }
        EngineWorkload workload = new EngineWorkload(childSeed);
        for (int n = 0; n <= lastStarted; n++) {
            EngineWorkload.Step step = workload.next();
            int f = step.file();
            if (step.data() == null) {
                if (synced.contains(n)) {
                    durable[f] = model[f].clone();
                    Arrays.fill(changed[f], false);
                }
                continue;
            }
            int end = (int) step.offset() + step.data().length;
            if (model[f].length < end) {
                model[f] = Arrays.copyOf(model[f], end);
            }
            System.arraycopy(step.data(), 0, model[f], (int) step.offset(), step.data().length);
            Arrays.fill(changed[f], (int) step.offset(), end, true);
        }
        return new Durable(durable, changed);
    }

    /** Each file's fsync'd bytes, and per byte whether it was written after that fsync. */
    record Durable(byte[][] bytes, boolean[][] changed) {}
}
