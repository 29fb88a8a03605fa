package io.sluice.gateway.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.LongUpDownCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.context.Context;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * The gateway's own instruments. Their attributes are bounded: route ids and backend names from the
 * config, a fixed set of methods, status classes and outcomes; never a raw path. The attribute sets
 * are built once per route, backend and outcome and reused, so recording allocates nothing of
 * Sluice's own.
 *
 * <p>As Prometheus exports them:
 *
 * <ul>
 *   <li>{@code sluice_request_duration_seconds} (histogram; {@code route}, {@code method}, {@code
 *       status_class}): every client request, from its headers to the end of its response;
 *   <li>{@code sluice_requests_active}: requests in flight;
 *   <li>{@code sluice_connections_active}: client connections open;
 *   <li>{@code sluice_backend_request_duration_seconds} (histogram; {@code backend}, {@code
 *       outcome}): each backend attempt until its response headers, or its failure;
 *   <li>{@code sluice_backend_retries_total} ({@code backend}, {@code reason}: {@code
 *       connect_error}, {@code 502}, {@code 503}, {@code 504}, {@code throttled}, {@code 5xx}):
 *       attempts that were retried;
 *   <li>{@code sluice_backend_retry_budget_exhausted_total} ({@code backend}): retries refused
 *       because the retry budget was spent.
 * </ul>
 */
public final class GatewayMetrics {

  /**
   * The context of every measurement on the request path. Without one the SDK looks up the current
   * context in a thread-local on each call, and exemplars (the only use it would have) are off:
   * spans are never made current, requests are not bound to threads.
   */
  private static final Context NO_CONTEXT = Context.root();

  static final AttributeKey<String> ROUTE = AttributeKey.stringKey("route");
  static final AttributeKey<String> METHOD = AttributeKey.stringKey("method");
  static final AttributeKey<String> STATUS_CLASS = AttributeKey.stringKey("status_class");
  static final AttributeKey<String> BACKEND = AttributeKey.stringKey("backend");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("outcome");
  static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");

  /** Why an attempt was retried: a connect failure, one of these statuses, a throttle, a 5xx. */
  private static final String[] RETRY_REASONS = {
    "connect_error", "502", "503", "504", "throttled", "5xx"
  };

  /** The route label of requests no route matched. */
  public static final String UNMATCHED = "unmatched";

  /** Seconds: from a cached answer (tens of microseconds) to a slow function (tens of seconds). */
  static final List<Double> BUCKETS =
      List.of(
          0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
          30.0);

