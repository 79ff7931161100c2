package dev.writebackd.daemon.http;

import static dev.writebackd.daemon.http.ApiFixture.PAGE;
import static dev.writebackd.daemon.http.ApiFixture.assertError;
import static dev.writebackd.daemon.http.ApiFixture.filled;
import static dev.writebackd.daemon.http.ApiFixture.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.writebackd.block.fault.Seeds;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The fault routes: GET, POST and DELETE /v1/faults, DELETE /v1/faults/F, POST /v1/faults/release. */
class HttpApiFaultsTest {
    @RegisterExtension
    static final ApiFixture api = new ApiFixture();

    @AfterEach
    void removeRules() {
        assertThat(api.send("DELETE", "/v1/faults").statusCode()).isEqualTo(204);
    }

    static long add(String rule) {
        HttpResponse<byte[]> response = api.send("POST", "/v1/faults", rule);
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(201);
        return json(response).get("id").asLong();
    }

    static JsonNode rules() {
        HttpResponse<byte[]> response = api.send("GET", "/v1/faults");
        assertThat(response.statusCode()).isEqualTo(200);
        return json(response).get("faults");
    }

    @Test
    void aRuleIsAddedListedWithItsSeedAndHitsAndRemoved() {
        long id = add("{\"op\": \"write\", \"action\": \"error\", \"errno\": \"ENOSPC\", \"sectors\": [0, 7]}");

        HttpResponse<byte[]> listed = api.send("GET", "/v1/faults");
        assertThat(json(listed).get("runSeed").asLong()).isEqualTo(7);
        JsonNode rule = json(listed).get("faults").get(0);
        assertThat(rule.get("id").asLong()).isEqualTo(id);
        assertThat(rule.get("hits").asLong()).isZero();
        assertThat(rule.get("stalled").asInt()).isZero();
        assertThat(rule.get("rule").get("op").asText()).isEqualTo("write");
        assertThat(rule.get("rule").get("errno").asText()).isEqualTo("ENOSPC");
        assertThat(rule.get("rule").get("sectors").toString()).isEqualTo("[0,7]");
        assertThat(rule.get("rule").get("seed").asLong()).isEqualTo(Seeds.derive(7, "rule", id));

        assertThat(api.send("DELETE", "/v1/faults/" + id).statusCode()).isEqualTo(204);
        assertThat(rules()).isEmpty();
        assertError(api.send("DELETE", "/v1/faults/" + id), 404, "ENOENT");
        assertError(api.send("DELETE", "/v1/faults/abc"), 404, "ENOENT");
    }

    @Test
    void deleteWithoutIdRemovesEveryRule() {
        long first = add("{\"action\": \"drop\", \"op\": \"flush\"}");
        long second = add("{\"action\": \"delay\", \"delayMs\": 0}");
        assertThat(second).isGreaterThan(first);
        assertThat(rules()).hasSize(2);

        assertThat(api.send("DELETE", "/v1/faults").statusCode()).isEqualTo(204);

        assertThat(rules()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "{\"action\": \"error\", \"errno\": \"EBOGUS\"}|errno",
            "{\"action\": \"error\", \"colour\": \"red\"}|colour",
            "{\"op\": \"write\"}|action",
            "{\"action\": \"error\", \"sectors\": [9, 3]}|sectors",
            "{\"action\": \"torn\", \"op\": \"read\"}|op",
            "{\"action\": \"error\", \"probability\": 2}|probability",
            "{\"action\": \"delay\"}|delayMs",
            "{\"action\": \"error\", \"count\": true}|count",
            "not json|JSON",
            "[1, 2]|object"})
    void anInvalidRuleAnswers400NamingTheFieldAndAddsNothing(String body, String named) {
        HttpResponse<byte[]> response = api.send("POST", "/v1/faults", body);

        assertError(response, 400, "EINVAL");
        assertThat(json(response).get("message").asText()).contains(named);
        assertThat(rules()).isEmpty();
    }

    @Test
    void aWrongMethodOrQueryIsRefused() {
        assertError(api.send("PUT", "/v1/faults", "{}"), 405, "ENOTSUP");
        assertError(api.send("GET", "/v1/faults/release"), 405, "ENOTSUP");
        assertError(api.send("GET", "/v1/faults/3"), 405, "ENOTSUP");
        assertError(api.send("GET", "/v1/faults?x=1"), 400, "EINVAL");
    }

    @Test
    void hitsCountTheBiosARuleActedOn() {
        long handle = api.open("counted");
        long id = add("{\"op\": \"write\", \"action\": \"drop\", \"file\": \"counted\"}");

        assertThat(api.send("PUT", "/v1/handles/" + handle + "/data?offset=0", filled(2 * PAGE, 1)).statusCode())
                .isEqualTo(200);
        assertThat(api.send("POST", "/v1/handles/" + handle + "/fsync").statusCode()).isEqualTo(204);

        JsonNode rule = rules().get(0);
        assertThat(rule.get("id").asLong()).isEqualTo(id);
        assertThat(rule.get("hits").asLong()).isPositive();
        assertThat(api.read("counted")).isEqualTo(filled(2 * PAGE, 1)); // the cache still has it
        api.send("DELETE", "/v1/handles/" + handle);
    }

    @Test
    void releaseLetsStalledBiosGoAndAnswersHowMany() throws Exception {
        assertThat(json(api.send("POST", "/v1/faults/release")).get("released").asInt()).isZero();
        add("{\"op\": \"flush\", \"action\": \"stall\", \"count\": 1}");

        CompletableFuture<HttpResponse<byte[]>> sync = HttpClient.newHttpClient().sendAsync(
                HttpRequest.newBuilder(api.uri("/v1/sync")).POST(BodyPublishers.noBody()).build(),
                BodyHandlers.ofByteArray());
        await().atMost(Duration.ofSeconds(20)).until(() -> rules().get(0).get("stalled").asInt() == 1);
        assertThat(sync).isNotDone();

        HttpResponse<byte[]> released = api.send("POST", "/v1/faults/release");

        assertThat(released.statusCode()).isEqualTo(200);
        assertThat(json(released).get("released").asInt()).isEqualTo(1);
        assertThat(sync.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(204);
    }
}
