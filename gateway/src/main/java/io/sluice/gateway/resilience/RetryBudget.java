package io.sluice.gateway.resilience;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * How many retries one backend may make, shared by every event loop: in any window of {@value
 * #WINDOW_SECONDS} seconds, retries at most {@code ratio} of the requests in that window, plus
 * {@code minRetries}. During an outage every request fails, and without a budget each one would
 * cost the backend {@code attempts} calls; with it the load grows by at most {@code ratio}
 * (Finagle's and gRPC's retry budgets work the same way).
 *
 * <p>Counts sit in one-second slots, each stamped with its second; a slot from an older second is
 * reset when its turn comes again. Counting is a single atomic add on the hot path; the sum over
 * the window is only taken when a retry asks.
 */
public final class RetryBudget {

  static final int WINDOW_SECONDS = 10;

  private final double ratio;
  private final int minRetries;
  private final LongSupplier nanoClock;

  /** Per slot: the second it counts, its requests and its retries. */
  private final AtomicLongArray second = new AtomicLongArray(WINDOW_SECONDS);

  private final AtomicLongArray requests = new AtomicLongArray(WINDOW_SECONDS);
  private final AtomicLongArray retries = new AtomicLongArray(WINDOW_SECONDS);

  /** The budget of a backend's {@code retry} settings. */
  public static RetryBudget of(io.sluice.gateway.config.SluiceConfig.Retry retry) {
    return new RetryBudget(retry.budget(), retry.minRetries());
  }

  public RetryBudget(double ratio, int minRetries) {
    this(ratio, minRetries, System::nanoTime);
  }

  RetryBudget(double ratio, int minRetries, LongSupplier nanoClock) {
    this.ratio = ratio;
    this.minRetries = minRetries;
    this.nanoClock = nanoClock;
    for (int i = 0; i < WINDOW_SECONDS; i++) {
      second.set(i, Long.MIN_VALUE / 2); // never within the window
    }
  }

  /** A request that may be retried started: it adds {@code ratio} to the budget. */
  public void requested() {
    requests.incrementAndGet(slot(now()));
  }

  /** Takes one retry from the budget; false when the budget is spent. */
  public boolean tryRetry() {
    long now = now();
    int slot = slot(now);
    long sumRequests = 0;
    long sumRetries = 0;
    for (int i = 0; i < WINDOW_SECONDS; i++) {
      if (now - second.get(i) < WINDOW_SECONDS) {
        sumRequests += requests.get(i);
        sumRetries += retries.get(i);
      }
    }
    if (sumRetries >= minRetries + (long) (ratio * sumRequests)) {
      return false;
    }
    retries.incrementAndGet(slot);
    return true;
  }

  private long now() {
    return nanoClock.getAsLong() / 1_000_000_000L;
  }

  /** The slot of second {@code now}, reset first when it still holds an older second. */
  private int slot(long now) {
    int i = (int) Math.floorMod(now, (long) WINDOW_SECONDS);
    long stamped = second.get(i);
    if (stamped != now && second.compareAndSet(i, stamped, now)) {
      // This thread turned the slot over. A count another loop adds in between may be lost:
      // rare, one count, and the budget is a bound on load, not a ledger.
      requests.set(i, 0);
      retries.set(i, 0);
    }
    return i;
  }
}
