package dev.writebackd.daemon.http;

import static dev.writebackd.daemon.http.ApiFixture.PAGE;
import static dev.writebackd.daemon.http.ApiFixture.filled;
import static dev.writebackd.daemon.http.ApiFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every route's success path, driven over HTTP against a real engine. */
class HttpApiDataTest {
    @RegisterExtension
    static final ApiFixture api = new ApiFixture();

    @Test
    void openWriteReadFsyncTruncateSyncfsAndCloseAHandle() {
        HttpResponse<byte[]> opened = api.send("POST", "/v1/handles", "{\"file\": \"h1\", \"create\": true}");
        assertThat(opened.statusCode()).isEqualTo(201);
        long handle = json(opened).get("handle").asLong();
        assertThat(json(opened).get("inode").asLong()).isPositive();
        String base = "/v1/handles/" + handle;

        HttpResponse<byte[]> written = api.send("PUT", base + "/data?offset=100", "hello, world");
        assertThat(written.statusCode()).isEqualTo(200);
        assertThat(json(written).get("written").asLong()).isEqualTo(12);

        HttpResponse<byte[]> read = api.send("GET", base + "/data?offset=100&length=5");
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
        assertThat(new String(read.body())).isEqualTo("hello");
        assertThat(api.send("GET", base + "/data?offset=107&length=100").body()).isEqualTo("world".getBytes());
        assertThat(api.send("GET", base + "/data?offset=0&length=4").body()).isEqualTo(new byte[4]);

        assertThat(api.send("POST", base + "/fsync").statusCode()).isEqualTo(204);
        assertThat(api.send("POST", base + "/truncate?size=105").statusCode()).isEqualTo(204);
        assertThat(api.send("GET", base + "/data?offset=100&length=100").body()).isEqualTo("hello".getBytes());
        assertThat(api.send("POST", base + "/syncfs").statusCode()).isEqualTo(204);
        assertThat(api.send("DELETE", base).statusCode()).isEqualTo(204);
        assertThat(api.engine().handle(handle)).isEmpty();
    }

    @Test
    void openingWithoutCreateFindsAnExistingFile() {
        api.send("PUT", "/v1/files/existing", "x");

        HttpResponse<byte[]> opened = api.send("POST", "/v1/handles", "{\"file\": \"existing\"}");

        assertThat(opened.statusCode()).isEqualTo(201);
        long handle = json(opened).get("handle").asLong();
        assertThat(api.send("GET", "/v1/handles/" + handle + "/data?offset=0").body()).isEqualTo("x".getBytes());
    }

    @Test
    void aBodyOfManyBatchesAtAnUnalignedOffsetIsWrittenWholeAndReadBackWhole() {
        long handle = api.open("big");
        byte[] body = filled(3 * (1 << 20) + 12345, 7); // four batches, the first ending at 1 MiB
        int offset = PAGE + 17;

        HttpResponse<byte[]> written = api.send("PUT", "/v1/handles/" + handle + "/data?offset=" + offset, body);

        assertThat(json(written).get("written").asLong()).isEqualTo(body.length);
        byte[] back = api.send("GET", "/v1/handles/" + handle + "/data?offset=" + offset).body();
        assertThat(back.length).isEqualTo(body.length);
        assertThat(Arrays.equals(back, body)).isTrue();
        byte[] whole = api.read("big");
        assertThat(whole.length).isEqualTo(offset + body.length);
        assertThat(Arrays.copyOfRange(whole, offset, whole.length)).isEqualTo(body);
    }

    @Test
    void aSyncedWriteIsAnsweredOnceOnTheDevice() {
        long handle = api.open("synced");
        byte[] page = filled(PAGE, 3);

        HttpResponse<byte[]> written = api.send("PUT", "/v1/handles/" + handle + "/data?offset=0&durability=synced", page);

        assertThat(written.statusCode()).isEqualTo(200);
        assertThat(api.engine().stats().toCompletableFuture().join().dirtyPages()).isZero();
        assertThat(api.device.requests().stream().anyMatch(r -> r.op() == dev.writebackd.block.BioOp.WRITE
                && Arrays.equals(r.dataBytes(), page))).isTrue();
    }

