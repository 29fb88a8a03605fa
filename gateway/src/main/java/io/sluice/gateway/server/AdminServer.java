package io.sluice.gateway.server;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.function.BooleanSupplier;

/**
 * The admin listener: {@code /healthz} (the process is alive) and {@code /readyz} (config loaded,
 * listeners bound, not draining). Kept apart from client traffic and never shed.
 */
final class AdminServer extends VerticleBase {

  private final String host;
  private final int port;
  private final BooleanSupplier ready;
  private HttpServer server;

  AdminServer(String host, int port, BooleanSupplier ready) {
    this.host = host;
    this.port = port;
    this.ready = ready;
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
