package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.Await;
import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The idempotency policy through the running gateway, in front of backends that count their
 * requests: a repeat is answered from the first response and never reaches the backend.
 */
class IdempotencyTest {

  static final AtomicInteger created = new AtomicInteger();
  static final AtomicInteger failing = new AtomicInteger();

  /** Creates an order: 201 with a new id each time it is really called (after 300 ms). */
  static final TestBackend orders =
      TestBackend.of(
          req ->
              req.body()
                  .onSuccess(
                      body ->
                          req.response()
                              .setStatusCode(201)
                              .putHeader("content-type", "application/json")
                              .putHeader("location", "/orders/" + created.incrementAndGet())
                              .putHeader("set-cookie", "session=abc")
                              .end(
                                  new JsonObject()
                                      .put("id", created.get())
                                      .put("got", body.toString())
                                      .encode())));

  /** Fails with 503 the first time, then works. */
  static final TestBackend flaky =
      TestBackend.of(
          req ->
              req.response()
                  .setStatusCode(failing.getAndIncrement() == 0 ? 503 : 200)
                  .end("attempt " + failing.get()));

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                orders: { type: http, targets: [ "${backend:orders}" ] }
                slow: { type: http, targets: [ "${backend:slow}" ] }
                flaky: { type: http, targets: [ "${backend:flaky}" ] }
              routes:
                - id: orders
                  match: { path: /orders }
                  backend: orders
                  policies:
                    - api-key: { keys: [ { id: alice, key: "alice-key-0123456789" }, { id: bob, key: "bob-key-01234567890" } ] }
                    - idempotency: { ttl: 1h }
                - id: payments
                  match: { path: /payments }
                  backend: slow
                  policies:
                    - idempotency: { required: true }
                - id: flaky
                  match: { path: /flaky }
                  backend: flaky
                  policies:
                    - idempotency: {}
              """)
          .backend("orders", orders)
          .backend(
              "slow",
              TestBackend.of(
                  req ->
                      req.body()
                          .onSuccess(
                              b ->
                                  io.vertx.core.Vertx.currentContext()
                                      .owner()
                                      .setTimer(300, id -> req.response().end("paid")))))
          .backend("flaky", flaky)
          .build();

  private static TestResponse post(String path, String key, String apiKey, String body) {
    Map<String, String> h = new java.util.HashMap<>();
    h.put("Content-Type", "application/json");
    if (key != null) {
      h.put("Idempotency-Key", key);
    }
    if (apiKey != null) {
      h.put("X-API-Key", apiKey);
    }
    return sluice.client().send(HttpMethod.POST, path, h, body);
  }

  @Test
  void aRepeatGetsTheFirstResponseAndNeverReachesTheBackend() {
    String key = "\"" + UUID.randomUUID() + "\"";
    int before = orders.requestCount();
    TestResponse first = post("/orders", key, "alice-key-0123456789", "{\"sku\":\"A\"}");
    assertThat(first.status()).isEqualTo(201);
    assertThat(first.header("Idempotent-Replayed")).isNull();
    TestResponse again = post("/orders", key, "alice-key-0123456789", "{\"sku\":\"A\"}");
    assertThat(again.status()).isEqualTo(201);
    assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(again.body()).isEqualTo(first.body());
    assertThat(again.header("location")).isEqualTo(first.header("location"));
    assertThat(again.header("content-type")).isEqualTo("application/json");
    assertThat(again.header("set-cookie")).as("cookies are not replayed").isNull();
    assertThat(again.header("X-Request-Id")).isNotEqualTo(first.header("X-Request-Id"));
    assertThat(orders.requestCount()).isEqualTo(before + 1);
  }

  @Test
  void theSameKeyWithAnotherPayloadIs422() {
    String key = UUID.randomUUID().toString();
    assertThat(post("/orders", key, "alice-key-0123456789", "{\"sku\":\"A\"}").status())
        .isEqualTo(201);
    TestResponse other = post("/orders", key, "alice-key-0123456789", "{\"sku\":\"B\"}");
    assertThat(other.status()).isEqualTo(422);
    assertThat(other.json().getString("type"))
        .isEqualTo("urn:sluice:problem:idempotency-key-reused");
  }

  @Test
  void keysAreScopedToThePrincipal() {
    String key = UUID.randomUUID().toString();
    int before = orders.requestCount();
    TestResponse alice = post("/orders", key, "alice-key-0123456789", "{\"sku\":\"A\"}");
    TestResponse bob = post("/orders", key, "bob-key-01234567890", "{\"sku\":\"A\"}");
    assertThat(bob.status()).isEqualTo(201);
    assertThat(bob.header("Idempotent-Replayed")).isNull();
    assertThat(bob.body()).isNotEqualTo(alice.body());
    assertThat(orders.requestCount()).isEqualTo(before + 2);
  }

  @Test
  void concurrentDuplicatesMakeOneBackendCallAndTheRestAre409() {
    String key = UUID.randomUUID().toString();
    int before = sluice.backend("slow").requestCount();
    List<Future<TestResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      calls.add(
          sluice
              .client()
              .sendAsync(
                  HttpMethod.POST,
                  "/payments",
                  Map.of("Idempotency-Key", key),
                  Buffer.buffer("{\"amount\":10}")));
    }
    List<TestResponse> answers =
        Await.result(Future.all(calls).map(f -> f.<TestResponse>list()), 10);
    assertThat(answers.stream().filter(a -> a.status() == 200)).hasSize(1);
    assertThat(answers.stream().filter(a -> a.status() == 409)).hasSize(9);
    assertThat(answers.stream().filter(a -> a.status() == 409).map(a -> a.header("Retry-After")))
        .containsOnly("1");
    assertThat(sluice.backend("slow").requestCount()).isEqualTo(before + 1);
    // Once the first is done, a repeat is a replay.
    TestResponse later =
        sluice
            .client()
            .send(HttpMethod.POST, "/payments", Map.of("Idempotency-Key", key), "{\"amount\":10}");
    assertThat(later.status()).isEqualTo(200);
    assertThat(later.body()).isEqualTo("paid");
    assertThat(later.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(sluice.backend("slow").requestCount()).isEqualTo(before + 1);
  }

  @Test
  void aRequiredKeyMissingIs400AndAMalformedOneToo() {
    TestResponse none = sluice.client().send(HttpMethod.POST, "/payments", Map.of(), "{}");
    assertThat(none.status()).isEqualTo(400);
    assertThat(none.json().getString("type"))
        .isEqualTo("urn:sluice:problem:idempotency-key-missing");
    TestResponse bad =
        sluice.client().send(HttpMethod.POST, "/payments", Map.of("Idempotency-Key", "a b"), "{}");
    assertThat(bad.status()).isEqualTo(400);
    // Other methods pass untouched.
    assertThat(sluice.client().get("/payments").status()).isEqualTo(200);
  }

  @Test
  void aFailedFirstAttemptIsNotKeptSoTheRetryRuns() {
    String key = UUID.randomUUID().toString();
    failing.set(0);
    assertThat(post("/flaky", key, null, "{}").status()).isEqualTo(503);
    TestResponse retry = post("/flaky", key, null, "{}");
    assertThat(retry.status()).isEqualTo(200);
    assertThat(retry.header("Idempotent-Replayed")).isNull();
    TestResponse replay = post("/flaky", key, null, "{}");
    assertThat(replay.status()).as(replay.body()).isEqualTo(200);
    assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(replay.body()).isEqualTo(retry.body());
  }
}