    @Test
    void oneShotFormsWriteReadFsyncRenameListAndDelete() {
        assertThat(json(api.send("PUT", "/v1/files/one", "abcdef")).get("written").asLong()).isEqualTo(6);
        assertThat(json(api.send("PUT", "/v1/files/one?offset=6", "ghi")).get("written").asLong()).isEqualTo(3);
        assertThat(api.read("one")).isEqualTo("abcdefghi".getBytes());
        assertThat(api.send("GET", "/v1/files/one?offset=2&length=3").body()).isEqualTo("cde".getBytes());
        assertThat(api.send("POST", "/v1/files/one/fsync").statusCode()).isEqualTo(204);

        assertThat(api.send("POST", "/v1/files/one/rename", "{\"to\": \"two\"}").statusCode()).isEqualTo(204);
        assertThat(api.read("two")).isEqualTo("abcdefghi".getBytes());
        JsonNode files = json(api.send("GET", "/v1/files")).get("files");
        JsonNode two = null;
        for (JsonNode file : files) {
            assertThat(file.get("name").asText()).isNotEqualTo("one");
            if (file.get("name").asText().equals("two")) {
                two = file;
            }
        }
        assertThat(two).isNotNull();
        assertThat(two.get("size").asLong()).isEqualTo(9);
        assertThat(two.get("inode").asLong()).isPositive();

        assertThat(api.send("DELETE", "/v1/files/two").statusCode()).isEqualTo(204);
        assertThat(api.send("GET", "/v1/files/two").statusCode()).isEqualTo(404);
        assertThat(api.engine().stats().toCompletableFuture().join().openHandles())
                .as("one-shot forms close their handles").isEqualTo(openHandlesOfOtherTests());
    }

    @Test
    void renameReplacesAnExistingTarget() {
        api.send("PUT", "/v1/files/source", "new");
        api.send("PUT", "/v1/files/target", "old contents");

        assertThat(api.send("POST", "/v1/files/source/rename", "{\"to\": \"target\"}").statusCode()).isEqualTo(204);

        assertThat(api.read("target")).isEqualTo("new".getBytes());
    }

    @Test
    void syncStatsMetricsAndHealthAnswer() {
        api.send("PUT", "/v1/files/dirty", filled(2 * PAGE, 1));

        assertThat(api.send("POST", "/v1/sync").statusCode()).isEqualTo(204);
        HttpResponse<byte[]> stats = api.send("GET", "/v1/stats");
        assertThat(stats.statusCode()).isEqualTo(200);
        JsonNode counters = json(stats);
        for (String key : new String[] {"dirtyPages", "writebackPages", "backgroundThresholdPages",
                "dirtyThresholdPages", "biosSubmitted", "pagesWritten", "writeErrors", "throttledWriters"}) {
            assertThat(counters.get(key)).as(key).isNotNull();
            assertThat(counters.get(key).isIntegralNumber()).as(key).isTrue();
        }
        assertThat(counters.get("dirtyPages").asLong()).isZero();
        assertThat(counters.get("dirtyThresholdPages").asLong()).isEqualTo(32L * 256 * 20 / 100);
        assertThat(counters.get("pagesWritten").asLong()).isPositive();

        api.metricsText.set("writebackd_pages_written_total 42\n");
        HttpResponse<byte[]> metrics = api.send("GET", "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElseThrow())
                .startsWith("text/plain").contains("version=0.0.4");
        assertThat(new String(metrics.body())).isEqualTo("writebackd_pages_written_total 42\n");

        HttpResponse<byte[]> health = api.send("GET", "/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(json(health).get("status").asText()).isEqualTo("ready");
    }

    @Test
    void aPowerCutWithoutAVolatileCacheIsAConflict() {
        HttpResponse<byte[]> response = api.send("POST", "/v1/faults/power-cut");

        ApiFixture.assertError(response, 409, "ENOTSUP");
        assertThat(json(response).get("message").asText()).contains("writebackd.faults.volatile-cache = on");
    }

    /** Handles the other tests of this class left open (they share the engine). */
    private static int openHandlesOfOtherTests() {
        return (int) java.util.stream.LongStream.rangeClosed(1, 1000).filter(id -> api.engine().handle(id).isPresent())
                .count();
    }
}
