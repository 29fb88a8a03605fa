package io.sluice.gateway.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
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
  void expiresOnlyEntriesStillQueuedAtTheirDeadlineInOrder(Vertx vertx, VertxTestContext test) {
    vertx.runOnContext(
        v -> {
          List<String> expired = new ArrayList<>();
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
                q.add(new Named("d", expired)); // due 40 ms after a and c
                vertx.setTimer(
                    90,
                    id2 -> {
                      test.verify(
                          () -> {
                            assertThat(expired).containsExactly("a", "c");
                            assertThat(a.pastDeadline()).isTrue();
                          });
                      vertx.setTimer(
                          80,
                          id3 ->
                              test.verify(
                                  () -> {
                                    assertThat(expired).containsExactly("a", "c", "d");
                                    assertThat(q.isEmpty()).isTrue();
                                    test.completeNow();
                                  }));
                    });
              });
        });
  }
}
