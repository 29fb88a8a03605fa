package io.sluice.policies.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class LocalStoreTest {

  static Limits limits(long requests, String per) {
    return new Limits(
        new JsonArray().add(new JsonObject().put("requests", requests).put("per", per)));
  }

  @Test
  void millionsOfClientsCostAtMostMaxKeysBuckets() {
    LocalStore store = new LocalStore(limits(10, "1m"), 1_000);
    for (int i = 0; i < 200_000; i++) {
      assertThat(store.consume("ip:10.0." + (i >> 8) + "." + (i & 255)).allowed()).isTrue();
    }
    assertThat(store.size()).isLessThanOrEqualTo(1_000);
  }

  @Test
  void theDecisionTellsRemainingResetAndRetryAfter() {
    LocalStore store = new LocalStore(limits(2, "10s"), 10);
    Decision first = store.consume("k");
    assertThat(first.allowed()).isTrue();
    assertThat(first.remaining()).isEqualTo(1);
    assertThat(first.resetSeconds()).isEqualTo(5); // one token back every 5 s
    store.consume("k");
    Decision refused = store.consume("k");
    assertThat(refused.allowed()).isFalse();
    assertThat(refused.remaining()).isZero();
    assertThat(refused.retryAfterSeconds()).isBetween(1L, 5L);
    assertThat(refused.resetSeconds()).isBetween(9L, 10L);
  }

  @Test
  void theRateLimitPolicyHeaderNamesEachLimit() {
    Limits l =
        new Limits(
            new JsonArray()
                .add(new JsonObject().put("requests", 100).put("per", "1m"))
                .add(new JsonObject().put("requests", 5).put("per", "500ms")));
    assertThat(l.policyHeader).isEqualTo("\"100-per-1m\";q=100;w=60, \"5-per-500ms\";q=5;w=1");
  }
}
