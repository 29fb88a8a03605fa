package io.sluice.gateway.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {

  private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);
  private final RetryBudget budget = new RetryBudget(0.2, 3, nanos::get);

  @Test
  void retriesAreAShareOfTheRequestsPlusTheFloor() {
    for (int i = 0; i < 100; i++) {
      budget.requested();
    }
    assertThat(granted(1000)).isEqualTo(20 + 3);
  }

  @Test
  void aQuietBackendStillGetsItsFloor() {
    assertThat(granted(10)).isEqualTo(3);
  }

  @Test
  void theWindowMovesOn() {
    for (int i = 0; i < 50; i++) {
      budget.requested();
    }
    assertThat(granted(100)).isEqualTo(13);
    nanos.addAndGet(5_000_000_000L); // still within the 10 s window
    assertThat(granted(100)).isZero();
    nanos.addAndGet(6_000_000_000L); // the requests and retries of 11 s ago are gone
    assertThat(granted(100)).isEqualTo(3);
  }

  private int granted(int asked) {
    int n = 0;
    for (int i = 0; i < asked; i++) {
      if (budget.tryRetry()) {
        n++;
      }
    }
    return n;
  }
}
