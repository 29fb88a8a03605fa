package io.sluice.gateway.server;

import io.opentelemetry.api.metrics.Meter;
import io.sluice.gateway.aws.CachedCredentials;
import io.sluice.gateway.aws.LambdaClients;
import io.sluice.gateway.backend.AzureFunctionBackendHandler;
import io.sluice.gateway.backend.BackendHandler;
import io.sluice.gateway.backend.HttpBackendHandler;
import io.sluice.gateway.backend.LambdaBackendHandler;
import io.sluice.gateway.backend.LambdaFunction;
import io.sluice.gateway.backend.LambdaWarmer;
import io.sluice.gateway.backend.MockBackendHandler;
import io.sluice.gateway.config.SluiceConfig.AzureFunctionBackend;
import io.sluice.gateway.config.SluiceConfig.Backend;
import io.sluice.gateway.config.SluiceConfig.HttpBackend;
import io.sluice.gateway.config.SluiceConfig.LambdaBackend;
import io.sluice.gateway.config.SluiceConfig.MockBackend;
import io.sluice.gateway.resilience.BackendGuard;
import io.sluice.gateway.resilience.RetryBudget;
import io.sluice.gateway.telemetry.LambdaMetrics;
import io.sluice.gateway.telemetry.Telemetry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * What one backend shares between event loops and keeps while its config stays the same across
 * reloads: its guard (circuit state, concurrency limit), target health and retry budget, and for
 * functions their clients and keep-warm pings. A reload that leaves a backend's config unchanged
 * hands the same unit to the new config; one that changes it makes a new unit and closes the old
 * once the requests still on it are done.
 */
final class BackendUnit {

  final Backend config;
  final BackendGuard guard;

  /** An http backend's target health and retry budget, or null. */
  final HttpBackendHandler.Shared http;

  /** An azure-function backend's client and retry budget, or null. */
  final AzureFunctionBackendHandler.Shared azure;

  /** A lambda backend's retry budget, or null. */
  private final RetryBudget lambdaBudget;

  /** A lambda backend's client, built by {@link #start}; or null. */
  private volatile LambdaFunction lambda;

  private LambdaWarmer warmer;

  private BackendUnit(Vertx vertx, Backend config, Meter meter) {
    this.config = config;
    if (config instanceof HttpBackend h) {
      http = HttpBackendHandler.Shared.of(h, meter);
      guard = BackendGuard.of(vertx, h.name(), h.concurrency(), h.circuitBreaker(), meter);
      azure = null;
      lambdaBudget = null;
    } else if (config instanceof LambdaBackend l) {
      guard = BackendGuard.of(vertx, l.name(), l.concurrency(), l.circuitBreaker(), meter);
      lambdaBudget = RetryBudget.of(l.retry());
      http = null;
      azure = null;
    } else if (config instanceof AzureFunctionBackend a) {
      guard = BackendGuard.of(vertx, a.name(), a.concurrency(), a.circuitBreaker(), meter);
      azure = AzureFunctionBackendHandler.Shared.create(vertx, a);
      http = null;
      lambdaBudget = null;
    } else {
      guard = null;
      http = null;
      azure = null;
      lambdaBudget = null;
    }
  }

  /** The previous config's unit when this backend's config is unchanged, or a new one. */
  static BackendUnit of(Vertx vertx, Backend config, Meter meter, BackendUnit previous) {
    if (previous != null && previous.config.equals(config)) {
      return previous;
    }
    return new BackendUnit(vertx, config, meter);
  }

  boolean isLambda() {
    return config instanceof LambdaBackend;
  }

  /**
   * Builds a lambda backend's SDK client (blocking: it loads classes and reads settings; the caller
   * runs it off the event loop). Nothing for other backends, or when already started.
   */
  void buildClient(Vertx vertx, CachedCredentials credentials, Telemetry telemetry) {
    if (config instanceof LambdaBackend l && lambda == null) {
      lambda =
          new LambdaFunction(
              l,
              LambdaClients.create(vertx, l, credentials),
              lambdaBudget,
              guard,
              new LambdaMetrics(telemetry.meter(), l.name(), l.function(), l.warm() != null));
    }
  }

  /** Starts a lambda backend's keep-warm pings, if it has them (once). */
  void startWarmer(Vertx vertx) {
    if (lambda != null && warmer == null && lambda.config().warm() != null) {
      warmer = new LambdaWarmer(vertx, lambda, lambda.config().warm());
      warmer.start();
    }
  }

  /** A handler for one event loop. */
  BackendHandler handler(Vertx vertx, long maxBodySize, Telemetry telemetry) {
    if (config instanceof HttpBackend h) {
      return new HttpBackendHandler(vertx, h, maxBodySize, telemetry, http);
    } else if (config instanceof LambdaBackend) {
      return new LambdaBackendHandler(vertx, lambda, telemetry);
    } else if (config instanceof AzureFunctionBackend a) {
      return new AzureFunctionBackendHandler(vertx, a, azure, telemetry);
    }
    return new MockBackendHandler((MockBackend) config);
  }

  /** Stops pings at once: a reload replaced this backend, or the gateway stops. */
  void stopWarmer() {
    if (warmer != null) {
      warmer.close();
    }
  }

  /**
   * Closes what the unit holds once no request uses it any more. Blocking (an SDK client's close
   * may wait): off the event loop.
   */
  void closeBlocking() {
    stopWarmer();
    if (guard != null) {
      guard.close();
    }
    if (http != null) {
      http.health().close();
    }
    if (azure != null) {
      azure.close();
    }
    if (lambda != null) {
      lambda.client().close();
    }
  }

  /** {@link #closeBlocking} on a worker thread. */
  static Future<Void> close(Vertx vertx, Iterable<BackendUnit> units) {
    return vertx.executeBlocking(
        () -> {
          for (BackendUnit u : units) {
            u.closeBlocking();
          }
          return null;
        });
  }
}
