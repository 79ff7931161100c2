package dev.writebackd.actors;

import static dev.writebackd.actors.Engines.PAGE;
import static dev.writebackd.actors.Engines.array;
import static dev.writebackd.actors.Engines.bytes;
import static dev.writebackd.actors.Engines.errno;
import static dev.writebackd.actors.Engines.filled;
import static dev.writebackd.actors.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.actors.engine.MetadataCommitter;
import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice;
import dev.writebackd.block.MemoryDevice.Request;
import dev.writebackd.error.Errno;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** fsync, sync and write errors through the Java API (E1–E6), on a memory device that fails on command. */
class EngineErrorsTest {
    private final MemoryDevice device = new MemoryDevice(PAGE, 64L << 20);
    private final List<Integer> commits = new CopyOnWriteArrayList<>();
    private final Engine engine = Engines.start(device, "", layout -> {
        MetadataCommitter inMemory = MetadataCommitter.inMemory(layout);
        return inode -> {
            commits.add(device.requests().size());
            return inMemory.commit(inode);
        };
    });

    @AfterEach
    void shutDown() {
        device.heal();
        Engines.stop(engine);
    }

    private Handle open(String name) {
        return join(engine.open(name, true));
    }

    /** Fails every data write from now on (the device header is written at start, before this). */
    private void failDataWrites() {
        device.failWhen(bio -> bio.op() == BioOp.WRITE, Errno.EIO);
    }

    @Test
    @DisplayName("E4 open A and B; write via A; device fails; sync reports nothing; open C; fsync(A) = EIO, "
            + "fsync(A) again = OK, fsync(B) = EIO once, fsync(C) = EIO once; open D: fsync(D) = OK")
    void eachHandleReportsTheWriteErrorOnce() {
        Handle a = open("file");
        Handle b = open("file");
        join(engine.write(a, 0, bytes(PAGE, 1)));
        failDataWrites();

        assertThat(errno(engine.sync())).isNull();
        Handle c = open("file");

        assertThat(errno(engine.fsync(a))).isEqualTo(Errno.EIO);
        assertThat(errno(engine.fsync(a))).isNull();
        assertThat(errno(engine.fsync(b))).isEqualTo(Errno.EIO);
        assertThat(errno(engine.fsync(b))).isNull();
        assertThat(errno(engine.fsync(c))).isEqualTo(Errno.EIO);
        assertThat(errno(engine.fsync(c))).isNull();
        Handle d = open("file");
        assertThat(errno(engine.fsync(d))).isNull();
    }

    @Test
    @DisplayName("E1 fsync: the data is written, waited for, the device flushed, then the metadata committed")
    void fsyncRunsInOrder() {
        Handle file = open("file");
        join(engine.write(file, 0, bytes(3 * PAGE, 7)));
        device.clearRequests();

        assertThat(errno(engine.fsync(file))).isNull();

        List<Request> requests = device.requests();
        assertThat(requests).extracting(Request::op).containsExactly(BioOp.WRITE, BioOp.FLUSH);
        assertThat(requests.get(0).dataBytes()).isEqualTo(filled(3 * PAGE, 7));
        assertThat(commits).containsExactly(2);
    }

    @Test
    @DisplayName("E1 an unseen write error stops fsync before the flush and the commit")
    void fsyncWithAnErrorNeitherFlushesNorCommits() {
        Handle file = open("file");
        join(engine.write(file, 0, bytes(PAGE, 7)));
        failDataWrites();
        device.clearRequests();

        assertThat(errno(engine.fsync(file))).isEqualTo(Errno.EIO);

        assertThat(device.requests()).extracting(Request::op).containsExactly(BioOp.WRITE);
        assertThat(commits).isEmpty();
    }

    @Test
    @DisplayName("E1 a failed device flush fails fsync with EIO, and the other handles of the file see it once")
    void failedFlushIsSeenByEveryHandle() {
        Handle a = open("file");
        Handle b = open("file");
        join(engine.write(a, 0, bytes(PAGE, 1)));
        device.failNext(BioOp.FLUSH, Errno.EIO, 1);

        assertThat(errno(engine.fsync(a))).isEqualTo(Errno.EIO);
        assertThat(commits).isEmpty();
        assertThat(errno(engine.fsync(b))).isEqualTo(Errno.EIO);
        assertThat(errno(engine.fsync(a))).isNull();
        assertThat(errno(engine.fsync(b))).isNull();
    }

    @Test
    @DisplayName("E2 a write error is recorded for its file and for the device: syncfs of another file's handle sees it")
    void writeErrorIsRecordedForTheFileAndTheDevice() {
        Handle broken = open("broken");
        Handle other = open("other");
        join(engine.write(broken, 0, bytes(PAGE, 1)));
        failDataWrites();
        join(engine.sync());
        device.heal();

        assertThat(errno(engine.fsync(other))).isNull();
        assertThat(errno(engine.syncfs(other))).isEqualTo(Errno.EIO);
        assertThat(errno(engine.syncfs(other))).isNull();
        assertThat(errno(engine.fsync(broken))).isEqualTo(Errno.EIO);
    }

    @Test
    @DisplayName("E5 linux: the failed page stays clean and uptodate, reads return the lost data, it is never retried")
    void failedPageStaysCleanAndUptodate() {
        Handle file = open("file");
        WriteResult lost = join(engine.write(file, 0, bytes(PAGE, 9)));
        failDataWrites();
        join(engine.sync());
        device.heal();
        device.clearRequests();

        assertThat(errno(lost.durable())).isEqualTo(Errno.EIO);
        assertThat(array(join(engine.read(file, 0, PAGE)))).isEqualTo(filled(PAGE, 9));
        join(engine.sync());
        assertThat(device.requests()).extracting(Request::op).doesNotContain(BioOp.WRITE);
        assertThat(join(engine.stats()).dirtyPages()).isZero();
    }

    @Test
    @DisplayName("E6 sync writes back every file and never fails nor consumes errors; fsync still reports them")
    void syncNeverFailsNorConsumesErrors() {
        Handle a = open("a");
        Handle b = open("b");
        join(engine.write(a, 0, bytes(PAGE, 1)));
        join(engine.write(b, 0, bytes(2 * PAGE, 2)));
        device.failWhen(bio -> bio.op() == BioOp.WRITE && bio.lengthBytes() == PAGE, Errno.EIO);

        assertThat(errno(engine.sync())).isNull();
        assertThat(errno(engine.sync())).isNull();

        assertThat(join(engine.stats()).dirtyPages()).isZero();
        assertThat(device.requests()).filteredOn(r -> r.op() == BioOp.WRITE && !r.failed())
                .anySatisfy(r -> assertThat(r.dataBytes()).isEqualTo(filled(2 * PAGE, 2)));
        assertThat(device.requests().get(device.requests().size() - 1).op()).isEqualTo(BioOp.FLUSH);
        assertThat(errno(engine.fsync(a))).isEqualTo(Errno.EIO);
        assertThat(errno(engine.fsync(b))).isNull();
    }
}
