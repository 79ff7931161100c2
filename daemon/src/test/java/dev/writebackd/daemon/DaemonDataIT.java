package dev.writebackd.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data through the real jar's HTTP API across restarts: what a drain (SIGTERM) wrote back, what
 * fsync made durable before a SIGKILL, and a drain that cannot finish.
 */
class DaemonDataIT {
    private static final String[] FILES = {"alpha.log", "beta.db", "gamma.tmp"};
    /** Largest file the tests write, with room to read past its end. */
    private static final int READ_ALL = 1 << 20;

    @TempDir
    Path tmp;

    /** Deterministic, file-specific contents: byte {@code i} of file {@code f} never 0. */
    private static byte[] bytes(int file, int length, long seed) {
        byte[] data = new byte[length];
        new Random(seed).nextBytes(data);
        for (int i = 0; i < length; i++) {
            data[i] = (byte) ((data[i] & 0xF0) | (file + 1));
        }
        return data;
    }

    /** Writes three pieces per file — page-aligned, unaligned across pages, and past a hole — and returns the contents. */
    private static byte[] writePieces(ApiClient api, long handle, int file) {
        byte[] a = bytes(file, 3 * 4096, 10 + file);
        byte[] b = bytes(file, 5000, 20 + file);
        byte[] c = bytes(file, 70_000, 30 + file);
        api.write(handle, 0, a);
        api.write(handle, 10_000, b);
        api.write(handle, 40_000 + 4096L * file, c);
        byte[] whole = new byte[40_000 + 4096 * file + c.length];
        System.arraycopy(a, 0, whole, 0, a.length);
        System.arraycopy(b, 0, whole, 10_000, b.length);
        System.arraycopy(c, 0, whole, 40_000 + 4096 * file, c.length);
        return whole;
    }

    private static byte[] readWhole(ApiClient api, String name) {
        HttpResponse<byte[]> response = api.readFile(name, READ_ALL);
        assertThat(response.statusCode()).as("read %s", name).isEqualTo(200);
        return response.body();
    }

    @Test
    void dataInSeveralFilesIsReadBackAndADrainOnSigtermKeepsAllOfItForTheNextStart() {
        Path dataDir = tmp.resolve("data");
        Map<String, byte[]> expected = new LinkedHashMap<>();
        try (DaemonProcess daemon = DaemonProcess.start(dataDir, "--device-size", "64m")) {
            ApiClient api = new ApiClient(daemon);
            for (int f = 0; f < FILES.length; f++) {
                long handle = api.open(FILES[f]);
                expected.put(FILES[f], writePieces(api, handle, f));
                if (f < 2) {
                    api.fsync(handle); // the last file is left dirty for the drain
                }
                assertThat(api.read(handle, 0, READ_ALL)).isEqualTo(expected.get(FILES[f]));
                assertThat(api.read(handle, 10_000, 5000)).isEqualTo(Arrays.copyOfRange(expected.get(FILES[f]),
                        10_000, 15_000));
            }
            assertThat(daemon.terminate()).isEqualTo(ExitCodes.OK);
            assertThat(daemon.stdout()).anyMatch(line -> line.contains("everything was written back"));
        }
        try (DaemonProcess again = DaemonProcess.start(dataDir, "--device-size", "64m")) {
            ApiClient api = new ApiClient(again);
            expected.forEach((name, contents) -> assertThat(readWhole(api, name)).as(name).isEqualTo(contents));
            assertThat(again.terminate()).isEqualTo(ExitCodes.OK);
        }
    }

    @Test
    void whatFsyncAcknowledgedSurvivesSigkill() {
        Path dataDir = tmp.resolve("data");
        byte[] alpha;
        byte[] beta;
        byte[] unsynced = bytes(2, 50_000, 99);
        try (DaemonProcess daemon = DaemonProcess.start(dataDir, "--device-size", "64m")) {
            ApiClient api = new ApiClient(daemon);
            long a = api.open(FILES[0]);
            alpha = writePieces(api, a, 0);
            api.fsync(a);
            long b = api.open(FILES[1]);
            beta = writePieces(api, b, 1);
            api.fsync(b);
            long c = api.open(FILES[2]);
            api.write(c, 0, unsynced);

            assertThat(daemon.kill()).isNotEqualTo(ExitCodes.OK);
        }
        try (DaemonProcess again = DaemonProcess.start(dataDir, "--device-size", "64m")) {
            ApiClient api = new ApiClient(again);
            assertThat(readWhole(api, FILES[0])).isEqualTo(alpha);
            assertThat(readWhole(api, FILES[1])).isEqualTo(beta);
            HttpResponse<byte[]> gamma = api.readFile(FILES[2], READ_ALL);
            if (gamma.statusCode() == 200) {
                // never fsync'd: any prefix of it, holes, or nothing; never another file's bytes
                byte[] read = gamma.body();
                assertThat(read.length).isLessThanOrEqualTo(unsynced.length);
                for (int i = 0; i < read.length; i++) {
                    assertThat(read[i]).as("gamma byte %d", i).isIn((byte) 0, unsynced[i]);
                }
            } else {
                assertThat(gamma.statusCode()).isEqualTo(404);
            }
            assertThat(again.terminate()).isEqualTo(ExitCodes.OK);
        }
    }

    @Test
    void aDrainThatCannotFinishNamesWhatIsStillDirtyAndExits3() throws IOException {
        Path config = Files.writeString(tmp.resolve("impatient.conf"), "writebackd.engine.shutdown-timeout = 1 ns\n");
        try (DaemonProcess daemon = DaemonProcess.start(tmp.resolve("data"), "--device-size", "64m",
                "--config", config.toString())) {
            ApiClient api = new ApiClient(daemon);
            long handle = api.open("pending.log");
            api.write(handle, 0, bytes(0, 8192, 7));

            assertThat(daemon.terminate()).isEqualTo(ExitCodes.DRAIN_INCOMPLETE);

            assertThat(daemon.stdout()).anySatisfy(line -> assertThat(line)
                    .contains("ERROR", "writebackd stopped without writing everything back", "pending.log", "[0, 8192)"));
        }
    }
}
