package io.sluice.gateway.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import java.util.List;

/**
 * What only Lambda backends have: cold starts (seen in sampled log tails), throttles and keep-warm
 * pings. One per lambda backend, shared by every event loop; every series exists from the start at
 * zero, so a dashboard's rate() has something to work on before the first event.
 */
public final class LambdaMetrics {

  /** Who made the invocation. */
  public enum Trigger {
    REQUEST("request"),
    WARMER("warmer");

    final String label;

    Trigger(String label) {
      this.label = label;
    }
  }

  /** How a keep-warm ping went. */
  public enum Ping {
    OK("ok"),
    FUNCTION_ERROR("function_error"),
    THROTTLED("throttled"),
    ERROR("error"),
    SKIPPED_CIRCUIT("skipped_circuit"),
    SKIPPED_BUSY("skipped_busy");

    final String label;

    Ping(String label) {
      this.label = label;
    }
  }

  private static final AttributeKey<String> BACKEND = AttributeKey.stringKey("backend");
  private static final AttributeKey<String> FUNCTION = AttributeKey.stringKey("function");
  private static final AttributeKey<String> TRIGGER = AttributeKey.stringKey("trigger");
  private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("outcome");

  /** Init Duration buckets, in seconds: from a tiny Go binary to a large JVM without SnapStart. */
  private static final List<Double> INIT_BUCKETS =
      List.of(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0);

  private final LongCounter coldStarts;
  private final LongCounter logTails;
  private final LongCounter throttles;
  private final LongCounter pings;
  private final DoubleHistogram initDuration;
  private final Attributes function;
  private final Attributes[] byTrigger = new Attributes[Trigger.values().length];
  private final Attributes[] byPing = new Attributes[Ping.values().length];

  public LambdaMetrics(Meter meter, String backend, String functionName, boolean warmed) {
    this.function = Attributes.of(BACKEND, backend, FUNCTION, functionName);
    for (Trigger t : Trigger.values()) {
      byTrigger[t.ordinal()] =
          Attributes.of(BACKEND, backend, FUNCTION, functionName, TRIGGER, t.label);
    }
    for (Ping p : Ping.values()) {
      byPing[p.ordinal()] =
          Attributes.of(BACKEND, backend, FUNCTION, functionName, OUTCOME, p.label);
    }
    this.coldStarts =
        meter
            .counterBuilder("sluice.lambda.cold_starts")
            .setDescription(
                "Cold starts seen: sampled invocations whose log tail reports an Init Duration.")
            .build();
    this.logTails =
        meter
            .counterBuilder("sluice.lambda.log_tails")
            .setDescription("Invocations made with the log tail (the cold-start sample).")
            .build();
    this.throttles =
        meter
            .counterBuilder("sluice.lambda.throttles")
            .setDescription("Invocations Lambda refused with 429 TooManyRequestsException.")
            .build();
    this.pings =
        meter
            .counterBuilder("sluice.lambda.warm_pings")
            .setDescription("Keep-warm pings, by outcome (skipped: not sent).")
            .build();
    this.initDuration =
        meter
            .histogramBuilder("sluice.lambda.init_duration")
            .setUnit("s")
            .setDescription("The Init Duration of the cold starts seen.")
            .setExplicitBucketBoundariesAdvice(INIT_BUCKETS)
            .build();
    for (Attributes a : byTrigger) {
      coldStarts.add(0, a);
      logTails.add(0, a);
    }
    throttles.add(0, function);
    if (warmed) {
      for (Attributes a : byPing) {
        pings.add(0, a);
      }
    }
  }

  /** An invocation was made with the log tail; {@code initMillis} its Init Duration, or -1. */
  public void logTail(Trigger trigger, double initMillis) {
    logTails.add(1, byTrigger[trigger.ordinal()]);
    if (initMillis >= 0) {
      coldStarts.add(1, byTrigger[trigger.ordinal()]);
      initDuration.record(initMillis / 1000, function);
    }
  }

  public void throttled() {
    throttles.add(1, function);
  }

  public void ping(Ping outcome) {
    pings.add(1, byPing[outcome.ordinal()]);
  }
}
