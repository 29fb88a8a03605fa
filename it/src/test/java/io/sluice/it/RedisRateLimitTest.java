package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.it.support.Metrics;
import io.sluice.testkit.RedisServer;
import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.http.HttpMethod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The rate-limit policy with store: redis: two gateways in front of one real redis-server share one
 * budget; with Redis gone, the fallback applies, and limits are shared again once it is back.
 */
class RedisRateLimitTest {

  static final RedisServer redis = RedisServer.start();

  static final String ROUTES =
      """
      gateway:
        redis: { url: "${env:REDIS_URL}", timeout: 200ms }
      backends:
        echo: { type: http, targets: [ "${backend:echo}" ] }
      routes:
        - id: shared
          match: { path: "/shared/**" }
          backend: echo
          policies:
            - rate-limit:
                key: "header:X-Client"
                limits: [ { requests: 10, per: 1h } ]
                store: redis
        - id: open
          match: { path: "/open/**" }
          backend: echo
          policies:
            - rate-limit:
                key: "header:X-Client"
                limits: [ { requests: 2, per: 1h } ]
                store: redis
                onStoreFailure: allow
        - id: closed
          match: { path: "/closed/**" }
          backend: echo
          policies:
            - rate-limit:
                key: "header:X-Client"
                limits: [ { requests: 1000, per: 1h } ]
                store: redis
                onStoreFailure: deny
      """;

  @RegisterExtension
  static final SluiceExtension one =
      SluiceExtension.withConfig(ROUTES)
          .env("REDIS_URL", redis.url())
          .backend("echo", TestBackend.echo())
          .build();

  @RegisterExtension
  static final SluiceExtension two =
      SluiceExtension.withConfig(ROUTES)
          .env("REDIS_URL", redis.url())
          .backend("echo", TestBackend.echo())
          .build();

  @AfterAll
  static void stopRedis() {
    redis.stop();
  }

  static TestResponse get(SluiceExtension gw, String path, String client) {
    return gw.client().send(HttpMethod.GET, path, Map.of("X-Client", client), null);
  }

