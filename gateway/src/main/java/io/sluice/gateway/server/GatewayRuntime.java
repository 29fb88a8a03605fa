package io.sluice.gateway.server;

import io.sluice.gateway.aws.CachedCredentials;
import io.sluice.gateway.aws.LambdaClients;
import io.sluice.gateway.backend.AzureFunctionBackendHandler;
import io.sluice.gateway.backend.BackendHandler;
import io.sluice.gateway.backend.HttpBackendHandler;
import io.sluice.gateway.backend.LambdaBackendHandler;
import io.sluice.gateway.backend.LambdaFunction;
import io.sluice.gateway.backend.LambdaWarmer;
import io.sluice.gateway.backend.MockBackendHandler;
import io.sluice.gateway.config.SluiceConfig;
import io.sluice.gateway.config.SluiceConfig.AzureFunctionBackend;
import io.sluice.gateway.config.SluiceConfig.Backend;
import io.sluice.gateway.config.SluiceConfig.HttpBackend;
import io.sluice.gateway.config.SluiceConfig.LambdaBackend;
import io.sluice.gateway.config.SluiceConfig.Limits;
import io.sluice.gateway.config.SluiceConfig.MockBackend;
import io.sluice.gateway.config.SluiceConfig.Route;
import io.sluice.gateway.policy.PolicyChain;
import io.sluice.gateway.resilience.BackendGuard;
import io.sluice.gateway.resilience.LoadShedder;
import io.sluice.gateway.resilience.RetryBudget;
import io.sluice.gateway.routing.PathPattern;
import io.sluice.gateway.routing.RouteTable;
import io.sluice.gateway.telemetry.GatewayMetrics;
import io.sluice.gateway.telemetry.HttpTracing;
import io.sluice.gateway.telemetry.LambdaMetrics;
import io.sluice.gateway.telemetry.Telemetry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one loaded config becomes at run time: the compiled route table and the recipe for each
 * event loop's backends. Immutable, shared by every event loop.
 */
final class GatewayRuntime {

  final SluiceConfig config;
  final RouteTable<CompiledRoute> table;
  final List<Backend> backends;
  final Limits limits;
  final ForwardedHeaders forwarded;
  final boolean accessLog;
  final Duration drainTimeout;
  final AtomicInteger openConnections = new AtomicInteger();
  final Telemetry telemetry;
  final HttpTracing tracing;
  final GatewayMetrics metrics;

  /** The gateway's adaptive concurrency limit, or null when load shedding is off. */
  final LoadShedder shedder;

  /** Per backend index: its guard, or null. Shared by every event loop. */
  final BackendGuard[] guards;

  /** Per backend index: target health and retry budget of an http backend, or null. */
  final HttpBackendHandler.Shared[] shared;

  /** Per backend index: a lambda backend's shared parts (built by {@link #start}), or null. */
  private final LambdaFunction[] lambdas;

  /** Per backend index: the retry budget of a lambda backend, or null. */
  private final RetryBudget[] lambdaBudgets;

  private final List<LambdaWarmer> warmers = new ArrayList<>();

  /** Per backend index: the shared client and budget of an azure-function backend, or null. */
  private final AzureFunctionBackendHandler.Shared[] azure;

  private CachedCredentials credentials;

