package io.sluice.it.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.Await;
import io.sluice.testkit.TestResponse;
import io.vertx.core.Future;
import java.util.List;

/** Checks on a burst of requests some of which the gateway refused as overloaded. */
public final class Overloaded {

  private Overloaded() {}

  /**
   * Waits for every response and counts the refusals: each response is a 200 or a 503 {@code
   * overloaded} problem with {@code Retry-After: 1}.
   */
  public static int refusals(List<Future<TestResponse>> responses) {
    int shed = 0;
    for (Future<TestResponse> f : responses) {
      TestResponse r = Await.result(f, 10);
      if (r.status() != 200) {
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.json().getString("type")).isEqualTo("urn:sluice:problem:overloaded");
        assertThat(r.header("Retry-After")).isEqualTo("1");
        shed++;
      }
    }
    return shed;
  }
}
