package io.sluice.gateway.server;

import io.sluice.gateway.aws.CachedCredentials;
import io.sluice.gateway.backend.BackendHandler;
import io.sluice.gateway.backend.HttpBackendHandler;
import io.sluice.gateway.config.SluiceConfig;
import io.sluice.gateway.config.SluiceConfig.Backend;
import io.sluice.gateway.config.SluiceConfig.Limits;
import io.sluice.gateway.config.SluiceConfig.PolicySpec;
import io.sluice.gateway.config.SluiceConfig.Role;
import io.sluice.gateway.config.SluiceConfig.Route;
import io.sluice.gateway.policy.PolicyChain;
import io.sluice.gateway.resilience.BackendGuard;
import io.sluice.gateway.resilience.LoadShedder;
import io.sluice.gateway.routing.PathPattern;
import io.sluice.gateway.routing.RouteTable;
import io.sluice.gateway.telemetry.GatewayMetrics;
import io.sluice.gateway.telemetry.HttpTracing;
import io.sluice.gateway.telemetry.Telemetry;
import io.sluice.gateway.tier.TierAssertions;
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
import java.util.function.Supplier;

/**
 * What one loaded config becomes at run time: the compiled route table and the recipe for each
 * event loop's backends. Immutable, shared by every event loop. A reload builds a new one from the
 * previous: backends and policy chains whose config did not change are carried over with their
 * state (circuits, target health, retry budgets, rate-limit buckets, SDK clients).
 */
final class GatewayRuntime {

  final SluiceConfig config;
  final RouteTable<CompiledRoute> table;
  final List<Backend> backends;
  final Limits limits;
  final ForwardedHeaders forwarded;
  final boolean accessLog;
  final Duration drainTimeout;
  final AtomicInteger openConnections;
  final Telemetry telemetry;
  final HttpTracing tracing;
  final GatewayMetrics metrics;

  /** The gateway's adaptive concurrency limit, or null when load shedding is off. */
  final LoadShedder shedder;

  /** Per backend index: what the event loops share of it. */
  final BackendUnit[] units;

  /** Per backend index: its guard, or null. Shared by every event loop. */
  final BackendGuard[] guards;

  /** Per backend index: target health and retry budget of an http backend, or null. */
  final HttpBackendHandler.Shared[] shared;

  /** The policies of this config by what they were made from, for the next reload to take over. */
  final PolicyChain.Kept policies;

  /** This gateway's role: which policies it runs and where requests go after them. */
  final SluiceConfig.Role role;

  /** An edge's signer of the assertions it sends to the core, or null. */
  final TierAssertions.Signer signer;

  /** A core's check of the edge's assertions, or null. */
  final TierAssertions.Verifier verifier;

  /**
   * Builds the run-time form of a validated config; {@code previous} (or null) is the one in force,
   * whose unchanged backends and chains are taken over. Off the event loop: policies may read
   * files.
   */
  GatewayRuntime(
      Vertx vertx,
      SluiceConfig config,
      Telemetry telemetry,
      AtomicInteger openConnections,
      GatewayRuntime previous) {
    this.config = config;
    this.telemetry = telemetry;
    this.tracing = telemetry.http();
    this.metrics = telemetry.metrics();
    this.openConnections = openConnections;
    this.limits = config.gateway().limits();
    this.forwarded = new ForwardedHeaders(config.gateway().trustedProxies());
    this.accessLog = config.gateway().accessLog();
    this.drainTimeout = config.gateway().drainTimeout();
    this.shedder =
        previous != null
                && previous.shedder != null
                && java.util.Objects.equals(
                    previous.config.gateway().loadShedding(), config.gateway().loadShedding())
            ? previous.shedder
            : LoadShedder.of(config.gateway().loadShedding(), telemetry.meter());
    this.policies = new PolicyChain.Kept(previous == null ? null : previous.policies);
    SluiceConfig.Tier tier = config.gateway().tier();
    this.role = tier.role();
    this.signer = role == Role.EDGE ? new TierAssertions.Signer(tier.trust(), tier.region()) : null;
    this.verifier = role == Role.CORE ? new TierAssertions.Verifier(tier.trust()) : null;
    // An edge calls no backend of the file: every route goes to the core regions.
    this.backends =
        role == Role.EDGE
            ? List.of(tier.edge().backend())
            : new ArrayList<>(config.backends().values());
    Map<String, Integer> index = new HashMap<>();
    this.units = new BackendUnit[backends.size()];
    this.guards = new BackendGuard[backends.size()];
    this.shared = new HttpBackendHandler.Shared[backends.size()];
    for (int i = 0; i < backends.size(); i++) {
      Backend b = backends.get(i);
      index.put(b.name(), i);
      units[i] =
          BackendUnit.of(
              vertx, b, telemetry.meter(), previous == null ? null : previous.unit(b.name()));
      guards[i] = units[i].guard;
      shared[i] = units[i].http;
    }
    try {
      this.table = routes(vertx, config, index, previous);
    } catch (RuntimeException e) {
      // A policy refused its config: what was made for this config alone goes again.
      closeLeftBy(vertx, previous == null ? List.of() : List.of(previous));
      throw e;
    }
  }

