package io.sluice.gateway.server;

import io.sluice.gateway.aws.CachedCredentials;
import io.sluice.gateway.backend.HealthCheckVerticle;
import io.sluice.gateway.backend.TargetHealth;
import io.sluice.gateway.config.ConfigSource;
import io.sluice.gateway.config.SluiceConfig;
import io.sluice.gateway.telemetry.Telemetry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: the client listener on {@code instances} event loops, and the admin listener.
 *
 * <pre>{@code
 * Gateway gw = Gateway.start(vertx, config, 2).await();
 * gw.reloadFrom(source, Duration.ofSeconds(1), text).await();
 * ... gw.port() ... gw.reload() ...
 * gw.shutdown().await();
 * }</pre>
 */
public final class Gateway {

  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private final Vertx vertx;
  private volatile GatewayRuntime runtime;

  /** Configs a reload replaced whose requests are not all done (guarded by this). */
  private final List<GatewayRuntime> retiring = new ArrayList<>();

  private final List<String> deployments = new ArrayList<>();
  private final List<GatewayVerticle> verticles = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final AtomicInteger openConnections = new AtomicInteger();
  private AdminServer admin;
  private String adminDeployment;
  private String healthDeployment;
  private volatile boolean ready;
  private volatile boolean stopping;
  private Future<Void> stopped;
  private int port;
  private int adminPort;
  private Future<CachedCredentials> credentials;

  private final Telemetry telemetry;
  private final Reloads reloads;

  private Gateway(Vertx vertx, SluiceConfig config, Telemetry telemetry) {
    this.vertx = vertx;
    this.telemetry = telemetry;
    telemetry.metrics().connections(openConnections::get);
    this.reloads = new Reloads(telemetry.meter());
    this.runtime = new GatewayRuntime(vertx, config, telemetry, openConnections, null);
  }

  /**
   * Starts a gateway for a validated config on {@code instances} event loops, with telemetry
   * configured from the {@code OTEL_*} environment.
   */
  public static Future<Gateway> start(Vertx vertx, SluiceConfig config, int instances) {
    return start(vertx, config, instances, Telemetry.fromEnvironment());
  }

  /** Starts a gateway with this telemetry, which it closes when it stops. */
  public static Future<Gateway> start(
      Vertx vertx, SluiceConfig config, int instances, Telemetry telemetry) {
    Gateway gw;
    try {
      gw = new Gateway(vertx, config, telemetry);
    } catch (RuntimeException e) {
      close(vertx, telemetry);
      throw e;
    }
    // A failed start takes down what it had started: listeners, the admin server, health checks,
    // SDK clients and keep-warm timers, telemetry.
    return gw.doStart(Math.max(1, instances))
        .recover(e -> gw.shutdown().transform(ar -> Future.failedFuture(e)))
        .map(gw);
  }

  /** Closes telemetry off the event loop: flushing spans may wait on an exporter. */
  private static Future<Void> close(Vertx vertx, Telemetry telemetry) {
    return vertx.executeBlocking(
        () -> {
          telemetry.close();
          return null;
        });
  }

  /**
   * AWS credentials, resolved once (off the event loop) when the first lambda backend needs them.
   */
  private synchronized Future<CachedCredentials> credentials() {
    if (credentials == null) {
      credentials = CachedCredentials.start(vertx);
    }
    return credentials;
  }

