package dev.writebackd.daemon;

import static dev.writebackd.daemon.FaultLab.json;
import static dev.writebackd.daemon.FaultLab.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.writebackd.block.fault.Seeds;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** POST /v1/faults/power-cut against a daemon in this JVM, with the fault-lab preset. */
class DaemonPowerCutTest {
    private static final long RUN_SEED = 4242;
    /** The fault-lab preset, a fixed run seed, and writeback at once so unsynced data reaches the cache. */
    private static final String LAB = """
            preset = fault-lab
            faults.seed = %d
            writeback {
              dirty-background-ratio = 0
              dirty-expire-interval = 0
              writeback-interval = 50 ms
            }
            """.formatted(RUN_SEED);

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"drop-unflushed", "random"})
    void fsyncedDataSurvivesAPowerCutOldHandlesAreStaleAndNewOnesWork(String mode) {
        try (FaultLab lab = FaultLab.start(tmp, LAB)) {
            byte[] a = bytes(20_000, 1);
            byte[] oldB = bytes(12_288, 2);
            byte[] newB = bytes(16_384, 3);
            long fileA = lab.open("a");
            long fileB = lab.open("b");
            lab.write(fileA, 0, a);
            lab.fsync(fileA);
            lab.write(fileB, 0, oldB);
            lab.fsync(fileB);
            lab.write(fileB, 0, newB); // never fsync'd
            await().until(() -> lab.stat("dirtyPages") == 0 && lab.stat("writebackPages") == 0);

            HttpResponse<byte[]> cut = lab.send("POST", "/v1/faults/power-cut",
                    "{\"mode\": \"" + mode + "\", \"seed\": 99}");

            assertThat(cut.statusCode()).as(text(cut)).isEqualTo(200);
            assertThat(json(cut).get("seed").asLong()).isEqualTo(99);
            assertThat(json(cut).get("droppedSectors").asLong()).isNotNegative();
            assertErrno(lab.send("GET", "/v1/handles/" + fileA + "/data?offset=0&length=10", null), 404, "ESTALE");
            assertErrno(lab.send("POST", "/v1/handles/" + fileB + "/fsync", null), 404, "ESTALE");
            long again = lab.open("a");
            assertThat(again).isGreaterThan(fileB);
            assertThat(lab.read(again, 64 * 1024)).isEqualTo(a);
            byte[] b = lab.read(lab.open("b"), 64 * 1024);
            assertThat(b.length).isBetween(oldB.length, newB.length);
            for (int i = 0; i < b.length; i++) {
                boolean old = i < oldB.length && b[i] == oldB[i];
                if (!old && b[i] != newB[i] && b[i] != 0) {
                    throw new AssertionError("byte " + i + " of b is neither old, new nor zero");
                }
            }
            long fresh = lab.open("c");
            lab.write(fresh, 0, bytes(5000, 4));
            lab.fsync(fresh);
            assertThat(lab.read(fresh, 8192)).isEqualTo(bytes(5000, 4));
            assertThat(lab.stop()).isEqualTo(ExitCodes.OK);
        }
    }

    @Test
    void aCutWithoutASeedDerivesItFromTheRunSeedAndTheCutsNumber() {
        try (FaultLab lab = FaultLab.start(tmp, LAB)) {
            HttpResponse<byte[]> first = lab.send("POST", "/v1/faults/power-cut", "{\"mode\": \"random\"}");
            HttpResponse<byte[]> second = lab.send("POST", "/v1/faults/power-cut", null); // defaults: drop-unflushed

            assertThat(first.statusCode()).as(text(first)).isEqualTo(200);
            assertThat(json(first).get("seed").asLong()).isEqualTo(Seeds.derive(RUN_SEED, "power-cut", 1));
            assertThat(json(second).get("seed").asLong()).isEqualTo(Seeds.derive(RUN_SEED, "power-cut", 2));
            assertThat(lab.send("GET", "/health", null).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void badRequestsAreRefusedNamingTheKeyAndCutNothing() {
        try (FaultLab lab = FaultLab.start(tmp, LAB)) {
            long handle = lab.open("kept");

            assertErrno(lab.send("POST", "/v1/faults/power-cut", "{\"mode\": \"sideways\"}"), 400, "EINVAL", "mode");
            assertErrno(lab.send("POST", "/v1/faults/power-cut", "{\"mode\": 3}"), 400, "EINVAL", "mode");
            assertErrno(lab.send("POST", "/v1/faults/power-cut?seed=3", "{}"), 400, "EINVAL", "seed");
            assertErrno(lab.send("POST", "/v1/faults/power-cut", "{\"mode\": \"random\", \"seed\": \"x\"}"), 400,
                    "EINVAL", "seed");
            assertErrno(lab.send("POST", "/v1/faults/power-cut", "{\"mode\": \"random\", \"seed\": 1.5}"), 400,
                    "EINVAL", "seed");
            assertErrno(lab.send("POST", "/v1/faults/power-cut", "{\"mode\": \"random\", \"when\": 1}"), 400,
                    "EINVAL", "when");
            assertErrno(lab.send("POST", "/v1/faults/power-cut", "not json"), 400, "EINVAL");
            assertErrno(lab.send("GET", "/v1/faults/power-cut", null), 405, "ENOTSUP");

            lab.write(handle, 0, bytes(100, 5)); // the handle survived: nothing was cut
            lab.fsync(handle);
        }
    }

    @Test
    void withoutAVolatileCacheAPowerCutIsAConflict() {
        try (FaultLab lab = FaultLab.start(tmp, "faults.volatile-cache = off")) {
            long handle = lab.open("kept");

            assertErrno(lab.send("POST", "/v1/faults/power-cut", "{\"mode\": \"random\"}"), 409, "ENOTSUP",
                    "volatile-cache");

            lab.write(handle, 0, bytes(100, 6));
            lab.fsync(handle);
        }
    }

    private static void assertErrno(HttpResponse<byte[]> response, int status, String errno, String... mentions) {
        assertThat(response.statusCode()).as(text(response)).isEqualTo(status);
        JsonNode body = json(response);
        assertThat(body.get("errno").asText()).isEqualTo(errno);
        for (String mention : mentions) {
            assertThat(body.get("message").asText()).contains(mention);
        }
    }

    private static byte[] bytes(int length, int seed) {
        byte[] bytes = new byte[length];
        Random random = new Random(seed);
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (1 + random.nextInt(255));
        }
        return bytes;
    }
}
