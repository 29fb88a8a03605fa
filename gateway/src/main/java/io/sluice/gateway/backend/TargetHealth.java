package io.sluice.gateway.backend;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.sluice.gateway.config.SluiceConfig.HealthCheck;
import io.sluice.gateway.config.SluiceConfig.Outlier;
import io.sluice.gateway.config.SluiceConfig.Target;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which targets of one backend may take requests, shared by every event loop: outlier ejection
 * (passive: {@code consecutiveFailures} failed attempts in a row take a target out for {@code
 * ejectFor}) and active health checks ({@link HealthCheckVerticle} reports here).
 *
 * <p>The last target still in is never ejected, and when every target fails its health check all of
 * them are used (a check that is wrong must not take the whole backend down): Envoy's panic rule.
 */
public final class TargetHealth {

  private static final Logger LOG = LoggerFactory.getLogger(TargetHealth.class);
  private static final AttributeKey<String> BACKEND = AttributeKey.stringKey("backend");
  private static final AttributeKey<String> TARGET = AttributeKey.stringKey("target");

  private final String backend;
  private final Target[] targets;
  private final int ejectAfter;
  private final long ejectForNanos;
  private final HealthCheck check;
  private final boolean tracked;

  /** Failed attempts in a row, per target. */
  private final AtomicIntegerArray failures;

  /** System.nanoTime() until which the target is ejected; 0 when it is not. */
  private final AtomicLongArray ejectedUntil;

  /** 1 when the target passes its health checks (or has none). */
  private final AtomicIntegerArray healthy;

  /** Checks in a row that disagree with the current state, per target (health-check thread). */
  private final int[] streak;

  private final LongCounter ejections;
  private final Attributes[] attributes;
  private final io.opentelemetry.api.metrics.ObservableLongGauge up;

  public TargetHealth(
      String backend, Target[] targets, Outlier outlier, HealthCheck check, Meter meter) {
    this.backend = backend;
    this.targets = targets.clone();
    this.ejectAfter = outlier == null ? 0 : outlier.consecutiveFailures();
    this.ejectForNanos = outlier == null ? 0 : outlier.ejectFor().toNanos();
    this.check = check;
    this.tracked = outlier != null || check != null;
    int n = targets.length;
    this.failures = new AtomicIntegerArray(n);
    this.ejectedUntil = new AtomicLongArray(n);
    this.healthy = new AtomicIntegerArray(n);
    this.streak = new int[n];
    this.attributes = new Attributes[n];
    for (int i = 0; i < n; i++) {
      healthy.set(i, 1);
      attributes[i] =
          Attributes.of(
              BACKEND,
              backend,
              TARGET,
              targets[i].host() + ":" + targets[i].port() + targets[i].basePath());
    }
    this.ejections =
        meter
            .counterBuilder("sluice_backend_target_ejections")
            .setDescription("Targets taken out of the balancer after failing requests in a row")
            .build();
    if (outlier != null) {
      for (Attributes a : attributes) {
        ejections.add(0, a); // a series from the start, for rate()
      }
    }
    if (tracked) {
      up =
          meter
              .gaugeBuilder("sluice_backend_target_up")
              .setDescription("1 while the target takes requests; 0 while ejected or unhealthy")
              .ofLongs()
              .buildWithCallback(
                  m -> {
                    long now = System.nanoTime();
                    for (int i = 0; i < attributes.length; i++) {
                      m.record(inService(i, now) ? 1 : 0, attributes[i]);
                    }
                  });
    } else {
      up = null;
    }
  }

  /** Stops reporting the targets' state: a reload replaced the backend. */
  public void close() {
    if (up != null) {
      up.close();
    }
  }

  /** Whether anything can take a target out: when not, the balancer need not ask. */
  boolean tracked() {
    return tracked;
  }

  /** Whether target {@code i} takes requests now (not ejected, not failing its checks). */
  public boolean up(int i) {
    return inService(i, System.nanoTime());
  }

  public int size() {
    return targets.length;
  }

  public Target target(int i) {
    return targets[i];
  }

  /** Whether target {@code i} takes requests now: not ejected, and healthy. */
  boolean inService(int i, long now) {
    long until = ejectedUntil.get(i);
    return (until == 0 || until - now <= 0) && healthy.get(i) == 1;
  }

  /**
   * Whether target {@code i} may be picked: in service, or every target is unhealthy by its checks
   * (then all are used; ejection alone never empties the set, see {@link #failed}).
   */
  boolean usable(int i, long now) {
    if (inService(i, now)) {
      return true;
    }
    for (int k = 0; k < targets.length; k++) {
      if (inService(k, now)) {
        return false;
      }
    }
    return true;
  }

  /** An attempt on target {@code i} got an answer that is not a failure. */
  void succeeded(int i) {
    if (ejectAfter > 0 && failures.get(i) != 0) {
      failures.set(i, 0);
    }
  }

  /** An attempt on target {@code i} failed: a connect error, a timeout, or a 5xx. */
  void failed(int i) {
    if (ejectAfter == 0 || failures.incrementAndGet(i) < ejectAfter) {
      return;
    }
    long now = System.nanoTime();
    if (!inService(i, now)) {
      return; // already out
    }
    int others = 0;
    for (int k = 0; k < targets.length; k++) {
      if (k != i && inService(k, now)) {
        others++;
      }
    }
    if (others == 0) {
      return; // the last one stays
    }
    long until = now + ejectForNanos;
    long prev = ejectedUntil.get(i);
    if (ejectedUntil.compareAndSet(i, prev, until == 0 ? 1 : until)) {
      failures.set(i, 0); // back in, it needs a full run of failures to go out again
      ejections.add(1, attributes[i]);
      LOG.warn(
          "backend {}: target {} ejected for {} ms after {} failures in a row",
          backend,
          targets[i],
          ejectForNanos / 1_000_000,
          ejectAfter);
    }
  }

  /** The active check's path, or null. */
  public HealthCheck check() {
    return check;
  }

  /** A health check of target {@code i} passed or failed (called from the checker's loop only). */
  void checked(int i, boolean passed, String why) {
    boolean up = healthy.get(i) == 1;
    if (passed == up) {
      streak[i] = 0;
      return;
    }
    streak[i]++;
    if (streak[i] >= (up ? check.unhealthyAfter() : check.healthyAfter())) {
      streak[i] = 0;
      healthy.set(i, passed ? 1 : 0);
      if (passed) {
        LOG.info("backend {}: target {} healthy again", backend, targets[i]);
      } else {
        LOG.warn(
            "backend {}: target {} unhealthy ({}), out of the balancer", backend, targets[i], why);
      }
    }
  }
}
