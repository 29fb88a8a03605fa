package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.EventData;
import io.sluice.it.support.Metrics;
import io.sluice.it.support.Overloaded;
import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Backend guards through the running gateway: a circuit breaker that opens on failures and closes
 * again, and a concurrency limit whose excess gets fast 503s.
 */
class ResilienceTest {

  static final AtomicBoolean failing = new AtomicBoolean();
  static final AtomicInteger inFlight = new AtomicInteger();
  static final AtomicInteger maxInFlight = new AtomicInteger();

  /** Answers 500 while {@code failing}, 200 otherwise. */
  static final TestBackend flaky =
      TestBackend.of(req -> req.response().setStatusCode(failing.get() ? 500 : 200).end("flaky"));

  /** Answers 404 to everything. */
  static final TestBackend missing = TestBackend.fixed(404, "no such thing");

  /** Answers after 400 ms, counting how many requests it holds at once. */
  static final TestBackend sleepy =
      TestBackend.of(
          req -> {
            int now = inFlight.incrementAndGet();
            maxInFlight.accumulateAndGet(now, Math::max);
            io.vertx.core.Vertx.currentContext()
                .owner()
                .setTimer(
                    400,
                    id -> {
                      inFlight.decrementAndGet();
                      req.response().end("slept");
                    });
          });

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                flaky:
                  type: http
                  targets: [ "${backend:flaky}" ]
                  circuitBreaker: { maxFailures: 3, window: 10s, openFor: 1s }
                fourxx:
                  type: http
                  targets: [ "${backend:missing}" ]
                  circuitBreaker: { maxFailures: 2, window: 10s, openFor: 30s }
                limited:
                  type: http
                  targets: [ "${backend:sleepy}" ]
                  concurrency: { max: 2, queue: 1, queueTimeout: 2s }
                impatient:
                  type: http
                  targets: [ "${backend:sleepy}" ]
                  concurrency: { max: 1, queue: 1, queueTimeout: 100ms }
              routes:
                - { id: flaky, match: { path: "/flaky/**" }, backend: flaky }
                - { id: fourxx, match: { path: "/notfound/**" }, backend: fourxx }
                - { id: limited, match: { path: "/limited/**" }, backend: limited }
                - { id: impatient, match: { path: "/impatient/**" }, backend: impatient }
              """)
          .backend("flaky", flaky)
          .backend("missing", missing)
          .backend("sleepy", sleepy)
          .build();

  @Test
  void failuresOpenTheCircuitThenAProbeClosesIt() throws Exception {
    failing.set(true);
    for (int i = 0; i < 3; i++) {
      assertThat(sluice.client().get("/flaky/" + i).status()).isEqualTo(500);
    }
    int calls = flaky.requestCount();
    long t0 = System.nanoTime();
    TestResponse refused = sluice.client().get("/flaky/refused");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.json().getString("type")).isEqualTo("urn:sluice:problem:overloaded");
    assertThat(refused.header("Retry-After")).isEqualTo("1");
    assertThat(ms).as("answered at once").isLessThan(100);
    assertThat(flaky.requestCount()).as("no backend call while open").isEqualTo(calls);
    Metrics open = scrape();
    assertThat(open.value("sluice_backend_circuit_state", "backend", "flaky")).isEqualTo(2);
    assertThat(
            open.value("sluice_backend_shed_total", "backend", "flaky", "reason", "circuit_open"))
        .isEqualTo(1);
    String traceId = refused.json().getString("traceId");
    EventData shed =
        sluice
            .awaitSpan(
                s ->
                    s.getTraceId().equals(traceId)
                        && s.getKind() == io.opentelemetry.api.trace.SpanKind.SERVER)
            .getEvents()
            .stream()
            .filter(e -> e.getName().equals("sluice.shed"))
            .findFirst()
            .orElseThrow();
    assertThat(shed.getAttributes().get(AttributeKey.stringKey("sluice.shed.reason")))
        .isEqualTo("circuit_open");

    // After openFor, the backend is healthy again: the probe goes through and closes it.
    failing.set(false);
    Thread.sleep(1100);
    assertThat(sluice.client().get("/flaky/probe").status()).isEqualTo(200);
    assertThat(sluice.client().get("/flaky/after").status()).isEqualTo(200);
    assertThat(scrape().value("sluice_backend_circuit_state", "backend", "flaky")).isEqualTo(0);
  }

  @Test
  void clientErrorsDoNotOpenTheCircuit() {
    for (int i = 0; i < 5; i++) {
      assertThat(sluice.client().get("/notfound/" + i).status()).isEqualTo(404);
    }
    assertThat(scrape().value("sluice_backend_circuit_state", "backend", "fourxx")).isEqualTo(0);
  }

  @Test
  void beyondTheLimitAndTheQueueRequestsGetFast503s() {
    maxInFlight.set(0);
    List<Future<TestResponse>> all = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      all.add(sluice.client().sendAsync(HttpMethod.GET, "/limited/" + i, Map.of(), null));
    }
    int shed = Overloaded.refusals(all);
    // Two in flight and one queued get through; the seven others are refused.
    assertThat(shed).isEqualTo(7);
    assertThat(maxInFlight.get()).as("the backend never saw more than max").isLessThanOrEqualTo(2);
    assertThat(
            scrape()
                .value("sluice_backend_shed_total", "backend", "limited", "reason", "queue_full"))
        .isEqualTo(7);
    assertThat(scrape().value("sluice_backend_active", "backend", "limited")).isEqualTo(0);
    assertThat(scrape().value("sluice_backend_queued", "backend", "limited")).isEqualTo(0);
  }

  @Test
  void aRequestThatWaitsTooLongInTheQueueIsRefused() {
    Future<TestResponse> first =
        sluice.client().sendAsync(HttpMethod.GET, "/impatient/1", Map.of(), null);
    sleep(50); // the first one holds the only slot
    long t0 = System.nanoTime();
    TestResponse second = sluice.client().get("/impatient/2");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(second.status()).isEqualTo(503);
    assertThat(ms)
        .as("after the 100ms queue timeout, not the backend's 400ms")
        .isBetween(80L, 350L);
    assertThat(io.sluice.testkit.Await.result(first, 10).status()).isEqualTo(200);
    assertThat(
            scrape()
                .value(
                    "sluice_backend_shed_total", "backend", "impatient", "reason", "queue_timeout"))
        .isEqualTo(1);
    // The slot came back: the next request goes through.
    assertThat(sluice.client().get("/impatient/3").status()).isEqualTo(200);
  }

  private static Metrics scrape() {
    return Metrics.parse(sluice.admin().get("/metrics").body());
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
