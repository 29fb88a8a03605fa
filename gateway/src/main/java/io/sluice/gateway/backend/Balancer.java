package io.sluice.gateway.backend;

import io.sluice.gateway.config.SluiceConfig.Balance;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks a target index. One per backend per event loop: plain fields, no locks. {@code
 * least-requests} picks the target with the fewest requests in flight on this event loop (ties: the
 * first after the last pick), which on a few targets is the exact answer, not an estimate. {@code
 * failover} picks the first target in service in the listed order.
 *
 * <p>Targets that {@link TargetHealth} has taken out are skipped, and so are the targets a retry
 * has already tried; when that leaves none, a tried target that is in service is taken, then any.
 */
final class Balancer {

  private final Balance policy;
  private final int[] inFlight;
  private final TargetHealth health;
  private int next;

  Balancer(Balance policy, int targets, TargetHealth health) {
    this.policy = policy;
    this.inFlight = new int[targets];
    this.health = health;
  }

  /** A target for a first attempt. */
  int pick() {
    return pick(0L);
  }

  /** A target, avoiding those in the {@code tried} bit set (targets 0 to 63) when it can. */
  int pick(long tried) {
    int n = inFlight.length;
    if (n == 1) {
      return 0;
    }
    if (tried == 0 && (health == null || !health.tracked())) {
      return choose(0L, 0L);
    }
    long now = System.nanoTime();
    int i = choose(tried, now);
    if (i < 0 && tried != 0) {
      i = choose(0L, now);
    }
    return i < 0 ? choose(0L, 0L) : i;
  }

  /**
   * The policy's choice among the targets not in {@code tried} and, unless {@code now} is 0,
   * usable; -1 when there is none.
   */
  private int choose(long tried, long now) {
    int n = inFlight.length;
    int start =
        switch (policy) {
          case RANDOM -> ThreadLocalRandom.current().nextInt(n);
          case FAILOVER -> 0;
          default -> next;
        };
    int best = -1;
    for (int k = 0; k < n; k++) {
      int i = (start + k) % n;
      if ((i < 64 && (tried & (1L << i)) != 0) || (now != 0 && !health.usable(i, now))) {
        continue;
      }
      if (policy != Balance.LEAST_REQUESTS) {
        best = i;
        break;
      }
      if (best < 0 || inFlight[i] < inFlight[best]) {
        best = i;
      }
    }
    if (best >= 0 && policy != Balance.RANDOM && policy != Balance.FAILOVER) {
      next = (best + 1) % n;
    }
    return best;
  }

  void started(int target) {
    inFlight[target]++;
  }

  void finished(int target) {
    inFlight[target]--;
  }
}
