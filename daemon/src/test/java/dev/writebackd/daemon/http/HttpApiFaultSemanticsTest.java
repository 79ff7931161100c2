package dev.writebackd.daemon.http;

import static dev.writebackd.daemon.http.ApiFixture.PAGE;
import static dev.writebackd.daemon.http.ApiFixture.assertError;
import static dev.writebackd.daemon.http.ApiFixture.filled;
import static dev.writebackd.daemon.http.ApiFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.writebackd.block.BioOp;
import dev.writebackd.block.MemoryDevice.Request;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Linux's error semantics over HTTP with fault rules doing the failing: E4 per handle, the three
 * error policies under a failing-then-healing rule, and sync that always answers 204 (E6).
 */
class HttpApiFaultSemanticsTest {
    @RegisterExtension
    static final ApiFixture api = new ApiFixture();

    @AfterEach
    void reset() {
        assertThat(api.send("DELETE", "/v1/faults").statusCode()).isEqualTo(204);
        assertThat(api.send("PATCH", "/v1/policy", "{\"errorPolicy\": \"linux\"}").statusCode()).isEqualTo(200);
    }

    private static void addRule(String rule) {
        HttpResponse<byte[]> response = api.send("POST", "/v1/faults", rule);
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(201);
    }

    private static void policy(String name) {
        assertThat(api.send("PATCH", "/v1/policy", "{\"errorPolicy\": \"" + name + "\"}").statusCode()).isEqualTo(200);
    }

    /** Opens {@code name}, creating it; answers {handle, inode}. */
    private static long[] open(String name) {
        HttpResponse<byte[]> response = api.send("POST", "/v1/handles", "{\"file\": \"" + name + "\", \"create\": true}");
        assertThat(response.statusCode()).isEqualTo(201);
        return new long[] {json(response).get("handle").asLong(), json(response).get("inode").asLong()};
    }

    private static void write(long handle, byte[] data) {
        assertThat(api.send("PUT", "/v1/handles/" + handle + "/data?offset=0", data).statusCode()).isEqualTo(200);
    }

    private static HttpResponse<byte[]> fsync(long handle) {
        return api.send("POST", "/v1/handles/" + handle + "/fsync");
    }

    private static void sync() {
        assertThat(api.send("POST", "/v1/sync").statusCode()).isEqualTo(204);
    }

    private static List<Request> landed(long inode) {
        return api.device.requests().stream()
                .filter(r -> r.op() == BioOp.WRITE && r.inode() == inode && !r.failed()).toList();
    }

    private static long heldPages() {
        return json(api.send("GET", "/v1/stats")).get("heldPages").asLong();
    }

    @Test
    @DisplayName("E4 over HTTP with a write-EIO rule: each handle open at the error, or opened before it is "
            + "seen, reports EIO once, then 204; a handle opened after it was seen reports nothing; sync answers 204 (E6)")
    void eachHandleReportsTheErrorOnce() {
        long a = open("e4")[0];
        long b = open("e4")[0];
        write(a, filled(PAGE, 1));
        addRule("{\"op\": \"write\", \"action\": \"error\", \"errno\": \"EIO\", \"file\": \"e4\"}");

        sync();
        long c = open("e4")[0];

        assertError(fsync(a), 500, "EIO");
        assertThat(fsync(a).statusCode()).isEqualTo(204);
        assertError(fsync(b), 500, "EIO");
        assertThat(fsync(b).statusCode()).isEqualTo(204);
        assertError(fsync(c), 500, "EIO");
        assertThat(fsync(c).statusCode()).isEqualTo(204);
        long d = open("e4")[0];
        assertThat(fsync(d).statusCode()).isEqualTo(204);
        sync();
        for (long handle : new long[] {a, b, c, d}) {
            api.send("DELETE", "/v1/handles/" + handle);
        }
    }

    @Test
    @DisplayName("E5 linux under a failing-then-healing rule: the write is lost, reported once, never retried; "
            + "reads still return it from the cache; sync answers 204 (E6)")
    void linuxLosesTheWrite() {
        long[] file = open("policy-linux");
        write(file[0], filled(PAGE, 2));
        addRule("{\"op\": \"write\", \"action\": \"error\", \"errno\": \"ENOSPC\", \"file\": \"policy-linux\", \"count\": 1}");

        sync();
        sync();

        assertError(fsync(file[0]), 507, "ENOSPC");
        assertThat(fsync(file[0]).statusCode()).isEqualTo(204);
        assertThat(landed(file[1])).isEmpty();
        assertThat(api.read("policy-linux")).isEqualTo(filled(PAGE, 2));
        api.send("DELETE", "/v1/handles/" + file[0]);
    }

    @Test
    @DisplayName("E5 redirty under a failing-then-healing rule: the page stays dirty and lands once the rule heals; "
            + "the failure is still reported once; sync answers 204 (E6)")
    void redirtyRetriesUntilTheRuleHeals() {
        policy("redirty");
        long[] file = open("policy-redirty");
        write(file[0], filled(PAGE, 3));
        addRule("{\"op\": \"write\", \"action\": \"error\", \"errno\": \"ENOSPC\", \"file\": \"policy-redirty\", \"count\": 1}");

        sync(); // the first attempt fails; the page stays dirty and is retried after its backoff
        assertThat(json(api.send("GET", "/v1/faults")).get("faults").get(0).get("hits").asLong()).isEqualTo(1);
        sync(); // the rule has healed: the retry has landed (during the first sync's wait, or now)

        assertThat(landed(file[1])).singleElement()
                .satisfies(r -> assertThat(r.dataBytes()).isEqualTo(filled(PAGE, 3)));
        assertError(fsync(file[0]), 507, "ENOSPC");
        assertThat(fsync(file[0]).statusCode()).isEqualTo(204);
        api.send("DELETE", "/v1/handles/" + file[0]);
    }

    @Test
    @DisplayName("E5 sticky under a failing-then-healing rule: the page is held and every fsync fails until the "
            + "range is rewritten, then it lands; sync answers 204 (E6)")
    void stickyHoldsThePageUntilRewritten() {
        policy("sticky");
        long[] file = open("policy-sticky");
        write(file[0], filled(PAGE, 4));
        addRule("{\"op\": \"write\", \"action\": \"error\", \"errno\": \"ENOSPC\", \"file\": \"policy-sticky\", \"count\": 1}");

        sync();
        sync();

        assertError(fsync(file[0]), 507, "ENOSPC");
        assertThat(fsync(file[0]).statusCode()).isNotEqualTo(204);
        assertThat(fsync(file[0]).statusCode()).isNotEqualTo(204);
        assertThat(heldPages()).isEqualTo(1);
        assertThat(landed(file[1])).isEmpty();

        write(file[0], filled(PAGE, 5));
        assertThat(fsync(file[0]).statusCode()).isEqualTo(204);
        assertThat(landed(file[1])).singleElement()
                .satisfies(r -> assertThat(r.dataBytes()).isEqualTo(filled(PAGE, 5)));
        assertThat(heldPages()).isZero();
        api.send("DELETE", "/v1/handles/" + file[0]);
    }
}