  GatewayRuntime(Vertx vertx, SluiceConfig config, Telemetry telemetry) {
    this.config = config;
    this.telemetry = telemetry;
    this.tracing = telemetry.http();
    this.metrics = telemetry.metrics();
    metrics.connections(openConnections::get);
    this.limits = config.gateway().limits();
    this.forwarded = new ForwardedHeaders(config.gateway().trustedProxies());
    this.accessLog = config.gateway().accessLog();
    this.drainTimeout = config.gateway().drainTimeout();
    this.shedder = LoadShedder.of(config.gateway().loadShedding(), telemetry.meter());
    this.backends = new ArrayList<>(config.backends().values());
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < backends.size(); i++) {
      index.put(backends.get(i).name(), i);
    }
    this.guards = new BackendGuard[backends.size()];
    this.shared = new HttpBackendHandler.Shared[backends.size()];
    for (int i = 0; i < guards.length; i++) {
      if (backends.get(i) instanceof HttpBackend h) {
        shared[i] = HttpBackendHandler.Shared.of(h, telemetry.meter());
        guards[i] =
            BackendGuard.of(
                vertx, h.name(), h.concurrency(), h.circuitBreaker(), telemetry.meter());
      } else if (backends.get(i) instanceof LambdaBackend l) {
        guards[i] =
            BackendGuard.of(
                vertx, l.name(), l.concurrency(), l.circuitBreaker(), telemetry.meter());
      } else if (backends.get(i) instanceof AzureFunctionBackend a) {
        guards[i] =
            BackendGuard.of(
                vertx, a.name(), a.concurrency(), a.circuitBreaker(), telemetry.meter());
      }
    }
    this.azure = new AzureFunctionBackendHandler.Shared[backends.size()];
    for (int i = 0; i < backends.size(); i++) {
      if (backends.get(i) instanceof AzureFunctionBackend a) {
        azure[i] = AzureFunctionBackendHandler.Shared.create(vertx, a);
      }
    }
    this.lambdas = new LambdaFunction[backends.size()];
    this.lambdaBudgets = new RetryBudget[backends.size()];
    for (int i = 0; i < backends.size(); i++) {
      if (backends.get(i) instanceof LambdaBackend l) {
        lambdaBudgets[i] = RetryBudget.of(l.retry());
      }
    }
    RouteTable.Builder<CompiledRoute> b = RouteTable.builder();
    JsonObject settings = PolicyChain.settings(config.gateway());
    for (Route r : config.routes()) {
      int bi = index.get(r.backend());
      PolicyChain chain =
          PolicyChain.create(
              vertx,
              config.baseDir(),
              r.id(),
              settings,
              telemetry.meter(),
              config.policies(),
              r.policies());
      b.add(
          r.id(),
          PathPattern.parse(r.path()),
          r.methods(),
          r.hosts(),
          new CompiledRoute(r.id(), r.path(), r.backend(), bi, chain, metrics.route(r.id())));
    }
    this.table = b.build();
  }

  /** The target health of every backend with active health checks. */
  List<io.sluice.gateway.backend.TargetHealth> healthChecked() {
    List<io.sluice.gateway.backend.TargetHealth> out = new ArrayList<>();
    for (HttpBackendHandler.Shared s : shared) {
      if (s != null && s.health().check() != null) {
        out.add(s.health());
      }
    }
    return out;
  }

  /** The backends for one event loop, indexed as {@link CompiledRoute#backendIndex()}. */
  BackendHandler[] createBackends(Vertx vertx) {
    BackendHandler[] out = new BackendHandler[backends.size()];
    for (int i = 0; i < out.length; i++) {
      Backend b = backends.get(i);
      if (b instanceof HttpBackend h) {
        out[i] = new HttpBackendHandler(vertx, h, limits.maxBodySize(), telemetry, shared[i]);
      } else if (b instanceof LambdaBackend l) {
        out[i] = new LambdaBackendHandler(vertx, lambdas[i], telemetry);
      } else if (b instanceof AzureFunctionBackend a) {
        out[i] = new AzureFunctionBackendHandler(vertx, a, azure[i], telemetry);
      } else {
        out[i] = new MockBackendHandler((MockBackend) b);
      }
    }
    return out;
  }

  /**
   * What must be ready before the listeners open, built off the event loop: AWS credentials and the
   * SDK clients of lambda backends (resolving credentials may read files and call metadata
   * endpoints; building a client loads many classes). Then the keep-warm pings start.
   */
  Future<Void> start(Vertx vertx) {
    if (backends.stream().noneMatch(b -> b instanceof LambdaBackend)) {
      return Future.succeededFuture();
    }
    return CachedCredentials.start(vertx)
        .compose(
            creds -> {
              credentials = creds;
              return vertx.executeBlocking(
                  () -> {
                    for (int i = 0; i < backends.size(); i++) {
                      if (backends.get(i) instanceof LambdaBackend l) {
                        lambdas[i] =
                            new LambdaFunction(
                                l,
                                LambdaClients.create(vertx, l, creds),
                                lambdaBudgets[i],
                                guards[i],
                                new LambdaMetrics(
                                    telemetry.meter(), l.name(), l.function(), l.warm() != null));
                      }
                    }
                    return null;
                  });
            })
        .<Void>map(
            v -> {
              for (LambdaFunction fn : lambdas) {
                if (fn != null && fn.config().warm() != null) {
                  LambdaWarmer w = new LambdaWarmer(vertx, fn, fn.config().warm());
                  warmers.add(w);
                  w.start();
                }
              }
              return null;
            });
  }

  /** Closes what {@link #start} built (off the event loop: the SDK's close may wait). */
  Future<Void> close(Vertx vertx) {
    warmers.forEach(LambdaWarmer::close);
    for (AzureFunctionBackendHandler.Shared a : azure) {
      if (a != null) {
        a.close();
      }
    }
    if (credentials != null) {
      credentials.close();
    }
    return vertx.executeBlocking(
        () -> {
          for (LambdaFunction fn : lambdas) {
            if (fn != null) {
              fn.client().close();
            }
          }
          return null;
        });
  }

  HttpServerOptions serverOptions(int port) {
    return new HttpServerOptions()
        .setHost(config.gateway().listen().host())
        .setPort(port)
        .setMaxInitialLineLength(limits.maxRequestLine())
        .setMaxHeaderSize(limits.maxHeaderSize())
        .setIdleTimeout((int) limits.idleTimeout().toMillis())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        .setTcpNoDelay(true)
        .setCompressionSupported(false)
        .setDecompressionSupported(false)
        .setHandle100ContinueAutomatically(true)
        // HTTP/1.1 only for clients for now: no h2c upgrade and no WebSocket compression
        // handlers in the pipeline.
        .setHttp2ClearTextEnabled(false)
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false);
  }
}
