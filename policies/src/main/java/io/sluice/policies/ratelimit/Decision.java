package io.sluice.policies.ratelimit;

import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.VerboseResult;

/**
 * What the buckets said about one request, told by the limit closest to running out: whether it may
 * go on, how many requests that limit has left, in how many seconds it is full again, and (when
 * refused) in how many seconds a request may come back.
 */
record Decision(
    boolean allowed, int limit, long remaining, long resetSeconds, long retryAfterSeconds) {

  static Decision of(VerboseResult<ConsumptionProbe> result, Limits limits) {
    ConsumptionProbe probe = result.getValue();
    long[] left = result.getDiagnostics().getAvailableTokensPerEachBandwidth();
    int worst = 0;
    for (int i = 1; i < left.length; i++) {
      // the limit with the smallest share left tells the client the most
      if (left[i] * limits.requests[worst] < left[worst] * limits.requests[i]) {
        worst = i;
      }
    }
    long remaining = Math.max(0, left[worst]);
    long q = limits.requests[worst];
    long resetNanos = (long) ((double) (q - remaining) * limits.periodNanos[worst] / q);
    long retry = probe.isConsumed() ? 0 : Math.max(1, ceilSeconds(probe.getNanosToWaitForRefill()));
    return new Decision(probe.isConsumed(), worst, remaining, ceilSeconds(resetNanos), retry);
  }

  static long ceilSeconds(long nanos) {
    return nanos <= 0 ? 0 : (nanos + 999_999_999L) / 1_000_000_000L;
  }
}
