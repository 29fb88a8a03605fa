package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.it.support.Metrics;
import io.sluice.testkit.Await;
import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The cache policy through the running gateway, in front of a backend that counts its requests and
 * answers what the test asks for: Cache-Control, Vary, cookies, a delay.
 */
class CacheTest {

  static final AtomicInteger served = new AtomicInteger();

  /** What the second backend does: ok, error (503), slow (2 s), or late (800 ms, then ok). */
  static final java.util.concurrent.atomic.AtomicReference<String> mode =
      new java.util.concurrent.atomic.AtomicReference<>("ok");

  static void flaky(HttpServerRequest req) {
    int n = served.incrementAndGet();
    var res = req.response().putHeader("Content-Type", "text/plain");
    switch (mode.get()) {
      case "error" -> res.setStatusCode(503).end("down");
      case "slow" ->
          io.vertx.core.Vertx.currentContext().owner().setTimer(2_000, id -> res.end("late " + n));
      case "late" ->
          io.vertx.core.Vertx.currentContext().owner().setTimer(800, id -> res.end("v" + n));
      default -> res.end("v" + n);
    }
  }

  /**
   * Answers {@code n=<count> path=<uri> accept=<Accept>}; query parameters {@code cc} (its
   * Cache-Control), {@code vary}, {@code cookie} (a Set-Cookie), {@code delay} (ms), {@code
   * status}.
   */
  static void answer(HttpServerRequest req) {
    int n = served.incrementAndGet();
    var res = req.response();
    String cc = req.getParam("cc");
    if (cc != null) {
      res.putHeader("Cache-Control", cc);
    }
    if (req.getParam("vary") != null) {
      res.putHeader("Vary", req.getParam("vary"));
    }
    if (req.getParam("cookie") != null) {
      res.putHeader("Set-Cookie", "s=1");
    }
    res.putHeader("Content-Type", "text/plain");
    res.setStatusCode(Integer.parseInt(req.getParam("status", "200")));
    String body = "n=" + n + " path=" + req.uri() + " accept=" + req.getHeader("Accept");
    long delay = Long.parseLong(req.getParam("delay", "0"));
    if (delay > 0) {
      io.vertx.core.Vertx.currentContext().owner().setTimer(delay, id -> res.end(body));
    } else {
      res.end(body);
    }
  }

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              gateway:
                cache: { maxSize: 8MiB }
              backends:
                api: { type: http, targets: [ "${backend:api}" ] }
                flaky: { type: http, targets: [ "${backend:flaky}" ], timeout: 1s }
              routes:
                - id: cached
                  match: { path: "/c/**" }
                  backend: api
                  policies:
                    - cache: { ttl: 1h, vary: [ X-Tenant ] }
                - id: keyed
                  match: { path: "/k/**" }
                  backend: api
                  policies:
                    - api-key: { keys: [ { id: alice, key: "alice-key-0123456789" }, { id: bob, key: "bob-key-01234567890" } ] }
                    - cache: { ttl: 1h, perPrincipal: true }
                - id: shared
                  match: { path: "/s/**" }
                  backend: api
                  policies:
                    - cache: { ttl: 1h }
                - id: short
                  match: { path: "/short/**" }
                  backend: api
                  policies:
                    - cache: { ttl: 300ms }
                - id: stale
                  match: { path: "/stale/**" }
                  backend: flaky
                  policies:
                    - cache: { ttl: 200ms, staleIfError: 1m, staleWhileRevalidate: 1m }
                - id: sie
                  match: { path: "/sie/**" }
                  backend: flaky
                  policies:
                    - cache: { ttl: 200ms, staleIfError: 1m }
              """)
          .backend("api", TestBackend.of(CacheTest::answer))
          .backend("flaky", TestBackend.of(CacheTest::flaky))
          .build();

  static TestResponse get(String path) {
    return sluice.client().get(path);
  }

  static TestResponse get(String path, Map<String, String> headers) {
    return sluice.client().send(HttpMethod.GET, path, headers, null);
  }

  @Test
  void aRepeatIsAnsweredFromTheCacheWithAgeAndXCache() {
    TestResponse first = get("/c/a?x=1&y=2");
    assertThat(first.status()).isEqualTo(200);
    assertThat(first.header("X-Cache")).isEqualTo("MISS");
    int calls = served.get();
    TestResponse again = get("/c/a?y=2&x=1"); // the same query in another order
    assertThat(again.header("X-Cache")).isEqualTo("HIT");
    assertThat(again.body()).isEqualTo(first.body());
    assertThat(again.header("Age")).isNotNull();
    assertThat(again.header("Content-Type")).isEqualTo("text/plain");
    assertThat(again.header("X-Request-Id")).isNotEqualTo(first.header("X-Request-Id"));
    assertThat(served.get()).isEqualTo(calls);
  }

  @Test
  void headIsServedFromTheGetEntry() {
    TestResponse first = get("/c/head");
    int calls = served.get();
    TestResponse head = sluice.client().send(HttpMethod.HEAD, "/c/head", Map.of(), null);
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.header("X-Cache")).isEqualTo("HIT");
    assertThat(head.header("Content-Length")).isEqualTo(String.valueOf(first.body().length()));
    assertThat(head.body()).isEmpty();
    assertThat(served.get()).isEqualTo(calls);
  }

  @Test
  void theResponsesCacheControlDecides() {
    for (String cc : List.of("no-store", "private", "no-cache", "max-age=0")) {
      String path = "/c/cc-" + cc.replace('=', '-') + "?cc=" + cc;
      get(path);
      int calls = served.get();
      assertThat(get(path).header("X-Cache")).as(cc).isEqualTo("MISS");
      assertThat(served.get()).as(cc).isEqualTo(calls + 1);
    }
    get("/c/cookie?cookie=1");
    assertThat(get("/c/cookie?cookie=1").header("X-Cache")).isEqualTo("MISS");
    get("/c/star?vary=*");
    assertThat(get("/c/star?vary=*").header("X-Cache")).isEqualTo("MISS");
    get("/c/error?status=503");
    assertThat(get("/c/error?status=503").header("X-Cache")).isEqualTo("MISS");
    get("/c/notfound?status=404");
    assertThat(get("/c/notfound?status=404").header("X-Cache")).isEqualTo("MISS");
  }

  @Test
  void maxAgeLimitsTheTtlAndExpiredEntriesGoBackToTheBackend() throws Exception {
    get("/short/x");
    assertThat(get("/short/x").header("X-Cache")).isEqualTo("HIT");
    get("/c/max-age?cc=max-age%3D1");
    assertThat(get("/c/max-age?cc=max-age%3D1").header("X-Cache")).isEqualTo("HIT");
    Thread.sleep(1_100);
    assertThat(get("/short/x").header("X-Cache")).isEqualTo("MISS");
    assertThat(get("/c/max-age?cc=max-age%3D1").header("X-Cache")).isEqualTo("MISS");
  }

  @Test
  void aRequestsNoCacheGoesToTheBackendAndNoStoreBypasses() {
    get("/c/fresh");
    TestResponse reloaded = get("/c/fresh", Map.of("Cache-Control", "no-cache"));
    assertThat(reloaded.header("X-Cache")).isEqualTo("MISS");
    TestResponse after = get("/c/fresh");
    assertThat(after.header("X-Cache")).isEqualTo("HIT");
    assertThat(after.body()).isEqualTo(reloaded.body()); // the reload was stored
    TestResponse bypass = get("/c/fresh", Map.of("Cache-Control", "no-store"));
    assertThat(bypass.header("X-Cache")).isNull();
    assertThat(bypass.body()).isNotEqualTo(after.body());
  }

  @Test
  void configuredAndResponseVaryPickTheVariant() {
    TestResponse a = get("/c/vary", Map.of("X-Tenant", "a"));
    TestResponse b = get("/c/vary", Map.of("X-Tenant", "b"));
    assertThat(b.header("X-Cache")).isEqualTo("MISS");
    assertThat(get("/c/vary", Map.of("X-Tenant", "a")).body()).isEqualTo(a.body());
    assertThat(get("/c/vary", Map.of("X-Tenant", "b")).body()).isEqualTo(b.body());

    TestResponse json = get("/c/accept?vary=Accept", Map.of("Accept", "application/json"));
    TestResponse xml = get("/c/accept?vary=Accept", Map.of("Accept", "application/xml"));
    assertThat(xml.header("X-Cache")).isEqualTo("MISS");
    assertThat(xml.body()).contains("accept=application/xml");
    TestResponse jsonAgain = get("/c/accept?vary=Accept", Map.of("Accept", "application/json"));
    assertThat(jsonAgain.header("X-Cache")).isEqualTo("HIT");
    assertThat(jsonAgain.body()).isEqualTo(json.body());
  }

  @Test
  void credentialsAreNeverAnsweredFromASharedEntryUnlessItIsPublic() {
    get("/s/private-data");
    TestResponse withAuth = get("/s/private-data", Map.of("Authorization", "Bearer t"));
    assertThat(withAuth.header("X-Cache")).isEqualTo("MISS");
    // ... and an answer to credentials is not stored for others.
    get("/s/mine", Map.of("Authorization", "Bearer t"));
    assertThat(get("/s/mine").header("X-Cache")).isEqualTo("MISS");
    // A response marked public may serve them.
    get("/s/public?cc=public");
    assertThat(get("/s/public?cc=public", Map.of("Authorization", "Bearer t")).header("X-Cache"))
        .isEqualTo("HIT");
  }

  @Test
  void perPrincipalEntriesAreEachCallersOwn() {
    Map<String, String> alice = Map.of("X-API-Key", "alice-key-0123456789");
    Map<String, String> bob = Map.of("X-API-Key", "bob-key-01234567890");
    TestResponse a = get("/k/profile?cc=private", alice);
    TestResponse b = get("/k/profile?cc=private", bob);
    assertThat(b.header("X-Cache")).isEqualTo("MISS");
    assertThat(b.body()).isNotEqualTo(a.body());
    assertThat(get("/k/profile?cc=private", alice).body()).isEqualTo(a.body());
    assertThat(get("/k/profile?cc=private", bob).body()).isEqualTo(b.body());
  }

  @Test
  void concurrentMissesMakeOneBackendRequest() {
    int calls = served.get();
    List<Future<TestResponse>> all = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      all.add(
          sluice
              .client()
              .sendAsync(HttpMethod.GET, "/c/coalesced?delay=300", new HashMap<>(), null));
    }
    List<TestResponse> answers = Await.result(Future.all(all).map(f -> f.<TestResponse>list()), 10);
    assertThat(answers).extracting(TestResponse::status).containsOnly(200);
    assertThat(answers.stream().map(TestResponse::body).distinct()).hasSize(1);
    assertThat(served.get()).isEqualTo(calls + 1);
    Metrics m = Metrics.parse(sluice.admin().get("/metrics").body());
    assertThat(m.value("sluice_cache_lookups_total", "route", "cached", "result", "coalesced"))
        .isGreaterThanOrEqualTo(19);
  }

  @Test
  void aMissWaitingForAnotherGetsItsOwnVariant() throws Exception {
    // The first miss is on its way when the second (same URL, another Accept) arrives and waits
    // for it; the response varies on Accept, so the second must not get the first's variant.
    Future<TestResponse> json =
        sluice
            .client()
            .sendAsync(
                HttpMethod.GET,
                "/c/variants?vary=Accept&delay=300",
                new HashMap<>(Map.of("Accept", "application/json")),
                null);
    Thread.sleep(100);
    TestResponse xml =
        get("/c/variants?vary=Accept&delay=300", Map.of("Accept", "application/xml"));
    assertThat(Await.result(json, 5).body()).contains("accept=application/json");
    assertThat(xml.body()).contains("accept=application/xml");
    assertThat(xml.header("X-Cache")).isEqualTo("MISS");
    TestResponse jsonAgain =
        get("/c/variants?vary=Accept&delay=300", Map.of("Accept", "application/json"));
    assertThat(jsonAgain.header("X-Cache")).isEqualTo("HIT");
    assertThat(jsonAgain.body()).contains("accept=application/json");
  }

  @Test
  void anUnsafeRequestDropsTheEntry() {
    get("/c/item");
    assertThat(get("/c/item").header("X-Cache")).isEqualTo("HIT");
    assertThat(sluice.client().send(HttpMethod.PUT, "/c/item", Map.of(), "new").status())
        .isEqualTo(200);
    assertThat(get("/c/item").header("X-Cache")).isEqualTo("MISS");
  }

  @Test
  void poisoningByUnkeyedHeadersIsNotPossible() {
    // X-Forwarded-Host from an untrusted client is replaced by the gateway, so it cannot plant
    // another host into a cached answer; and a header not in the key does not change the entry.
    TestResponse clean = get("/c/poison");
    TestResponse attempt =
        get("/c/poison", Map.of("X-Forwarded-Host", "evil.example", "X-Anything", "evil"));
    assertThat(attempt.header("X-Cache")).isEqualTo("HIT");
    assertThat(attempt.body()).isEqualTo(clean.body());
  }

  @Test
  void aStaleEntryStandsInForAFailingOrSlowBackend() throws Exception {
    mode.set("ok");
    TestResponse fresh = get("/sie/a");
    Thread.sleep(300); // stale now
    mode.set("error");
    try {
      // The request goes to the backend, meets the 503 and gets the stale copy instead.
      TestResponse failed = get("/sie/a");
      assertThat(failed.status()).isEqualTo(200);
      assertThat(failed.header("X-Cache")).isEqualTo("STALE");
      assertThat(failed.body()).isEqualTo(fresh.body());
      mode.set("slow"); // past the backend's 1 s timeout: the gateway's own 504
      TestResponse timedOut = get("/sie/a");
      assertThat(timedOut.status()).isEqualTo(200);
      assertThat(timedOut.header("X-Cache")).isEqualTo("STALE");
      assertThat(timedOut.body()).isEqualTo(fresh.body());
    } finally {
      mode.set("ok");
    }
    // The stale copies were not stored as fresh ones: the next request refreshes for real.
    TestResponse next = get("/sie/a");
    assertThat(next.header("X-Cache")).isEqualTo("MISS");
    assertThat(next.body()).isNotEqualTo(fresh.body());
  }

  @Test
  void aStaleEntryAnswersAtOnceWhileTheGatewayRefreshesItInTheBackground() throws Exception {
    mode.set("ok");
    TestResponse old = get("/stale/swr");
    Thread.sleep(300); // stale now, within staleWhileRevalidate
    mode.set("late"); // the backend takes 800 ms
    try {
      int calls = served.get();
      long t0 = System.nanoTime();
      TestResponse first = get("/stale/swr");
      TestResponse second = get("/stale/swr");
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(first.header("X-Cache")).isEqualTo("STALE");
      assertThat(first.body()).isEqualTo(old.body());
      assertThat(second.header("X-Cache")).isEqualTo("STALE");
      assertThat(ms).as("both at once, neither waits for the refresh").isLessThan(500);
      // The refresh lands by itself: no client request waited for it.
      TestResponse after = null;
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (System.nanoTime() < deadline) {
        after = get("/stale/swr");
        if ("HIT".equals(after.header("X-Cache"))) {
          break;
        }
        assertThat(after.header("X-Cache")).isEqualTo("STALE");
        Thread.sleep(100);
      }
      assertThat(after.header("X-Cache")).isEqualTo("HIT");
      assertThat(after.body()).isNotEqualTo(old.body());
      assertThat(served.get()).as("one background request").isEqualTo(calls + 1);
      Metrics m = Metrics.parse(sluice.admin().get("/metrics").body());
      assertThat(m.value("sluice_cache_lookups_total", "route", "stale", "result", "refresh"))
          .isGreaterThanOrEqualTo(1);
    } finally {
      mode.set("ok");
    }
  }

  @Test
  void aClientCannotPassForTheGatewaysBackgroundCopy() {
    Map<String, String> forged = Map.of("Sluice-Background-Copy", "guess");
    assertThat(get("/c/forged", forged).header("X-Cache")).isEqualTo("MISS");
    assertThat(sluice.backend("api").last().header("Sluice-Background-Copy")).isNull();
    assertThat(get("/c/forged", forged).header("X-Cache")).isEqualTo("HIT");
  }
}
