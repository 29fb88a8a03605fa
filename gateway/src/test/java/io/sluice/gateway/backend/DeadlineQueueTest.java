package io.sluice.gateway.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DeadlineQueueTest {

  static final class Named extends DeadlineQueue.Entry {
    final String name;
    final List<String> expired;

    Named(String name, List<String> expired) {
      this.name = name;
      this.expired = expired;
    }

    @Override
    void expired() {
      expired.add(name);
    }
  }

  @Test
  void expiresOnlyEntriesStillQueuedAtTheirDeadlineInOrder() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      List<String> expired = new CopyOnWriteArrayList<>();
      CountDownLatch done = new CountDownLatch(1);
      vertx.runOnContext(
          v -> {
            DeadlineQueue q = new DeadlineQueue(vertx, TimeUnit.MILLISECONDS.toNanos(100));
            Named a = new Named("a", expired);
            Named b = new Named("b", expired);
            Named c = new Named("c", expired);
            q.add(a);
            q.add(b);
            q.add(c);
            q.remove(b); // answered in time
            q.remove(b); // twice is harmless
            vertx.setTimer(
                40,
                id -> {
                  Named d = new Named("d", expired);
                  q.add(d); // 40 ms later: expires 40 ms after a and c
                  vertx.setTimer(
                      100,
                      id2 -> {
                        // at 140 ms: a and c are gone, d (due at 140) may or may not be
                        assertThat(expired).startsWith("a", "c");
                        vertx.setTimer(
                            60,
                            id3 -> {
                              assertThat(expired).containsExactly("a", "c", "d");
                              assertThat(q.isEmpty()).isTrue();
                              done.countDown();
                            });
                      });
                });
          });
      assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
