package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.Await;
import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Keep-alive reuse, the per-event-loop connection bound, and two targets sharing the load. */
class ConnectionPoolTest {

  static final AtomicInteger inFlight = new AtomicInteger();
  static final AtomicInteger peak = new AtomicInteger();

  @RegisterExtension
  static final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              backends:
                one: { type: http, targets: [ "${backend:a}" ], maxConnections: 2 }
                two: { type: http, targets: [ "${backend:a}", "${backend:b}" ] }
                busy: { type: http, targets: [ "${backend:slow}" ], maxConnections: 1, connectTimeout: 300ms }
              routes:
                - { id: one, match: { path: "/one/**" }, backend: one }
                - { id: two, match: { path: "/two/**" }, backend: two }
                - { id: busy, match: { path: "/busy/**" }, backend: busy }
              """)
          .instances(1)
          .backend(
              "a",
              TestBackend.of(
                  req -> {
                    int now = inFlight.incrementAndGet();
                    peak.accumulateAndGet(now, Math::max);
                    // Answer a little later so that concurrent requests overlap.
                    req.response()
                        .exceptionHandler(e -> {})
                        .endHandler(v -> inFlight.decrementAndGet());
                    io.vertx.core.Vertx.currentContext()
                        .owner()
                        .setTimer(30, id -> req.response().end("a"));
                  }))
          .backend("b", TestBackend.fixed(200, "b"))
          .backend(
              "slow",
              TestBackend.of(
                  req ->
                      io.vertx.core.Vertx.currentContext()
                          .owner()
                          .setTimer(2000, id -> req.response().end("slow"))))
          .build();

  @BeforeEach
  void reset() {
    sluice.backend("a").reset();
    sluice.backend("b").reset();
    peak.set(0);
  }

  @Test
  void sequentialRequestsReuseOneKeepAliveConnection() {
    for (int i = 0; i < 10; i++) {
      assertThat(sluice.client().get("/one/" + i).status()).isEqualTo(200);
    }
    assertThat(sluice.backend("a").requestCount()).isEqualTo(10);
    assertThat(sluice.backend("a").connectionCount()).isEqualTo(1);
  }

  @Test
  void concurrentRequestsBeyondTheBoundWaitForAConnectionAndAllSucceed() {
    List<Future<TestResponse>> all = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      all.add(sluice.client().sendAsync(HttpMethod.GET, "/one/" + i, Map.of(), null));
    }
    for (Future<TestResponse> f : all) {
      assertThat(Await.result(f, 20).status()).isEqualTo(200);
    }
    assertThat(sluice.backend("a").connectionCount()).isLessThanOrEqualTo(2);
    assertThat(peak.get()).isLessThanOrEqualTo(2);
  }

  @Test
  void aRequestWaitsForABusyConnectionNoLongerThanTheConnectTimeout() {
    // One connection, two requests: whichever arrives second must not wait for the first's 2 s.
    long start = System.nanoTime();
    List<Future<long[]>> both = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      both.add(
          sluice
              .client()
              .sendAsync(HttpMethod.GET, "/busy/" + i, Map.of(), null)
              .map(r -> new long[] {r.status(), (System.nanoTime() - start) / 1_000_000}));
    }
    long[] a = Await.result(both.get(0), 10);
    long[] b = Await.result(both.get(1), 10);
    long[] refused = a[0] == 502 ? a : b;
    long[] served = a[0] == 502 ? b : a;
    assertThat(refused[0]).isEqualTo(502);
    assertThat(refused[1]).as("ms until the refusal").isLessThan(1500);
    assertThat(served[0]).isEqualTo(200);
  }

  @Test
  void roundRobinSpreadsRequestsOverBothTargets() {
    StringBuilder answers = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      answers.append(sluice.client().get("/two/" + i).body());
    }
    assertThat(answers.toString()).isIn("ababab", "bababa");
  }
}
