package io.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The kit's promise that a test which blocks an event loop fails: the detector must see it. */
class BlockedThreadDetectorTest {

  @Test
  void seesAnEventLoopBlockedLongerThanTheLimit() throws Exception {
    BlockedThreadDetector detector = BlockedThreadDetector.install();
    Vertx vertx =
        Vertx.vertx(
            new VertxOptions()
                .setBlockedThreadCheckInterval(50)
                .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                .setMaxEventLoopExecuteTime(200)
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS));
    try {
      vertx.runOnContext(
          v -> {
            try {
              Thread.sleep(800); // deliberately blocking the event loop
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      java.util.List<String> reports = java.util.List.of();
      while (reports.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(100);
        reports = detector.drain();
      }
      assertThat(reports).isNotEmpty();
      assertThat(reports.get(0)).contains("vert.x-eventloop-thread");
    } finally {
      detector.uninstall();
      Await.result(vertx.close(), 10);
    }
  }
}
