package io.sluice.gateway.resilience;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.sluice.api.Problem;
import io.sluice.gateway.backend.BackendHandler;
import io.sluice.gateway.config.SluiceConfig;
import io.sluice.gateway.server.RequestContext;
import io.sluice.gateway.telemetry.HttpTracing;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What stands between requests and one backend, shared by every event loop: a concurrency limit
 * with a bounded, time-limited queue, and a circuit breaker (vertx-circuit-breaker). A request that
 * cannot go through is answered at once: 503 {@code overloaded} with {@code Retry-After}, and no
 * backend call.
 *
 * <p>The breaker counts 5xx answers, timeouts and connect errors (not 4xx) as failures; a success
 * clears the count (vertx-circuit-breaker's rule), so {@code maxFailures} failures in a row within
 * {@code window} open it. Open: every request is refused for {@code openFor}, then one probe goes
 * through (half-open) and its outcome closes or reopens the circuit.
 */
public final class BackendGuard {

  private static final Logger LOG = LoggerFactory.getLogger(BackendGuard.class);

  static final Problem AT_LIMIT =
      Problem.of(
          503,
          "overloaded",
          "Service Unavailable",
          "The backend is at its concurrency limit; try again shortly.");
  static final Problem CIRCUIT_OPEN =
      Problem.of(
          503,
          "overloaded",
          "Service Unavailable",
          "The backend is failing and is not called for a while; try again later.");

  /** Why a request was refused without a backend call. */
  enum Shed {
    QUEUE_FULL("queue_full"),
    QUEUE_TIMEOUT("queue_timeout"),
    CIRCUIT_OPEN("circuit_open");

    final String label;

    Shed(String label) {
      this.label = label;
    }
  }

  private static final AttributeKey<String> BACKEND = AttributeKey.stringKey("backend");
  private static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");

  private final String name;
  private final Bulkhead bulkhead;
  private final CircuitBreaker breaker;
  private final long openForMillis;
  private volatile long openedAtMillis;
  private final LongCounter shedCounter;
  private final Attributes[] shedAttributes = new Attributes[Shed.values().length];
  private final java.util.List<AutoCloseable> observers = new java.util.ArrayList<>();

  private BackendGuard(
      Vertx vertx,
      String name,
      SluiceConfig.Concurrency concurrency,
      SluiceConfig.CircuitBreaker circuit,
      Meter meter) {
    this.name = name;
    this.bulkhead =
        concurrency == null
            ? null
            : new Bulkhead(
                vertx,
                concurrency.max(),
                concurrency.queue(),
                concurrency.queueTimeout().toMillis());
    if (circuit != null) {
      this.openForMillis = circuit.openFor().toMillis();
      this.breaker =
          CircuitBreaker.create(
                  "sluice-backend-" + name,
                  vertx,
                  new CircuitBreakerOptions()
                      .setMaxFailures(circuit.maxFailures())
                      .setFailuresRollingWindow(circuit.window().toMillis())
                      .setResetTimeout(openForMillis)
                      .setTimeout(-1) // the backend's own timeout applies
                      .setMaxRetries(0)
                      .setFallbackOnFailure(false)
                      .setNotificationAddress(null)) // no event-bus traffic per call
              .<Integer>failurePolicy(f -> f.failed() || f.result() >= 500)
              .openHandler(
                  v -> {
                    openedAtMillis = System.currentTimeMillis();
                    LOG.warn(
                        "backend {}: circuit open for {} ms after {} failures; requests get 503",
                        name,
                        openForMillis,
                        circuit.maxFailures());
                  })
              .halfOpenHandler(v -> LOG.info("backend {}: circuit half-open, probing", name))
              .closeHandler(v -> LOG.info("backend {}: circuit closed, calls resume", name));
    } else {
      this.openForMillis = 0;
      this.breaker = null;
    }
    Attributes backend = Attributes.of(BACKEND, name);
    this.shedCounter =
        meter
            .counterBuilder("sluice.backend.shed")
            .setDescription("Requests answered 503 without a backend call, by reason.")
            .build();
    for (Shed s : Shed.values()) {
      shedAttributes[s.ordinal()] = Attributes.of(BACKEND, name, REASON, s.label);
    }
    if (bulkhead != null) {
      observers.add(
          meter
              .upDownCounterBuilder("sluice.backend.active")
              .setDescription("Calls in flight under the backend's concurrency limit.")
              .buildWithCallback(m -> m.record(bulkhead.active(), backend)));
      observers.add(
          meter
              .upDownCounterBuilder("sluice.backend.queued")
              .setDescription("Requests waiting for a slot under the backend's concurrency limit.")
              .buildWithCallback(m -> m.record(bulkhead.queued(), backend)));
    }
    if (breaker != null) {
      observers.add(
          meter
              .gaugeBuilder("sluice.backend.circuit.state")
              .ofLongs()
              .setDescription("The backend's circuit: 0 closed, 1 half-open, 2 open.")
              .buildWithCallback(m -> m.record(stateValue(breaker.state()), backend)));
    }
  }

  /**
   * Stops reporting this guard's gauges and its breaker's timers: a reload replaced the backend.
   */
  public void close() {
    io.sluice.gateway.telemetry.Observers.close(observers);
    if (breaker != null) {
      breaker.close();
    }
  }

  /** The guard of a backend, or null when it has neither a concurrency limit nor a breaker. */
  public static BackendGuard of(
      Vertx vertx,
      String name,
      SluiceConfig.Concurrency concurrency,
      SluiceConfig.CircuitBreaker circuit,
      Meter meter) {
    return concurrency == null && circuit == null
        ? null
        : new BackendGuard(vertx, name, concurrency, circuit, meter);
  }

  /** Calls the backend, under its guard when it has one. On the request's event loop. */
  public static void call(BackendGuard guard, RequestContext ctx, BackendHandler backend) {
    if (guard == null) {
      backend.handle(ctx);
    } else {
      guard.call(ctx, backend);
    }
  }

  /** Calls the backend for this request, or answers 503 itself. On the request's event loop. */
  private void call(RequestContext ctx, BackendHandler backend) {
    GuardCall call = new GuardCall(this, ctx, backend);
    ctx.guard(call);
    if (bulkhead == null || bulkhead.tryAcquire()) {
      call.holdsSlot = bulkhead != null;
      viaBreaker(call);
      return;
    }
    if (io.sluice.gateway.backend.HttpBackendHandler.hasBody(ctx.request())) {
      ctx.request().pause(); // the body waits with the request
    }
    call.waiter =
        bulkhead.enqueue(
            () -> {
              call.waiter = null;
              if (call.ended) {
                bulkhead.release();
                return;
              }
              call.holdsSlot = true;
              viaBreaker(call);
            },
            () -> {
              call.waiter = null;
              shed(ctx, Shed.QUEUE_TIMEOUT, AT_LIMIT, 1);
            });
    if (call.waiter == null) {
      shed(ctx, Shed.QUEUE_FULL, AT_LIMIT, 1);
    }
  }

  private void viaBreaker(GuardCall call) {
    if (breaker == null) {
      call.backend.handle(call.ctx);
      return;
    }
    Future<Integer> f =
        breaker.execute(
            (Promise<Integer> outcome) -> {
              call.outcome = outcome;
              call.backend.handle(call.ctx);
            });
    f.onFailure(
        e -> {
          if (e instanceof OpenCircuitException) {
            shed(call.ctx, Shed.CIRCUIT_OPEN, CIRCUIT_OPEN, retryAfterSeconds());
          }
        });
  }

  /** Seconds until the open circuit lets a probe through (at least 1). */
  private long retryAfterSeconds() {
    long left = openForMillis - (System.currentTimeMillis() - openedAtMillis);
    return Math.max(1, (left + 999) / 1000);
  }

  private void shed(RequestContext ctx, Shed reason, Problem problem, long retryAfter) {
    shedCounter.add(1, shedAttributes[reason.ordinal()]);
    HttpTracing.shed(ctx.span(), name, reason.label);
    if (!ctx.request().response().headWritten()) {
      ctx.request().response().putHeader("Retry-After", String.valueOf(retryAfter));
    }
    ctx.fail(problem);
  }

  void released(GuardCall call) {
    if (call.waiter != null) {
      bulkhead.cancel(call.waiter);
      call.waiter = null;
    }
    if (call.holdsSlot) {
      call.holdsSlot = false;
      bulkhead.release();
    }
  }

  private static long stateValue(CircuitBreakerState s) {
    return switch (s) {
      case CLOSED -> 0;
      case HALF_OPEN -> 1;
      case OPEN -> 2;
    };
  }

  /**
   * A slot for a call that is not a client request (a keep-warm ping): taken only when one is free
   * at once, never queued, and given back with {@link #releaseReserved}.
   */
  public boolean tryReserve() {
    return bulkhead == null || bulkhead.tryAcquire();
  }

  public void releaseReserved() {
    if (bulkhead != null) {
      bulkhead.release();
    }
  }

  /** Calls in flight under the concurrency limit, or -1 without one (the admin API). */
  public int active() {
    return bulkhead == null ? -1 : bulkhead.active();
  }

  /** Requests waiting for a slot, or -1 without a limit. */
  public int queued() {
    return bulkhead == null ? -1 : bulkhead.queued();
  }

  /** The breaker's state (for tests and the admin API). */
  public CircuitBreakerState circuitState() {
    return breaker == null ? CircuitBreakerState.CLOSED : breaker.state();
  }
}
