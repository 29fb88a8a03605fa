package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.http.HttpMethod;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The rate-limit policy with the local store, through the running gateway. */
class RateLimitTest {

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                echo: { type: http, targets: [ "${backend:echo}" ] }
              routes:
                - id: three
                  match: { path: "/three/**" }
                  backend: echo
                  policies:
                    - rate-limit: { limits: [ { requests: 3, per: 1m } ] }
                - id: forwarded
                  match: { path: "/xff/**" }
                  backend: echo
                  policies:
                    - rate-limit: { key: ip, limits: [ { requests: 2, per: 1m } ] }
                - id: by-header
                  match: { path: "/client/**" }
                  backend: echo
                  policies:
                    - rate-limit: { key: "header:X-Client", limits: [ { requests: 2, per: 1h } ] }
                - id: two-limits
                  match: { path: "/burst/**" }
                  backend: echo
                  policies:
                    - rate-limit:
                        key: [ ip, route ]
                        limits:
                          - { requests: 5, per: 1m }
                          - { requests: 2, per: 1s }
                - id: by-principal
                  match: { path: "/partner/**" }
                  backend: echo
                  policies:
                    - api-key:
                        keys:
                          - { id: partner-a, key: "partner-a-secret-key-0001" }
                          - { id: partner-b, key: "partner-b-secret-key-0002" }
                    - rate-limit: { key: principal, limits: [ { requests: 1, per: 1h } ] }
              """)
          .backend("echo", TestBackend.echo())
          .build();

  TestResponse get(String path, Map<String, String> headers) {
    return sluice.client().send(HttpMethod.GET, path, headers, null);
  }

  @Test
  void overTheLimitIsA429WithRetryAfterAndEveryResponseCarriesTheHeaders() {
    for (int i = 0; i < 3; i++) {
      TestResponse r = sluice.client().get("/three/" + i);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("X-RateLimit-Limit")).isEqualTo("3");
      assertThat(r.header("X-RateLimit-Remaining")).isEqualTo(String.valueOf(2 - i));
      assertThat(r.header("RateLimit-Policy")).isEqualTo("\"3-per-1m\";q=3;w=60");
      int reset = Integer.parseInt(r.header("X-RateLimit-Reset"));
      assertThat(reset).isBetween(1, 60);
      assertThat(r.header("RateLimit"))
          .isEqualTo("\"3-per-1m\";r=" + (2 - i) + ";t=" + r.header("X-RateLimit-Reset"));
    }
    TestResponse refused = sluice.client().get("/three/over");
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.json().getString("type")).isEqualTo("urn:sluice:problem:rate-limited");
    // a token comes back every 20 s: whole seconds, rounded up
    assertThat(Integer.parseInt(refused.header("Retry-After"))).isBetween(1, 20);
    assertThat(refused.header("X-RateLimit-Remaining")).isEqualTo("0");
    assertThat(refused.header("RateLimit")).startsWith("\"3-per-1m\";r=0;t=");
    assertThat(sluice.backend("echo").reached("/three/over")).isFalse();
  }

  @Test
  void aRotatingXForwardedForFromAnUntrustedPeerGetsNoFreshBucket() {
    assertThat(get("/xff/1", Map.of("X-Forwarded-For", "203.0.113.1")).status()).isEqualTo(200);
    assertThat(get("/xff/2", Map.of("X-Forwarded-For", "203.0.113.2")).status()).isEqualTo(200);
    assertThat(get("/xff/3", Map.of("X-Forwarded-For", "203.0.113.3")).status()).isEqualTo(429);
  }

  @Test
  void aHeaderKeyGivesEachClientItsOwnBucket() {
    Map<String, String> a = Map.of("X-Client", "a");
    assertThat(get("/client/1", a).status()).isEqualTo(200);
    assertThat(get("/client/2", a).status()).isEqualTo(200);
    assertThat(get("/client/3", a).status()).isEqualTo(429);
    assertThat(get("/client/4", Map.of("X-Client", "b")).status()).isEqualTo(200);
  }

  @Test
  void everyLimitAppliesAndTheHeadersTellTheOneClosestToRunningOut() throws Exception {
    TestResponse first = sluice.client().get("/burst/1");
    assertThat(first.status()).isEqualTo(200);
    assertThat(first.header("RateLimit-Policy"))
        .isEqualTo("\"5-per-1m\";q=5;w=60, \"2-per-1s\";q=2;w=1");
    assertThat(first.header("RateLimit")).startsWith("\"2-per-1s\";r=1;");
    assertThat(sluice.client().get("/burst/2").status()).isEqualTo(200);
    TestResponse third = sluice.client().get("/burst/3");
    assertThat(third.status()).isEqualTo(429);
    assertThat(third.header("Retry-After")).isEqualTo("1");
    Thread.sleep(1100);
    TestResponse later = sluice.client().get("/burst/4");
    assertThat(later.status()).isEqualTo(200);
    // three of five per minute are gone now
    assertThat(later.header("X-RateLimit-Limit")).isIn("2", "5");
  }

  @Test
  void aPrincipalKeyCountsPerCaller() {
    Map<String, String> a = Map.of("X-Api-Key", "partner-a-secret-key-0001");
    Map<String, String> b = Map.of("X-Api-Key", "partner-b-secret-key-0002");
    assertThat(get("/partner/1", a).status()).isEqualTo(200);
    assertThat(get("/partner/2", a).status()).isEqualTo(429);
    assertThat(get("/partner/3", b).status()).isEqualTo(200);
  }
}
