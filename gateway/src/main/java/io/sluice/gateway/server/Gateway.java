package io.sluice.gateway.server;

import io.sluice.gateway.backend.HealthCheckVerticle;
import io.sluice.gateway.backend.TargetHealth;
import io.sluice.gateway.config.SluiceConfig;
import io.sluice.gateway.telemetry.Telemetry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: the client listener on {@code instances} event loops, and the admin listener.
 *
 * <pre>{@code
 * Gateway gw = Gateway.start(vertx, config, 2).await();
 * ... gw.port() ...
 * gw.shutdown().await();
 * }</pre>
 */
public final class Gateway {

  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private final Vertx vertx;
  private final GatewayRuntime runtime;
  private final List<String> deployments = new ArrayList<>();
  private AdminServer admin;
  private String adminDeployment;
  private String healthDeployment;
  private volatile boolean ready;
  private volatile boolean draining;
  private Future<Void> stopped;
  private int port;
  private int adminPort;

  private final Telemetry telemetry;

  private Gateway(Vertx vertx, SluiceConfig config, Telemetry telemetry) {
    this.vertx = vertx;
    this.telemetry = telemetry;
    this.runtime = new GatewayRuntime(vertx, config, telemetry);
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

  private Future<Void> doStart(int instances) {
    SluiceConfig.Listener admin = runtime.config.gateway().admin();
    this.admin =
        new AdminServer(
            admin.host(),
            admin.port(),
            this::isReady,
            telemetry,
            runtime.config.gateway().adminToken(),
            new AdminApi(runtime));
    return runtime
        .start(vertx)
        .compose(v -> vertx.deployVerticle(this.admin))
        .compose(
            adminId -> {
              adminDeployment = adminId;
              adminPort = this.admin.actualPort();
              List<TargetHealth> checked = runtime.healthChecked();
              return checked.isEmpty()
                  ? Future.succeededFuture()
                  : vertx
                      .deployVerticle(new HealthCheckVerticle(checked))
                      .onSuccess(id -> healthDeployment = id);
            })
        .compose(
            ignored -> {
              // Every instance listens on the configured port; Vert.x shares one listening
              // socket between them. For port 0, a negative port asks Vert.x for one random
              // port shared by all instances.
              int listen = runtime.config.gateway().listen().port();
              int configured = listen == 0 ? -1 : listen;
              List<Promise<Integer>> bound = new ArrayList<>();
              return vertx
                  .deployVerticle(
                      () -> {
                        Promise<Integer> p2 = Promise.promise();
                        bound.add(p2);
                        return new GatewayVerticle(runtime, configured, p2);
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
                  runtime.config.gateway().listen().host(),
                  port,
                  runtime.table.size(),
                  instances,
                  admin.host(),
                  adminPort);
            })
        .mapEmpty();
  }

  /** The client listener's port. */
  public int port() {
    return port;
  }

  public int adminPort() {
    return adminPort;
  }

  public SluiceConfig config() {
    return runtime.config;
  }

  /** Config loaded, listeners bound, not draining. */
  public boolean isReady() {
    return ready && !draining;
  }

  /**
   * Drains and stops: readiness goes false at once, the listener stops accepting, requests in
   * flight finish (up to {@code gateway.drainTimeout}), then everything closes.
   */
  public synchronized Future<Void> shutdown() {
    if (stopped != null) {
      return stopped;
    }
    draining = true;
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
            .transform(ar -> runtime.close(vertx))
            .transform(ar -> close(vertx, telemetry))
            .onComplete(ar -> LOG.info("stopped"));
    return stopped;
  }
}
