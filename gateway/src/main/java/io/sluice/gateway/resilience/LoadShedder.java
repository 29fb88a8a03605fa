package io.sluice.gateway.resilience;

import com.netflix.concurrency.limits.Limiter;
import com.netflix.concurrency.limits.limit.Gradient2Limit;
import com.netflix.concurrency.limits.limit.WindowedLimit;
import com.netflix.concurrency.limits.limiter.SimpleLimiter;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.sluice.api.Problem;
import io.sluice.gateway.config.SluiceConfig.LoadShedding;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Adaptive load shedding for the whole gateway, with Netflix's concurrency-limits: a limit on
 * client requests in flight that follows their latency (Gradient2, fed one sample per window so the
 * event loops do not contend on a lock per request). When latency rises because something behind
 * the gateway queues, the limit falls, and requests beyond it are answered at once with 503 {@code
 * overloaded} and {@code Retry-After: 1} instead of waiting in line with the others.
 *
 * <p>Only client requests on the gateway port count: the admin port (health, readiness, metrics)
 * has its own listener and is never shed.
 */
public final class LoadShedder {

  public static final Problem OVERLOADED =
      Problem.of(
          503,
          "overloaded",
          "Service Unavailable",
          "The gateway is at its concurrency limit; try again shortly.");

  private final SimpleLimiter<Void> limiter;
  private final LongCounter shed;
  private final io.opentelemetry.api.metrics.ObservableLongGauge gauge;

  private LoadShedder(LoadShedding config, Meter meter) {
    Gradient2Limit gradient =
        Gradient2Limit.newBuilder()
            .initialLimit(config.initialLimit())
            .minLimit(config.minLimit())
            .maxConcurrency(config.maxLimit())
            .build();
    this.limiter =
        SimpleLimiter.newBuilder()
            .named("sluice")
            .limit(
                WindowedLimit.newBuilder()
                    .minWindowTime(100, TimeUnit.MILLISECONDS)
                    .maxWindowTime(1, TimeUnit.SECONDS)
                    .minRttThreshold(10, TimeUnit.MICROSECONDS)
                    .build(gradient))
            .build();
    this.shed =
        meter
            .counterBuilder("sluice.requests.shed")
            .setDescription("Client requests answered 503 by the gateway's adaptive limit.")
            .build();
    shed.add(0); // a series from the start, for rate()
    this.gauge =
        meter
            .gaugeBuilder("sluice.concurrency.limit")
            .ofLongs()
            .setDescription("The gateway's adaptive limit on client requests in flight.")
            .buildWithCallback(m -> m.record(limiter.getLimit()));
  }

  /** Stops reporting the limit: a reload replaced this shedder. */
  public void close() {
    gauge.close();
  }

  /** The shedder, or null when {@code gateway.loadShedding} is off. */
  public static LoadShedder of(LoadShedding config, Meter meter) {
    return config == null ? null : new LoadShedder(config, meter);
  }

  /**
   * A permit for one request, to be given back through {@link #release} when it ends; null when the
   * request is over the limit (the caller answers {@link #OVERLOADED}).
   */
  public Limiter.Listener admit() {
    Optional<Limiter.Listener> permit = limiter.acquire(null);
    if (permit.isEmpty()) {
      shed.add(1);
      return null;
    }
    return permit.get();
  }

  /**
   * Gives a permit back. Only requests that went to a backend are latency samples: answers the
   * gateway made itself (refusals, cache hits) say nothing about queueing behind it, and a backend
   * timeout (504) is a drop, which lowers the limit at once. A Lambda cold start is not a sample
   * either ({@code calledBackend} false): its Init Duration is not queueing.
   */
  public static void release(
      Limiter.Listener permit, boolean calledBackend, int status, boolean clientLeft) {
    if (!calledBackend || clientLeft) {
      permit.onIgnore();
    } else if (status == 504) {
      permit.onDropped();
    } else {
      permit.onSuccess();
    }
  }

  /** The current limit (for tests and the admin API). */
  public int limit() {
    return limiter.getLimit();
  }
}
