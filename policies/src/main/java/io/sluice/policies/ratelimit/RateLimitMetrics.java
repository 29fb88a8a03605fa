package io.sluice.policies.ratelimit;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.sluice.api.PolicyContext;

/**
 * The rate limiter's metrics, as Prometheus exports them:
 *
 * <ul>
 *   <li>{@code sluice_ratelimit_decisions_total} ({@code route}, {@code decision}: {@code allowed},
 *       {@code limited}, and {@code store_failure_allowed} or {@code store_failure_denied} when
 *       Redis did not answer and {@code onStoreFailure} decided);
 *   <li>{@code sluice_ratelimit_store_failures_total} ({@code store}): Redis calls that failed or
 *       timed out;
 *   <li>{@code sluice_ratelimit_store_up} ({@code store}): 1 while Redis answers, 0 during an
 *       outage.
 * </ul>
 */
final class RateLimitMetrics {

  enum Outcome {
    ALLOWED("allowed"),
    LIMITED("limited"),
    STORE_FAILURE_ALLOWED("store_failure_allowed"),
    STORE_FAILURE_DENIED("store_failure_denied");

    final String label;

    Outcome(String label) {
      this.label = label;
    }
  }

  private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("route");
  private static final AttributeKey<String> DECISION = AttributeKey.stringKey("decision");
  private static final AttributeKey<String> STORE = AttributeKey.stringKey("store");

  private final LongCounter decisions;
  private final Attributes[] attributes = new Attributes[Outcome.values().length];

  RateLimitMetrics(PolicyContext context) {
    this.decisions =
        context
            .meter()
            .counterBuilder("sluice.ratelimit.decisions")
            .setDescription("Rate-limit decisions.")
            .build();
    for (Outcome o : Outcome.values()) {
      attributes[o.ordinal()] = Attributes.of(ROUTE, context.routeId(), DECISION, o.label);
    }
  }

  void count(Outcome outcome) {
    decisions.add(1, attributes[outcome.ordinal()]);
  }

  /** Reports a Redis store's failures and state, read when metrics are collected. */
  static void observe(Meter meter, RedisStore store) {
    Attributes a = Attributes.of(STORE, store.where());
    meter
        .counterBuilder("sluice.ratelimit.store.failures")
        .setDescription("Rate-limit store calls that failed or timed out.")
        .buildWithCallback(m -> m.record(store.failures(), a));
    meter
        .gaugeBuilder("sluice.ratelimit.store.up")
        .ofLongs()
        .setDescription("1 while the rate-limit store answers, 0 during an outage.")
        .buildWithCallback(m -> m.record(store.failing() ? 0 : 1, a));
  }
}
