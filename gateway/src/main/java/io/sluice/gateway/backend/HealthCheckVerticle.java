package io.sluice.gateway.backend;

import io.sluice.gateway.config.SluiceConfig.HealthCheck;
import io.sluice.gateway.config.SluiceConfig.Target;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * Active health checks: every {@code every}, a GET of the check's path on each target of each
 * backend that has one, on this verticle's own event loop and connections (so checks neither wait
 * behind client traffic nor hold the gateway's pooled connections). A 2xx within {@code timeout}
 * passes; anything else fails. Results go to the backend's {@link TargetHealth}.
 */
public final class HealthCheckVerticle extends VerticleBase {

  private final List<TargetHealth> backends;
  private final List<Long> timers = new ArrayList<>();
  private HttpClientAgent client;

  /** The backends whose {@link TargetHealth#check()} is set. */
  public HealthCheckVerticle(List<TargetHealth> backends) {
    this.backends = List.copyOf(backends);
  }

  @Override
  public Future<?> start() {
    client =
        vertx
            .httpClientBuilder()
            .with(
                new HttpClientOptions()
                    .setKeepAlive(true)
                    .setName("sluice-health-check")
                    .setDecompressionSupported(false))
            .build();
    for (TargetHealth health : backends) {
      HealthCheck check = health.check();
      checkAll(health); // at once, then periodically
      timers.add(vertx.setPeriodic(check.every().toMillis(), id -> checkAll(health)));
    }
    return Future.succeededFuture();
  }

  private void checkAll(TargetHealth health) {
    for (int i = 0; i < health.size(); i++) {
      check(health, i);
    }
  }

  private void check(TargetHealth health, int i) {
    HealthCheck check = health.check();
    Target t = health.target(i);
    long timeout = check.timeout().toMillis();
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setHost(t.host())
            .setPort(t.port())
            .setURI(t.basePath() + check.path())
            .setConnectTimeout(timeout)
            .setTimeout(timeout)
            .putHeader("user-agent", "sluice-health-check");
    client
        .request(options)
        .compose(req -> req.send())
        .compose(
            (HttpClientResponse resp) ->
                resp.body().map(b -> resp.statusCode())) // read it all: the connection stays
        .onComplete(
            ar -> {
              if (ar.failed()) {
                health.checked(i, false, String.valueOf(ar.cause().getMessage()));
              } else {
                int status = ar.result();
                health.checked(i, status >= 200 && status < 300, "status " + status);
              }
            });
  }

  @Override
  public Future<?> stop() {
    for (long id : timers) {
      vertx.cancelTimer(id);
    }
    return client == null ? Future.succeededFuture() : client.close();
  }
}
