package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.sluice.it.support.Metrics;
import io.sluice.testkit.Await;
import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.http.HttpMethod;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Retries, the retry budget, outlier ejection and active health checks, through the running gateway
 * against real loopback backends (and a port nothing listens on, for a dead target).
 */
class RetryTest {

  /** Answers 503 to everything. */
  static final TestBackend unavailable = TestBackend.fixed(503, "busy");

  /** Answers 503 with a Retry-After no retry should wait for. */
  static final TestBackend patient =
      TestBackend.of(
          req -> req.response().setStatusCode(503).putHeader("Retry-After", "120").end("later"));

  /** 503 to the first request of each path, 200 to the next ones. */
  static final Set<String> seen = ConcurrentHashMap.newKeySet();

  static final TestBackend secondTime =
      TestBackend.of(
          req -> req.response().setStatusCode(seen.add(req.path()) ? 503 : 200).end("ok"));

  static final TestBackend live = TestBackend.fixed(200, "live");

  /** Two targets with a health endpoint each; "sick" fails its checks while {@code sick}. */
  static final AtomicBoolean sick = new AtomicBoolean();

  static final TestBackend checkedA = healthChecked(sick, "a");
  static final TestBackend checkedB = healthChecked(new AtomicBoolean(), "b");

  static final int dead = TestBackend.closedPort();

