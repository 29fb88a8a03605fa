package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.RedisServer;
import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.http.HttpMethod;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * idempotency with store: redis: two gateways in front of one real redis-server share the keys, so
 * a retry that lands on the other replica is still a replay; with Redis gone, 503.
 */
class RedisIdempotencyTest {

  static final RedisServer redis = RedisServer.start();
  static final AtomicInteger made = new AtomicInteger();

  static final String ROUTES =
      """
      gateway:
        redis: { url: "${env:REDIS_URL}", timeout: 200ms }
      backends:
        api: { type: http, targets: [ "${backend:api}" ] }
      routes:
        - id: orders
          match: { path: /orders }
          backend: api
          policies:
            - idempotency: { store: redis, ttl: 1h }
      """;

  static TestBackend backend() {
    return TestBackend.of(
        req ->
            req.body()
                .onSuccess(
                    b ->
                        req.response()
                            .setStatusCode(201)
                            .putHeader("location", "/orders/" + made.incrementAndGet())
                            .end("order " + made.get())));
  }

  @RegisterExtension
  static final SluiceExtension one =
      SluiceExtension.withConfig(ROUTES)
          .env("REDIS_URL", redis.url())
          .backend("api", backend())
          .build();

  @RegisterExtension
  static final SluiceExtension two =
      SluiceExtension.withConfig(ROUTES)
          .env("REDIS_URL", redis.url())
          .backend("api", backend())
          .build();

  @AfterAll
  static void stopRedis() {
    redis.stop();
  }

  static TestResponse post(SluiceExtension gw, String key, String body) {
    return gw.client().send(HttpMethod.POST, "/orders", Map.of("Idempotency-Key", key), body);
  }

  @Test
  void aRetryOnTheOtherReplicaIsAReplay() {
    String key = UUID.randomUUID().toString();
    int calls = made.get();
    TestResponse first = post(one, key, "{\"sku\":\"A\"}");
    assertThat(first.status()).isEqualTo(201);
    // As a client does: a 409 (the first response is being kept at this very moment) is retried.
    TestResponse retry = post(two, key, "{\"sku\":\"A\"}");
    for (int i = 0; i < 5 && retry.status() == 409; i++) {
      retry = post(two, key, "{\"sku\":\"A\"}");
    }
    assertThat(retry.status()).isEqualTo(201);
    assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(retry.body()).isEqualTo(first.body());
    assertThat(retry.header("location")).isEqualTo(first.header("location"));
    assertThat(made.get()).isEqualTo(calls + 1);
    assertThat(post(two, key, "{\"sku\":\"B\"}").status()).isEqualTo(422);
  }

  @Test
  void withRedisGoneIdempotentRequestsGet503AndComeBackWithIt() {
    redis.stop();
    try {
      TestResponse r = post(one, UUID.randomUUID().toString(), "{}");
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.json().getString("type"))
          .isEqualTo("urn:sluice:problem:idempotency-store-unavailable");
      assertThat(r.header("Retry-After")).isEqualTo("1");
      // Requests without a key are not the store's business.
      assertThat(one.client().send(HttpMethod.POST, "/orders", Map.of(), "{}").status())
          .isEqualTo(201);
    } finally {
      redis.startAgain();
    }
    // Both gateways reconnect (Lettuce's own backoff) and take keys again.
    io.sluice.testkit.Await.until(
        () ->
            post(one, UUID.randomUUID().toString(), "{}").status() == 201
                && post(two, UUID.randomUUID().toString(), "{}").status() == 201,
        15);
  }
}
