package io.sluice.gateway.resilience;

import io.sluice.gateway.config.SluiceConfig.Retry;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with full jitter (AWS's recommendation), for every backend's retries. */
public final class Backoff {

  private Backoff() {}

  /**
   * How long to wait before retry number {@code n} (1 for the first): a random time up to {@code
   * backoff * 2^(n-1)}, at most {@code maxBackoff}, and at least {@code atLeastMillis} (what a
   * Retry-After asked for; 0 for nothing).
   */
  public static long delayMillis(Retry retry, int n, long atLeastMillis) {
    long cap =
        Math.min(retry.maxBackoff().toMillis(), retry.backoff().toMillis() << Math.min(n - 1, 20));
    return Math.max(atLeastMillis, ThreadLocalRandom.current().nextLong(cap + 1));
  }
}