  private RouteTable<CompiledRoute> routes(
      Vertx vertx, SluiceConfig config, Map<String, Integer> index, GatewayRuntime previous) {
    RouteTable.Builder<CompiledRoute> b = RouteTable.builder();
    JsonObject settings = PolicyChain.settings(config.gateway());
    for (Route r : config.routes()) {
      int bi = role == Role.EDGE ? 0 : index.get(r.backend());
      PolicyChain chain =
          PolicyChain.create(
              vertx,
              config.baseDir(),
              r.id(),
              settings,
              telemetry.meter(),
              mine(config.policies()),
              mine(r.policies()),
              false,
              policies);
      b.add(
          r.id(),
          PathPattern.parse(r.path()),
          r.methods(),
          r.hosts(),
          new CompiledRoute(r.id(), r.path(), r.backend(), bi, chain, metrics.route(r.id())));
    }
    return b.build();
  }

  /**
   * The policies this gateway runs: all of them standalone; an edge those not marked {@code at:
   * core}; a core only those.
   */
  private List<PolicySpec> mine(List<PolicySpec> specs) {
    if (role == Role.STANDALONE) {
      return specs;
    }
    boolean core = role == Role.CORE;
    return specs.stream().filter(s -> s.atCore() == core).toList();
  }

  private BackendUnit unit(String name) {
    for (BackendUnit u : units) {
      if (u.config.name().equals(name)) {
        return u;
      }
    }
    return null;
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
  BackendHandler[] createBackends(Vertx vertx, Map<BackendUnit, BackendHandler> reuse) {
    BackendHandler[] out = new BackendHandler[units.length];
    for (int i = 0; i < out.length; i++) {
      BackendHandler kept = reuse == null ? null : reuse.get(units[i]);
      out[i] = kept != null ? kept : units[i].handler(vertx, limits.maxBodySize(), telemetry);
    }
    return out;
  }

  /**
   * What must be ready before requests reach this config, built off the event loop: the SDK clients
   * of new lambda backends (resolving credentials may read files and call metadata endpoints;
   * building a client loads many classes). Then their keep-warm pings start.
   */
  Future<Void> start(Vertx vertx, Supplier<Future<CachedCredentials>> credentials) {
    List<BackendUnit> lambdas = new ArrayList<>();
    for (BackendUnit u : units) {
      if (u.isLambda()) {
        lambdas.add(u);
      }
    }
    if (lambdas.isEmpty()) {
      return Future.succeededFuture();
    }
    return credentials
        .get()
        .compose(
            creds ->
                vertx.executeBlocking(
                    () -> {
                      lambdas.forEach(u -> u.buildClient(vertx, creds, telemetry));
                      return null;
                    }))
        .<Void>map(
            v -> {
              lambdas.forEach(u -> u.startWarmer(vertx));
              return null;
            });
  }

  /** The units of this config that {@code next} does not keep (all of them when it is null). */
  List<BackendUnit> unitsLeftBy(GatewayRuntime next) {
    return unitsLeftBy(next == null ? List.of() : List.of(next));
  }

  /** The units of this config that none of {@code others} keeps. */
  private List<BackendUnit> unitsLeftBy(List<GatewayRuntime> others) {
    List<BackendUnit> out = new ArrayList<>();
    for (BackendUnit u : units) {
      if (others.stream().noneMatch(r -> java.util.Arrays.asList(r.units).contains(u))) {
        out.add(u);
      }
    }
    return out;
  }

  /**
   * Closes what none of {@code others} keeps (everything when there are none): backend units, whose
   * close may wait, off the event loop; the shedder's gauge.
   */
  Future<Void> closeLeftBy(Vertx vertx, List<GatewayRuntime> others) {
    if (shedder != null && others.stream().noneMatch(r -> r.shedder == shedder)) {
      shedder.close();
    }
    return BackendUnit.close(vertx, unitsLeftBy(others));
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
