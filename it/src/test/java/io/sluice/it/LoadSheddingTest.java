package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.it.support.Metrics;
import io.sluice.it.support.Overloaded;
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
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The gateway's adaptive concurrency limit (Netflix concurrency-limits), through running gateways:
 * requests beyond the limit get a fast 503 while the admin port keeps answering, and the limit
 * falls when the backend's latency rises.
 */
class LoadSheddingTest {

  /** Milliseconds the backend takes to answer. */
  static final AtomicLong delay = new AtomicLong();

  static final TestBackend slow =
      TestBackend.of(
          req -> {
            long ms = delay.get();
            if (ms == 0) {
              req.response().end("done");
            } else {
              io.vertx.core.Vertx.currentContext()
                  .owner()
                  .setTimer(ms, id -> req.response().end("done"));
            }
          });

  /** A limit pinned at 2, to count exactly. */
  @RegisterExtension
  static final SluiceExtension fixed = gateway("initialLimit: 2, minLimit: 2, maxLimit: 2");

  /**
   * A limit free to move between 4 and 200. Gradient2 only moves it when the requests in flight
   * reach half of it (below that the limit binds nothing): 40 lets 32 clients engage it.
   */
  @RegisterExtension
  static final SluiceExtension adaptive = gateway("initialLimit: 40, minLimit: 4, maxLimit: 200");

  /** A gateway in front of {@link #slow}, with adaptive load shedding and these limits. */
  private static SluiceExtension gateway(String limits) {
    return SluiceExtension.withConfig(
            """
            gateway:
              loadShedding: { adaptive: true, %s }
            backends:
              slow: { type: http, targets: [ "${backend:slow}" ] }
            routes:
              - { id: slow, match: { path: "/**" }, backend: slow }
            """
                .formatted(limits))
        .backend("slow", slow)
        .build();
  }

  @Test
  void beyondTheLimitRequestsGetAFast503AndTheAdminPortStillAnswers() {
    delay.set(500);
    List<Future<TestResponse>> all = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      all.add(fixed.client().sendAsync(HttpMethod.GET, "/r/" + i, Map.of(), null));
    }
    // While two requests hold the limit, the admin port is not shed.
    long t0 = System.nanoTime();
    assertThat(fixed.admin().get("/healthz").status()).isEqualTo(200);
    assertThat(fixed.admin().get("/readyz").status()).isEqualTo(200);
    Metrics during = Metrics.parse(fixed.admin().get("/metrics").body());
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(400);
    assertThat(during.value("sluice_concurrency_limit")).isEqualTo(2);
    assertThat(Overloaded.refusals(all)).as("two get through, eight are refused").isEqualTo(8);
    assertThat(
            Metrics.parse(fixed.admin().get("/metrics").body()).value("sluice_requests_shed_total"))
        .isEqualTo(8);
    // The permits came back.
    delay.set(0);
    assertThat(fixed.client().get("/r/after").status()).isEqualTo(200);
  }

  @Test
  void theLimitFallsWhenTheBackendSlowsDown() throws Exception {
    delay.set(0);
    load(8, 1500, new AtomicInteger());
    double before = limit();
    assertThat(before).isGreaterThanOrEqualTo(40);

    delay.set(100);
    AtomicInteger refused = new AtomicInteger();
    load(32, 3000, refused);
    double after = limit();
    assertThat(after).as("limit after the slowdown (was %s)", before).isLessThan(before * 0.6);
    assertThat(refused.get()).as("requests shed").isPositive();
    delay.set(0);
  }

  private static double limit() {
    return Metrics.parse(adaptive.admin().get("/metrics").body()).value("sluice_concurrency_limit");
  }

  /** {@code clients} closed loops of requests for {@code ms}; counts the 503s. */
  private static void load(int clients, long ms, AtomicInteger refused) throws Exception {
    long end = System.nanoTime() + ms * 1_000_000;
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      Thread t =
          new Thread(
              () -> {
                while (System.nanoTime() < end) {
                  int status =
                      Await.result(
                              adaptive.client().sendAsync(HttpMethod.GET, "/x", Map.of(), null), 10)
                          .status();
                  if (status == 503) {
                    refused.incrementAndGet();
                  }
                }
              });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
  }
}
