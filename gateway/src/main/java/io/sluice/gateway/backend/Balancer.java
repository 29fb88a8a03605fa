package io.sluice.gateway.backend;

import io.sluice.gateway.config.SluiceConfig.Balance;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks a target index. One per backend per event loop: plain fields, no locks. {@code
 * least-requests} picks the target with the fewest requests in flight on this event loop (ties: the
 * first after the last pick), which on a few targets is the exact answer, not an estimate.
 */
final class Balancer {

  private final Balance policy;
  private final int[] inFlight;
  private int next;

  Balancer(Balance policy, int targets) {
    this.policy = policy;
    this.inFlight = new int[targets];
  }

  int pick() {
    int n = inFlight.length;
    if (n == 1) {
      return 0;
    }
    switch (policy) {
      case RANDOM:
        return ThreadLocalRandom.current().nextInt(n);
      case LEAST_REQUESTS:
        int best = -1;
        for (int k = 0; k < n; k++) {
          int i = (next + k) % n;
          if (best < 0 || inFlight[i] < inFlight[best]) {
            best = i;
          }
        }
        next = (best + 1) % n;
        return best;
      default:
        int i = next;
        next = (i + 1) % n;
        return i;
    }
  }

  void started(int target) {
    inFlight[target]++;
  }

  void finished(int target) {
    inFlight[target]--;
  }
}