  private static final String[] METHODS = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "_OTHER"
  };
  private static final String[] STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};

  /** What became of a backend attempt. */
  public enum Outcome {
    S1XX("1xx"),
    S2XX("2xx"),
    S3XX("3xx"),
    S4XX("4xx"),
    S5XX("5xx"),
    TIMEOUT("timeout"),
    CONNECT_ERROR("connect_error"),
    ERROR("error");

    final String label;

    Outcome(String label) {
      this.label = label;
    }

    /** The label value, such as {@code connect_error}. */
    public String label() {
      return label;
    }

    /** The outcome of an attempt that got a response with this status. */
    public static Outcome of(int status) {
      int c = status / 100;
      return c >= 1 && c <= 5 ? values()[c - 1] : ERROR;
    }
  }

  private final Meter meter;
  private final DoubleHistogram requests;
  private final LongUpDownCounter active;
  private final DoubleHistogram backendRequests;
  private final LongCounter retries;
  private final LongCounter budgetExhausted;
  private final Route unmatched;

  GatewayMetrics(Meter meter) {
    this.meter = meter;
    this.requests =
        meter
            .histogramBuilder("sluice.request.duration")
            .setUnit("s")
            .setDescription("Client requests: from their headers to the end of the response.")
            .setExplicitBucketBoundariesAdvice(BUCKETS)
            .build();
    this.active =
        meter
            .upDownCounterBuilder("sluice.requests.active")
            .setDescription("Client requests in flight.")
            .build();
    this.backendRequests =
        meter
            .histogramBuilder("sluice.backend.request.duration")
            .setUnit("s")
            .setDescription("Backend attempts: until the response headers, or the failure.")
            .setExplicitBucketBoundariesAdvice(BUCKETS)
            .build();
    this.retries =
        meter
            .counterBuilder("sluice.backend.retries")
            .setDescription("Backend attempts that were retried, by why.")
            .build();
    this.budgetExhausted =
        meter
            .counterBuilder("sluice.backend.retry_budget_exhausted")
            .setDescription("Retries not made because the backend's retry budget was spent.")
            .build();
    this.unmatched = new Route(UNMATCHED);
  }

  /** Reports the open client connections (read when metrics are collected). */
  public void connections(IntSupplier open) {
    meter
        .upDownCounterBuilder("sluice.connections.active")
        .setDescription("Client connections open.")
        .buildWithCallback(m -> m.record(open.getAsInt()));
  }

  /** The instruments of one route. */
  public Route route(String id) {
    return new Route(id);
  }

  /** The instruments of requests no route matched. */
  public Route unmatched() {
    return unmatched;
  }

  /** The instruments of one backend. */
  public Backend backend(String name) {
    return new Backend(name);
  }

  /** A request began. */
  public void started() {
    active.add(1, Attributes.empty(), NO_CONTEXT);
  }

  /** Request metrics of one route, with an attribute set per method and status class. */
  public final class Route {
    private final String id;
    private final Attributes[] attributes = new Attributes[METHODS.length * STATUS_CLASSES.length];

    private Route(String id) {
      this.id = id;
    }

    /** A request of this route ended (or the client went away: 499). */
    public void ended(String method, int status, long nanos) {
      active.add(-1, Attributes.empty(), NO_CONTEXT);
      int c = Math.max(1, Math.min(5, status / 100)) - 1;
      int i = methodIndex(method) * STATUS_CLASSES.length + c;
      Attributes a = attributes[i];
      if (a == null) {
        // Racy but safe: the sets are immutable and equal whichever thread builds one.
        a =
            Attributes.of(
                ROUTE,
                id,
                METHOD,
                METHODS[i / STATUS_CLASSES.length],
                STATUS_CLASS,
                STATUS_CLASSES[c]);
        attributes[i] = a;
      }
      requests.record(nanos / 1e9, a, NO_CONTEXT);
    }
  }

  /** Attempt metrics of one backend, with an attribute set per outcome. */
  public final class Backend {
    private final Attributes backend;
    private final Attributes[] attributes;
    private final Attributes[] retryAttributes = new Attributes[RETRY_REASONS.length];

    private Backend(String name) {
      backend = Attributes.of(BACKEND, name);
      Outcome[] outcomes = Outcome.values();
      attributes = new Attributes[outcomes.length];
      for (Outcome o : outcomes) {
        attributes[o.ordinal()] = Attributes.of(BACKEND, name, OUTCOME, o.label);
      }
      for (int i = 0; i < RETRY_REASONS.length; i++) {
        retryAttributes[i] = Attributes.of(BACKEND, name, REASON, RETRY_REASONS[i]);
      }
    }

    public void attempt(Outcome outcome, long nanos) {
      backendRequests.record(nanos / 1e9, attributes[outcome.ordinal()], NO_CONTEXT);
    }

    /** An attempt is retried: after a connect failure (status 0), a 429 throttle, or this 5xx. */
    public void retried(int status) {
      int i =
          switch (status) {
            case 0 -> 0;
            case 502, 503, 504 -> status - 501;
            case 429 -> 4;
            default -> 5;
          };
      retries.add(1, retryAttributes[i]);
    }

    /**
     * Exports the retry counters at zero (a backend with retries configured), so that a dashboard's
     * rate() has a series before the first retry.
     */
    public void retriesConfigured() {
      for (Attributes a : retryAttributes) {
        retries.add(0, a);
      }
      budgetExhausted.add(0, backend);
    }

    /** A retry was refused: the budget is spent. */
    public void budgetExhausted() {
      budgetExhausted.add(1, backend);
    }
  }

  /** The method's index in {@link #METHODS}: the nine standard ones, or {@code _OTHER}. */
  static int methodIndex(String method) {
    return switch (method) {
      case "GET" -> 0;
      case "HEAD" -> 1;
      case "POST" -> 2;
      case "PUT" -> 3;
      case "DELETE" -> 4;
      case "PATCH" -> 5;
      case "OPTIONS" -> 6;
      case "TRACE" -> 7;
      case "CONNECT" -> 8;
      default -> 9;
    };
  }
}