  /** Closes the connection on every request without answering (a target that crashed). */
  static final TestBackend hangup = TestBackend.of(req -> req.connection().close());

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                unavailable:
                  type: http
                  targets: [ "${backend:unavailable}" ]
                  retry: { attempts: 3, budget: 0.2, minRetries: 10, backoff: 1ms }
                patient:
                  type: http
                  targets: [ "${backend:patient}" ]
                  retry: { attempts: 3, backoff: 1ms }
                secondtime:
                  type: http
                  targets: [ "${backend:secondTime}" ]
                  retry: { attempts: 2, backoff: 1ms }
                pair:
                  type: http
                  targets: [ "http://127.0.0.1:${env:DEAD_PORT}", "${backend:live}" ]
                  retry: { attempts: 2, backoff: 1ms }
                  outlier: { consecutiveFailures: 3, ejectFor: 30s }
                deadfirst:
                  type: http
                  targets: [ "http://127.0.0.1:${env:DEAD_PORT}", "${backend:live}" ]
                  balance: failover
                  retry: { attempts: 2, backoff: 1ms }
                hangupfirst:
                  type: http
                  targets: [ "${backend:hangup}", "${backend:live}" ]
                  balance: failover
                  retry: { attempts: 2, backoff: 1ms }
                checked:
                  type: http
                  targets: [ "${backend:checkedA}", "${backend:checkedB}" ]
                  healthCheck: { path: /health, every: 100ms, timeout: 100ms, unhealthyAfter: 2 }
              routes:
                - { id: unavailable, match: { path: "/unavailable/**" }, backend: unavailable }
                - { id: patient, match: { path: "/patient/**" }, backend: patient }
                - { id: secondtime, match: { path: "/secondtime/**" }, backend: secondtime }
                - { id: pair, match: { path: "/pair/**" }, backend: pair }
                - { id: checked, match: { path: "/checked/**" }, backend: checked }
                - { id: deadfirst, match: { path: "/deadfirst/**" }, backend: deadfirst }
                - { id: hangupfirst, match: { path: "/hangupfirst/**" }, backend: hangupfirst }
              """)
          .env("DEAD_PORT", String.valueOf(dead))
          .backend("unavailable", unavailable)
          .backend("patient", patient)
          .backend("secondTime", secondTime)
          .backend("live", live)
          .backend("hangup", hangup)
          .backend("checkedA", checkedA)
          .backend("checkedB", checkedB)
          .build();

  private static TestBackend healthChecked(AtomicBoolean failing, String name) {
    return TestBackend.of(
        req -> {
          if (req.path().equals("/health")) {
            req.response().setStatusCode(failing.get() ? 500 : 200).end();
          } else {
            req.response().end(name);
          }
        });
  }

  @Test
  void aFailedIdempotentRequestIsRetriedAndTheRetryIsItsOwnSpan() {
    TestResponse r = sluice.client().get("/secondtime/get");
    assertThat(r.status()).isEqualTo(200);
    assertThat(requestsFor(secondTime, "/secondtime/get")).isEqualTo(2);
    SpanData server =
        sluice.awaitSpan(
            s ->
                s.getKind() == SpanKind.SERVER
                    && "/secondtime/get"
                        .equals(s.getAttributes().get(AttributeKey.stringKey("url.path"))));
    String trace = server.getTraceId();
    Await.until(
        () ->
            sluice.spans().stream()
                    .filter(s -> s.getTraceId().equals(trace) && s.getKind() == SpanKind.CLIENT)
                    .count()
                == 2,
        5);
    List<SpanData> attempts =
        sluice.spans().stream()
            .filter(s -> s.getTraceId().equals(trace) && s.getKind() == SpanKind.CLIENT)
            .toList();
    assertThat(attempts)
        .extracting(s -> s.getAttributes().get(AttributeKey.longKey("http.request.resend_count")))
        .containsExactlyInAnyOrder(null, 1L);
    assertThat(attempts)
        .extracting(s -> s.getAttributes().get(AttributeKey.longKey("http.response.status_code")))
        .containsExactlyInAnyOrder(503L, 200L);
  }

  @Test
  void aPostIsNeverRetriedUnlessItCarriesAnIdempotencyKey() {
    TestResponse post = sluice.client().send(HttpMethod.POST, "/secondtime/post", Map.of(), "x");
    assertThat(post.status()).isEqualTo(503);
    assertThat(requestsFor(secondTime, "/secondtime/post")).isEqualTo(1);

    TestResponse keyed =
        sluice
            .client()
            .send(HttpMethod.POST, "/secondtime/keyed", Map.of("Idempotency-Key", "k-1"), null);
    assertThat(keyed.status()).isEqualTo(200);
    assertThat(requestsFor(secondTime, "/secondtime/keyed")).isEqualTo(2);
  }

  @Test
  void anyRequestIsRetriedWhenNothingReachedTheBackend() {
    TestResponse post = sluice.client().send(HttpMethod.POST, "/deadfirst/order", Map.of(), "x");
    assertThat(post.status()).as("connection refused: nothing was sent").isEqualTo(200);
    assertThat(post.body()).isEqualTo("live");
  }

  @Test
  void onlyAnIdempotentRequestIsRetriedWhenTheConnectionBrokeBeforeAnAnswer() {
    int before = hangup.requestCount();
    TestResponse get = sluice.client().get("/hangupfirst/a");
    assertThat(get.status()).isEqualTo(200);
    assertThat(get.body()).isEqualTo("live");
    TestResponse post = sluice.client().send(HttpMethod.POST, "/hangupfirst/b", Map.of(), "x");
    assertThat(post.status()).as("the POST reached a backend: not sent again").isEqualTo(502);
    assertThat(hangup.requestCount() - before).isEqualTo(2);
  }

  @Test
  void aRetryAfterLongerThanTheBackoffIsPassedOnNotRetried() {
    TestResponse r = sluice.client().get("/patient/x");
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.header("Retry-After")).isEqualTo("120");
    assertThat(patient.requestCount()).isEqualTo(1);
  }

  @Test
  void theRetryBudgetBoundsTheLoadOnAFailingBackend() {
    Metrics before = scrape();
    int before503 = unavailable.requestCount();
    int n = 100;
    for (int i = 0; i < n; i++) {
      assertThat(sluice.client().get("/unavailable/" + i).status()).isEqualTo(503);
    }
    int attempts = unavailable.requestCount() - before503;
    // Without a budget: 3 attempts each, 300. With it: the requests, 20% of them, the floor.
    assertThat(attempts).isGreaterThanOrEqualTo(n + 10).isLessThanOrEqualTo((int) (n * 1.2) + 10);
    Metrics after = scrape();
    assertThat(
            after.delta(
                before, "sluice_backend_retries_total", "backend", "unavailable", "reason", "503"))
        .isEqualTo(attempts - n);
    assertThat(
            after.delta(
                before, "sluice_backend_retry_budget_exhausted_total", "backend", "unavailable"))
        .isPositive();
  }

  @Test
  void aDeadTargetAmongTwoCostsNoClientErrorsAndIsEjected() {
    for (int i = 0; i < 40; i++) {
      assertThat(sluice.client().get("/pair/" + i).status()).as("request " + i).isEqualTo(200);
    }
    Metrics m = scrape();
    String deadTarget = "127.0.0.1:" + dead;
    assertThat(
            m.value(
                "sluice_backend_target_ejections_total", "backend", "pair", "target", deadTarget))
        .isEqualTo(1);
    assertThat(m.value("sluice_backend_target_up", "backend", "pair", "target", deadTarget))
        .isEqualTo(0);
    assertThat(
            m.value(
                "sluice_backend_target_up",
                "backend",
                "pair",
                "target",
                "127.0.0.1:" + live.port()))
        .isEqualTo(1);
    // Once ejected, the dead target costs nothing: at most the 3 failures that ejected it
    // (per event loop that saw them before the ejection) were retried.
    assertThat(m.value("sluice_backend_retries_total", "backend", "pair")).isLessThanOrEqualTo(6);
  }

  @Test
  void aTargetFailingItsHealthChecksLeavesTheBalancerAndComesBack() {
    sick.set(true);
    try {
      Await.until(() -> checkedAUp() == 0, 5);
      for (int i = 0; i < 10; i++) {
        assertThat(sluice.client().get("/checked/" + i).body()).isEqualTo("b");
      }
    } finally {
      sick.set(false);
    }
    Await.until(() -> checkedAUp() == 1, 5);
    Set<String> answered = ConcurrentHashMap.newKeySet();
    for (int i = 0; i < 10; i++) {
      answered.add(sluice.client().get("/checked/back" + i).body());
    }
    assertThat(answered).containsExactlyInAnyOrder("a", "b");
  }

  /** Whether the gateway has target A of backend "checked" in service (1) or not (0). */
  private static double checkedAUp() {
    return scrape()
        .value(
            "sluice_backend_target_up",
            "backend",
            "checked",
            "target",
            "127.0.0.1:" + checkedA.port());
  }

  private static long requestsFor(TestBackend backend, String uri) {
    return backend.received().stream().filter(r -> r.uri().equals(uri)).count();
  }

  private static Metrics scrape() {
    return Metrics.parse(sluice.admin().get("/metrics").body());
  }
}
