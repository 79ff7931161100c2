package dev.writebackd.daemon.crashcheck;

import static java.util.Objects.requireNonNull;

import dev.writebackd.actors.Engine;
import dev.writebackd.actors.FileInfo;
import dev.writebackd.actors.Handle;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the workload's operations on one engine, keeping the {@link CrashModel} in step: each
 * operation is applied to the model before the engine is asked, an fsync's durability only once
 * the engine acknowledged it. Keeps one open handle per file. One thread at a time.
 */
final class EngineDriver {
    /** The longest an operation may take before the seed fails. */
    static final Duration WAIT = Duration.ofSeconds(60);

    private final Engine engine;
    private final CrashModel model;
    private final CompletableFuture<?> cut;
    private final Map<Long, Handle> handles = new HashMap<>();

    /**
     * A driver of {@code engine} for {@code model}; waiting for an operation stops early when
     * {@code cut} completes (the power went while the operation ran).
     */
    EngineDriver(Engine engine, CrashModel model, CompletableFuture<?> cut) {
        this.engine = requireNonNull(engine, "engine");
        this.model = requireNonNull(model, "model");
        this.cut = requireNonNull(cut, "cut");
    }

    /** The operation failed with no power cut to explain it. */
    static final class OpFailed extends Exception {
        private static final long serialVersionUID = 1L;

        OpFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Performs {@code op}. Returns normally when it succeeded or the power went while it ran (then
     * its effects are left as "maybe done").
     *
     * @throws OpFailed when it failed, or took longer than {@link #WAIT}, with the power on
     */
    void perform(Op op) throws OpFailed {
        if (op instanceof Op.Create create) {
            Answer<Handle> opened = await(op, engine.open(create.name(), true));
            if (opened.answered()) {
                model.created(create.name(), opened.value().inode());
                handles.put(opened.value().inode(), opened.value());
            }
        } else if (op instanceof Op.Write write) {
            long inode = inode(write.name());
            byte[] data = Pattern.bytes(inode, write.writeId(), write.offset(), write.length());
            model.write(inode, write.offset(), data);
            await(op, engine.write(handles.get(inode), write.offset(), ByteBuffer.wrap(data)));
        } else if (op instanceof Op.Truncate truncate) {
            long inode = inode(truncate.name());
            model.truncate(inode, truncate.size());
            await(op, engine.truncate(handles.get(inode), truncate.size()));
        } else if (op instanceof Op.Rename rename) {
            Long replaced = model.inodeOf(rename.to()).orElse(null);
            model.renamed(rename.from(), rename.to());
            if (await(op, engine.rename(rename.from(), rename.to())).answered() && replaced != null) {
                await(op, engine.close(handles.remove(replaced)));
            }
        } else if (op instanceof Op.Unlink unlink) {
            long inode = inode(unlink.name());
            model.unlinked(unlink.name());
            if (await(op, engine.unlink(unlink.name())).answered()) {
                await(op, engine.close(handles.remove(inode)));
            }
        } else if (op instanceof Op.Fsync fsync) {
            long inode = inode(fsync.name());
            if (await(op, engine.fsync(handles.get(inode))).answered()) {
                model.fsynced(inode);
            }
        } else if (op instanceof Op.Sync) {
            await(op, engine.sync());
        }
    }

    /**
     * Reads every file whole, opening a handle on each for the workload that follows.
     *
     * @throws OpFailed when the engine cannot list or read them
     */
    Recovered readAll() throws OpFailed {
        Map<String, Recovered.File> files = new LinkedHashMap<>();
        List<FileInfo> infos = join("list the files", engine.files());
        for (FileInfo info : infos) {
            Handle handle = join("open " + info.name(), engine.open(info.name(), false));
            handles.put(handle.inode(), handle);
            byte[] bytes = new byte[0];
            if (info.size() > 0) {
                ByteBuffer read = join("read " + info.name(), engine.read(handle, 0, Math.toIntExact(info.size())));
                bytes = new byte[read.remaining()];
                read.get(bytes);
            }
            files.put(info.name(), new Recovered.File(info.inode(), bytes));
        }
        return new Recovered(files);
    }

    private long inode(String name) {
        return model.inodeOf(name).orElseThrow(() -> new IllegalStateException("the workload names no file " + name));
    }

    /**
     * An operation's answer.
     *
     * @param answered whether it answered before the power went (else it is maybe done)
     * @param value its value when answered
     */
    private record Answer<T>(boolean answered, T value) {}

    /** Waits for the stage, or for the power to go while it runs. */
    private <T> Answer<T> await(Op op, CompletionStage<T> stage) throws OpFailed {
        CompletableFuture<T> answer = stage.toCompletableFuture();
        try {
            CompletableFuture.anyOf(answer, cut).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!cut.isDone()) {
                throw new OpFailed(op + " failed: " + e.getCause(), e.getCause());
            }
        } catch (TimeoutException e) {
            throw new OpFailed(op + " did not answer within " + WAIT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpFailed(op + " was interrupted", e);
        }
        return cut.isDone() ? new Answer<>(false, null) : new Answer<>(true, answer.join());
    }

    private <T> T join(String what, CompletionStage<T> stage) throws OpFailed {
        try {
            return stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new OpFailed("could not " + what + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new OpFailed("could not " + what + " within " + WAIT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OpFailed("interrupted while trying to " + what, e);
        }
    }
}