  @Test
  void twoGatewaysTogetherAdmitNoMoreThanTheLimit() {
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      statuses.add(get(i % 2 == 0 ? one : two, "/shared/" + i, "c-shared").status());
    }
    assertThat(statuses.stream().filter(s -> s == 200).count()).isEqualTo(10);
    assertThat(statuses.stream().filter(s -> s == 429).count()).isEqualTo(20);
    TestResponse r = get(two, "/shared/last", "c-shared");
    assertThat(r.header("X-RateLimit-Limit")).isEqualTo("10");
    assertThat(r.header("X-RateLimit-Remaining")).isEqualTo("0");
    assertThat(r.header("RateLimit-Policy")).isEqualTo("\"10-per-1h\";q=10;w=3600");
    assertThat(redis.command("DBSIZE")).isNotEqualTo(":0");
  }

  /**
   * Waits until the gateway's decisions come from Redis again (after a restart each gateway
   * reconnects on its own schedule): those carry the limit headers, the fallback's answers do not.
   */
  static void awaitRedis(SluiceExtension gw) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 15_000;
    TestResponse r = get(gw, "/closed/probe", "c-probe");
    while (r.header("X-RateLimit-Limit") == null && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
      r = get(gw, "/closed/probe", "c-probe");
    }
    assertThat(r.header("X-RateLimit-Limit")).as("connected to Redis").isNotNull();
  }

  @Test
  void aSlowRedisMeansTheFallbackAfterTheTimeout() throws Exception {
    awaitRedis(one);
    awaitRedis(two);
    assertThat(get(one, "/open/warm", "c-slow").status()).isEqualTo(200);
    Thread sleeper = new Thread(() -> redis.command("DEBUG SLEEP 1.5"));
    sleeper.start();
    Thread.sleep(100); // Redis is asleep now
    long t0 = System.nanoTime();
    TestResponse allowed = get(one, "/open/slow", "c-slow");
    long allowMs = (System.nanoTime() - t0) / 1_000_000;
    t0 = System.nanoTime();
    TestResponse denied = get(two, "/closed/slow", "c-slow");
    long denyMs = (System.nanoTime() - t0) / 1_000_000;
    sleeper.join();
    assertThat(allowed.status()).isEqualTo(200);
    assertThat(allowed.header("X-RateLimit-Limit")).as("a fallback answer").isNull();
    assertThat(denied.status()).isEqualTo(503);
    // the timeout is 200ms; Redis sleeps for 1.5 s
    assertThat(allowMs).isBetween(150L, 1000L);
    assertThat(denyMs).isBetween(150L, 1000L);
  }

  @Test
  void withRedisGoneTheFallbackAppliesAndLimitsComeBackWithIt() throws Exception {
    assertThat(get(one, "/open/1", "c-outage").status()).isEqualTo(200);
    assertThat(get(two, "/open/2", "c-outage").status()).isEqualTo(200);
    assertThat(get(one, "/open/3", "c-outage").status()).isEqualTo(429);
    Metrics oneBefore = scrape(one);
    Metrics twoBefore = scrape(two);
    String store = "127.0.0.1:" + redis.port();
    assertThat(oneBefore.value("sluice_ratelimit_store_up", "store", store)).isEqualTo(1);
    redis.stop();
    try {
      for (int i = 0; i < 5; i++) {
        long t0 = System.nanoTime();
        TestResponse allowed = get(one, "/open/down-" + i, "c-outage");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(allowed.status()).as("allow while Redis is down").isEqualTo(200);
        assertThat(allowed.header("X-RateLimit-Limit")).isNull();
        assertThat(ms).as("answered without waiting long for Redis").isLessThan(1500);
        TestResponse denied = get(two, "/closed/down-" + i, "c-outage");
        assertThat(denied.status()).as("deny while Redis is down").isEqualTo(503);
        assertThat(denied.json().getString("type"))
            .isEqualTo("urn:sluice:problem:rate-limit-unavailable");
        assertThat(denied.header("Retry-After")).isEqualTo("1");
      }
      // The outage is in the metrics: the store is down, its calls fail, the fallback decides.
      Metrics oneDown = scrape(one);
      Metrics twoDown = scrape(two);
      assertThat(oneDown.value("sluice_ratelimit_store_up", "store", store)).isEqualTo(0);
      assertThat(twoDown.value("sluice_ratelimit_store_up", "store", store)).isEqualTo(0);
      assertThat(oneDown.delta(oneBefore, "sluice_ratelimit_store_failures_total", "store", store))
          .isGreaterThanOrEqualTo(5);
      assertThat(
              oneDown.delta(
                  oneBefore,
                  "sluice_ratelimit_decisions_total",
                  "route",
                  "open",
                  "decision",
                  "store_failure_allowed"))
          .isEqualTo(5);
      assertThat(
              twoDown.delta(
                  twoBefore,
                  "sluice_ratelimit_decisions_total",
                  "route",
                  "closed",
                  "decision",
                  "store_failure_denied"))
          .isEqualTo(5);
    } finally {
      redis.startAgain();
    }
    // Redis came back empty, so c-back starts with a full bucket.
    awaitRedis(one);
    awaitRedis(two);
    TestResponse r = get(one, "/open/back", "c-back");
    assertThat(r.header("X-RateLimit-Remaining")).as("shared again").isEqualTo("1");
    assertThat(get(two, "/open/back-2", "c-back").status()).isEqualTo(200);
    assertThat(get(one, "/open/back-over", "c-back").status()).isEqualTo(429);
    assertThat(get(two, "/closed/back", "c-back").status()).isEqualTo(200);
    assertThat(scrape(one).value("sluice_ratelimit_store_up", "store", store)).isEqualTo(1);
  }

  static Metrics scrape(SluiceExtension gw) {
    return Metrics.parse(gw.admin().get("/metrics").body());
  }
}
