package dev.writebackd.daemon.http;

import static dev.writebackd.daemon.http.ApiFixture.assertError;
import static dev.writebackd.daemon.http.ApiFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.writebackd.config.RuntimePolicy;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** GET and PATCH /v1/policy. */
class HttpApiPolicyTest {
    @RegisterExtension
    static final ApiFixture api = new ApiFixture();

    @Test
    void getListsEveryKey() {
        HttpResponse<byte[]> response = api.send("GET", "/v1/policy");

        assertThat(response.statusCode()).isEqualTo(200);
        List<String> keys = new ArrayList<>();
        json(response).fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactlyElementsOf(RuntimePolicy.KEYS);
        RuntimePolicy current = api.engine().policy();
        assertThat(json(response).get("errorPolicy").asText()).isEqualTo(current.writeback().errorPolicy().configName());
        assertThat(json(response).get("queueDepth").asInt()).isEqualTo(current.queueDepth());
        assertThat(json(response).get("minChunkBytes").asLong()).isEqualTo(current.writeback().minChunkBytes());
    }

    @Test
    void aValidPatchAppliesForTheNextDecisionAndAnswersTheNewPolicy() {
        HttpResponse<byte[]> response = api.send("PATCH", "/v1/policy",
                "{\"dirtyBytes\": 262144, \"dirtyBackgroundRatio\": 2.5, \"retryLimit\": 7, \"queueDepth\": 8}");

        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(200);
        JsonNode policy = json(response);
        assertThat(policy.get("dirtyBytes").asLong()).isEqualTo(262144);
        assertThat(policy.get("dirtyRatio").asDouble()).isZero();
        assertThat(policy.get("dirtyBackgroundRatio").asDouble()).isEqualTo(2.5);
        assertThat(policy.get("retryLimit").asInt()).isEqualTo(7);
        assertThat(policy.get("queueDepth").asInt()).isEqualTo(8);
        assertThat(json(api.send("GET", "/v1/policy"))).isEqualTo(policy);
        assertThat(json(api.send("GET", "/v1/stats")).get("dirtyThresholdPages").asLong()).isEqualTo(64);

        HttpResponse<byte[]> durability = api.send("PATCH", "/v1/policy", "{\"durability\": \"synced\"}");
        assertThat(json(durability).get("durability").asText()).isEqualTo("synced");
        api.send("PUT", "/v1/files/synced-by-default", "data");
        assertThat(json(api.send("GET", "/v1/stats")).get("dirtyPages").asLong()).isZero();
        api.send("PATCH", "/v1/policy", "{\"durability\": \"cached\"}");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"dirtyRatio\": 150}", "{\"dirtyRatio\": \"20\"}", "{\"dirtyBackgroundRatio\": -1}",
        "{\"dirtyBackgroundBytes\": 1.5}", "{\"dirtyBytes\": 0}", "{\"dirtyExpireMs\": -5}",
        "{\"writebackIntervalMs\": \"5 s\"}", "{\"errorPolicy\": \"panic\"}", "{\"errorPolicy\": [\"linux\"]}",
        "{\"retryLimit\": -1}", "{\"retryLimit\": true}", "{\"durability\": \"eventually\"}",
        "{\"durability\": \"journaled\"}", "{\"maxBioSegments\": 300}", "{\"maxBioSegments\": 16}",
        "{\"queueDepth\": 0}", "{\"minChunkBytes\": 1000}", "{\"commitIntervalMs\": 0}",
        "{\"dirtyness\": 10}", "{\"retryLimit\": 2, \"dirtyRatio\": null}"})
    void anInvalidPatchNamesTheKeyAndChangesNothing(String body) {
        JsonNode before = json(api.send("GET", "/v1/policy"));
        String key = body.substring(body.lastIndexOf('{') + 2, body.indexOf('"', body.lastIndexOf('{') + 2));
        String named = body.contains(",") ? "dirtyRatio" : key;

        HttpResponse<byte[]> response = api.send("PATCH", "/v1/policy", body);

        assertError(response, 400, "EINVAL");
        assertThat(json(response).get("message").asText()).contains(named);
        assertThat(json(api.send("GET", "/v1/policy"))).isEqualTo(before);
    }

    @Test
    void malformedBodiesAndWrongMethodsAreRefused() {
        JsonNode before = json(api.send("GET", "/v1/policy"));

        assertError(api.send("PATCH", "/v1/policy", "{\"retryLimit\": "), 400, "EINVAL");
        assertError(api.send("PATCH", "/v1/policy", "[]"), 400, "EINVAL");
        assertError(api.send("PATCH", "/v1/policy?retryLimit=1", "{}"), 400, "EINVAL");
        assertError(api.send("PUT", "/v1/policy", "{\"retryLimit\": 1}"), 405, "ENOTSUP");
        assertError(api.send("POST", "/v1/policy", "{\"retryLimit\": 1}"), 405, "ENOTSUP");

        assertThat(json(api.send("GET", "/v1/policy"))).isEqualTo(before);
        assertThat(json(api.send("PATCH", "/v1/policy", "{}"))).isEqualTo(before);
    }
}