  private Future<Void> doStart(int instances) {
    GatewayRuntime rt = runtime;
    SluiceConfig.Listener admin = rt.config.gateway().admin();
    this.admin =
        new AdminServer(
            admin.host(),
            admin.port(),
            this::isReady,
            telemetry,
            rt.config.gateway().adminToken(),
            new AdminApi(() -> runtime, this));
    return rt.start(vertx, this::credentials)
        .compose(v -> vertx.deployVerticle(this.admin))
        .compose(
            adminId -> {
              adminDeployment = adminId;
              adminPort = this.admin.actualPort();
              return deployHealthChecks(rt);
            })
        .compose(
            ignored -> {
              // Every instance listens on the configured port; Vert.x shares one listening
              // socket between them. For port 0, a negative port asks Vert.x for one random
              // port shared by all instances.
              int listen = rt.config.gateway().listen().port();
              int configured = listen == 0 ? -1 : listen;
              List<Promise<Integer>> bound = new ArrayList<>();
              return vertx
                  .deployVerticle(
                      () -> {
                        Promise<Integer> p2 = Promise.promise();
                        bound.add(p2);
                        GatewayVerticle v = new GatewayVerticle(rt, configured, p2);
                        verticles.add(v);
                        return v;
                      },
                      new DeploymentOptions().setInstances(instances))
                  .compose(
                      id -> {
                        deployments.add(id);
                        return Future.all(
                            new ArrayList<>(bound.stream().map(Promise::future).toList()));
                      })
                  .map(
                      all -> {
                        java.util.Set<Integer> ports = new java.util.HashSet<>(all.<Integer>list());
                        if (ports.size() != 1) {
                          throw new IllegalStateException(
                              "event loops bound different ports: " + ports);
                        }
                        port = ports.iterator().next();
                        return null;
                      });
            })
        .onSuccess(
            v -> {
              ready = true;
              LOG.info(
                  "sluice listening on {}:{} ({} routes, {} event loops), admin on {}:{}",
                  rt.config.gateway().listen().host(),
                  port,
                  rt.table.size(),
                  instances,
                  admin.host(),
                  adminPort);
            })
        .mapEmpty();
  }

  /** Active health checks of this config's backends (replacing those of the config before). */
  private Future<Void> deployHealthChecks(GatewayRuntime rt) {
    Future<Void> undeployed =
        healthDeployment == null ? Future.succeededFuture() : vertx.undeploy(healthDeployment);
    healthDeployment = null;
    List<TargetHealth> checked = rt.healthChecked();
    return undeployed.transform(
        ar ->
            checked.isEmpty()
                ? Future.<Void>succeededFuture()
                : vertx
                    .deployVerticle(new HealthCheckVerticle(checked))
                    .<Void>map(
                        id -> {
                          healthDeployment = id;
                          return null;
                        }));
  }

  /**
   * Reloads from {@code source} on demand ({@link #reload}, {@code POST /admin/reload}, SIGHUP),
   * and, when {@code watchEvery} is not null, whenever its text is no longer {@code textInForce},
   * the text the config in force was loaded from (checked that often, off the event loop; a
   * ConfigMap's symlink swap is a change). So a change made while the gateway was starting is seen
   * at the first check.
   */
  public Future<Void> reloadFrom(ConfigSource source, Duration watchEvery, String textInForce) {
    return reloads.attach(vertx, source, watchEvery, textInForce, () -> reload(false));
  }

  /**
   * Reads, validates and puts in force the route file again, even when its text did not change.
   * Requests in flight finish on the config they started on; backends and policy chains whose
   * config is unchanged keep their state. An invalid file changes nothing: the result says why.
   */
  public Future<ReloadResult> reload() {
    return reload(true);
  }

  private synchronized Future<ReloadResult> reload(boolean evenIfUnchanged) {
    return reloads.serialize(() -> doReload(evenIfUnchanged));
  }

