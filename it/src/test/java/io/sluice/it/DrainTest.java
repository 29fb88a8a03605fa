package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.Await;
import io.sluice.testkit.SluiceExtension;
import io.sluice.testkit.TestBackend;
import io.sluice.testkit.TestResponse;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpMethod;
import java.io.IOException;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** SIGTERM's in-process half: readiness false, no new connections, in-flight requests finish. */
class DrainTest {

  static final CountDownLatch arrived = new CountDownLatch(1);
  static final Promise<Void> release = Promise.promise();

  @RegisterExtension
  final SluiceExtension sluice =
      SluiceExtension.withConfig(
              """
              gateway:
                drainTimeout: 10s
              backends:
                slow: { type: http, targets: [ "${backend:slow}" ] }
              routes:
                - { id: slow, match: { path: /slow }, backend: slow }
              """)
          .backend(
              "slow",
              TestBackend.of(
                  req -> {
                    arrived.countDown();
                    release.future().onComplete(v -> req.response().end("finished"));
                  }))
          .build();

  @Test
  void shutdownDrainsTheRequestInFlightAndRefusesNewConnections() throws Exception {
    Future<io.sluice.testkit.TestResponse> inFlight =
        sluice.client().sendAsync(HttpMethod.GET, "/slow", Map.of(), null);
    assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();

    int port = sluice.port();
    int adminPort = sluice.adminPort();
    Future<Void> shutdown = sluice.gateway().shutdown();
    // readiness is false at once, while the request is still running
    assertThat(sluice.gateway().isReady()).isFalse();
    assertThat(sluice.admin().get("/readyz").status()).isEqualTo(503);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    boolean refused = false;
    while (!refused && System.nanoTime() < deadline) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        Thread.sleep(50);
      } catch (IOException e) {
        refused = true;
      }
    }
    assertThat(refused).as("new connections refused while draining").isTrue();
    assertThat(adminPort).isPositive();

    release.complete();
    TestResponse r = Await.result(inFlight, 10);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("finished");
    Await.result(shutdown, 15);
  }
}
