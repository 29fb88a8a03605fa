package io.sluice.policies.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Keys and Redis records: what a record found means for a request with a given fingerprint. */
class IdempotencyRecordsTest {

  @Test
  void keysAreQuotedOrBareVisibleAsciiOfAtMost255() {
    assertThat(IdempotencyPolicyFactory.Idempotency.key("\"8e03978e-40d5\""))
        .isEqualTo("8e03978e-40d5");
    assertThat(IdempotencyPolicyFactory.Idempotency.key(" abc ")).isEqualTo("abc");
    assertThat(IdempotencyPolicyFactory.Idempotency.key("a b")).isNull();
    assertThat(IdempotencyPolicyFactory.Idempotency.key("\"\"")).isNull();
    assertThat(IdempotencyPolicyFactory.Idempotency.key("x".repeat(256))).isNull();
    assertThat(IdempotencyPolicyFactory.Idempotency.key("é")).isNull();
  }

  @Test
  void scopesDifferByRouteAndPrincipal() {
    String a = IdempotencyPolicyFactory.Idempotency.scope("orders", "alice", "k");
    assertThat(a).isNotEqualTo(IdempotencyPolicyFactory.Idempotency.scope("orders", "bob", "k"));
    assertThat(a).isNotEqualTo(IdempotencyPolicyFactory.Idempotency.scope("refunds", "alice", "k"));
    assertThat(a).isNotEqualTo(IdempotencyPolicyFactory.Idempotency.scope("orders", null, "k"));
  }

  @Test
  void aRedisRecordIsReadForTheRequestsFingerprint() {
    StoredResponse r =
        new StoredResponse(
            201,
            MultiMap.caseInsensitiveMultiMap().add("Location", "/orders/1").add("X-A", "1, 2"),
            Buffer.buffer(new byte[] {0, 1, (byte) 0xff}));
    byte[] done =
        ("D|fp1|" + RedisIdempotencyStore.encode(r).encode()).getBytes(StandardCharsets.UTF_8);
    IdempotencyStore.Claim replay = RedisIdempotencyStore.claim(done, "fp1");
    assertThat(replay).isInstanceOf(IdempotencyStore.Replay.class);
    StoredResponse back = ((IdempotencyStore.Replay) replay).response();
    assertThat(back.status()).isEqualTo(201);
    assertThat(back.headers().get("location")).isEqualTo("/orders/1");
    assertThat(back.headers().get("x-a")).isEqualTo("1, 2");
    assertThat(back.body().getBytes()).containsExactly(0, 1, 0xff);
    assertThat(RedisIdempotencyStore.claim(done, "fp2"))
        .isInstanceOf(IdempotencyStore.Mismatch.class);
    assertThat(RedisIdempotencyStore.claim(null, "fp1")).isInstanceOf(IdempotencyStore.Owner.class);
    byte[] running = "R|fp1".getBytes(StandardCharsets.UTF_8);
    assertThat(RedisIdempotencyStore.claim(running, "fp1"))
        .isInstanceOf(IdempotencyStore.InFlight.class);
    assertThat(RedisIdempotencyStore.claim(running, "fp2"))
        .isInstanceOf(IdempotencyStore.Mismatch.class);
    assertThat(RedisIdempotencyStore.claim("garbage".getBytes(StandardCharsets.UTF_8), "fp1"))
        .isInstanceOf(IdempotencyStore.Mismatch.class);
  }
}
