package io.sluice.gateway.server;

import io.sluice.gateway.telemetry.Telemetry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.function.BooleanSupplier;

/**
 * The admin listener: {@code /healthz} (the process is alive), {@code /readyz} (config loaded,
 * listeners bound, not draining) and {@code /metrics} (Prometheus text, or OpenMetrics when the
 * scraper asks for it). Kept apart from client traffic and never shed.
 */
final class AdminServer extends VerticleBase {

  private final String host;
  private final int port;
  private final BooleanSupplier ready;
  private final Telemetry telemetry;
  private HttpServer server;

  AdminServer(String host, int port, BooleanSupplier ready, Telemetry telemetry) {
    this.host = host;
    this.port = port;
    this.ready = ready;
    this.telemetry = telemetry;
  }

  int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router
        .get("/healthz")
        .handler(ctx -> json(ctx.response(), 200, new JsonObject().put("status", "alive")));
    router
        .get("/readyz")
        .handler(
            ctx -> {
              boolean ok = ready.getAsBoolean();
              json(
                  ctx.response(),
                  ok ? 200 : 503,
                  new JsonObject().put("status", ok ? "ready" : "not ready"));
            });
    router
        .get("/metrics")
        .handler(
            ctx -> {
              String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
              // Collecting and writing every series is work in proportion to their number: a
              // worker thread does it.
              vertx
                  .executeBlocking(() -> telemetry.scrape(accept), false)
                  .onComplete(
                      ar -> {
                        HttpServerResponse res = ctx.response();
                        if (ar.failed()) {
                          res.setStatusCode(500).end();
                          return;
                        }
                        res.putHeader(HttpHeaders.CONTENT_TYPE, ar.result().contentType())
                            .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                            .end(Buffer.buffer(ar.result().body()));
                      });
            });
    server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port));
    return server.requestHandler(router).listen();
  }

  private static void json(io.vertx.core.http.HttpServerResponse res, int status, JsonObject body) {
    res.setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(body.encode());
  }
}