  private Future<ReloadResult> doReload(boolean evenIfUnchanged) {
    ConfigSource source = reloads.source();
    if (source == null) {
      return Future.succeededFuture(
          ReloadResult.refused(List.of("this gateway was not started from a route file")));
    }
    if (stopping) {
      return Future.succeededFuture(ReloadResult.refused(List.of("the gateway is stopping")));
    }
    GatewayRuntime old = runtime;
    return vertx
        .executeBlocking(() -> reloads.readAndBuild(vertx, old, evenIfUnchanged))
        .compose(
            built -> {
              if (built.result() != null) {
                return Future.succeededFuture(built.result());
              }
              GatewayRuntime next = built.next();
              return next.start(vertx, this::credentials)
                  .recover(
                      e ->
                          next.closeLeftBy(vertx, List.of(old))
                              .transform(ar -> Future.failedFuture(e)))
                  .compose(v -> swap(old, next))
                  .map(
                      v -> {
                        ReloadResult r = ReloadResult.applied(old, next, built.notApplied());
                        LOG.info("config reloaded from {}: {}", source.name(), r.summary());
                        return r;
                      });
            })
        .recover(
            e -> {
              LOG.error(
                  "config reload from {} failed; the config in force stays", source.name(), e);
              return Future.succeededFuture(
                  ReloadResult.refused(
                      List.of("the new config could not start: " + e.getMessage())));
            })
        .onSuccess(reloads::record);
  }

  /** Puts {@code next} in force on every event loop; retires {@code old} once it is drained. */
  private Future<Void> swap(GatewayRuntime old, GatewayRuntime next) {
    runtime = next;
    for (BackendUnit u : old.unitsLeftBy(next)) {
      u.stopWarmer(); // no pings for a backend that is gone, while its requests drain
    }
    List<Future<Void>> retired = new ArrayList<>();
    for (GatewayVerticle v : verticles) {
      retired.add(v.swap(next));
    }
    synchronized (this) {
      retiring.add(old);
    }
    Future.join(retired)
        .onComplete(
            ar -> {
              List<GatewayRuntime> still;
              synchronized (this) {
                retiring.remove(old);
                still = new ArrayList<>(retiring);
              }
              still.add(runtime);
              old.closeLeftBy(vertx, still);
            });
    return deployHealthChecks(next);
  }

  /** The client listener's port. */
  public int port() {
    return port;
  }

  public int adminPort() {
    return adminPort;
  }

  /** The config in force. */
  public SluiceConfig config() {
    return runtime.config;
  }

  /** Config loaded, listeners bound, not draining. */
  public boolean isReady() {
    return ready && !stopping;
  }

  /**
   * Drains and stops: readiness goes false at once, the listener stops accepting, requests in
   * flight finish (up to {@code gateway.drainTimeout}), then everything closes.
   */
  public synchronized Future<Void> shutdown() {
    if (stopped != null) {
      return stopped;
    }
    stopping = true;
    reloads.stop(vertx);
    LOG.info("draining (up to {})", runtime.drainTimeout);
    List<Future<Void>> undeploys = new ArrayList<>();
    for (String id : deployments) {
      undeploys.add(vertx.undeploy(id));
    }
    stopped =
        Future.join(undeploys)
            .transform(
                ar ->
                    healthDeployment == null
                        ? Future.<Void>succeededFuture()
                        : vertx.undeploy(healthDeployment))
            .transform(
                ar ->
                    adminDeployment == null
                        ? Future.<Void>succeededFuture()
                        : vertx.undeploy(adminDeployment))
            .transform(ar -> closeAll())
            .transform(ar -> close(vertx, telemetry))
            .onComplete(ar -> LOG.info("stopped"));
    return stopped;
  }

  /** Closes every backend unit and shedder of the configs in force or draining, and credentials. */
  private Future<Void> closeAll() {
    List<GatewayRuntime> all;
    synchronized (this) {
      all = new ArrayList<>(retiring);
    }
    all.add(runtime);
    // Each config closes what no config after it keeps: every shared part once, by the last.
    List<Future<Void>> closes = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      closes.add(all.get(i).closeLeftBy(vertx, all.subList(i + 1, all.size())));
    }
    Future<CachedCredentials> creds;
    synchronized (this) {
      creds = credentials;
    }
    return Future.join(closes)
        .transform(
            ar -> {
              if (creds != null && creds.succeeded()) {
                creds.result().close();
              }
              return Future.<Void>succeededFuture();
            });
  }
}
