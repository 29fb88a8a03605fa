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
 * scraper asks for it), open; and the admin API under {@code /admin/} behind the admin bearer
 * token: {@code GET routes}, {@code GET backends}, {@code GET config}, {@code POST reload}, {@code
 * POST cache/purge}. Kept apart from client traffic and never shed.
 */
final class AdminServer extends VerticleBase {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AdminServer.class);

  private final String host;
  private final int port;
  private final BooleanSupplier ready;
  private final Telemetry telemetry;
  private final byte[] token;
  private final AdminApi api;
  private HttpServer server;

  AdminServer(
      String host,
      int port,
      BooleanSupplier ready,
      Telemetry telemetry,
      io.sluice.gateway.config.SluiceConfig.Secret token,
      AdminApi api) {
    this.host = host;
    this.port = port;
    this.ready = ready;
    this.telemetry = telemetry;
    this.token =
        token == null ? null : token.value().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    this.api = api;
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
    router.route("/admin/*").handler(this::authorize);
    router.get("/admin/routes").handler(ctx -> json(ctx.response(), 200, api.routes()));
    router.get("/admin/backends").handler(ctx -> json(ctx.response(), 200, api.backends()));
    router
        .post("/admin/cache/purge")
        .handler(
            ctx -> {
              String route = ctx.request().getParam("route");
              String prefix = ctx.request().getParam("prefix");
              // A purge walks every key of the store: on a worker, not on the admin event loop.
              vertx
                  .executeBlocking(
                      () -> io.sluice.policies.cache.CachePurge.purge(vertx, route, prefix))
                  .onComplete(
                      ar -> {
                        if (ar.failed()) {
                          LOG.error("admin: cache purge failed", ar.cause());
                          problem(ctx.response(), 500, "internal", "Internal Server Error", null);
                          return;
                        }
                        LOG.info(
                            "admin: cache purged ({} entries; route {}, prefix {})",
                            ar.result(),
                            route == null ? "any" : route,
                            prefix == null ? "any" : prefix);
                        json(ctx.response(), 200, new JsonObject().put("purged", ar.result()));
                      });
            });
    router.get("/admin/config").handler(ctx -> json(ctx.response(), 200, api.config()));
    router
        .post("/admin/reload")
        .handler(
            ctx ->
                api.reload()
                    .onComplete(
                        ar -> {
                          if (ar.failed()) {
                            problem(ctx.response(), 500, "internal", "Internal Server Error", null);
                            return;
                          }
                          ReloadResult r = ar.result();
                          LOG.info("admin: reload requested: {}", r.outcome());
                          if (r.outcome().equals("refused")) {
                            JsonObject body =
                                new JsonObject(
                                        io.sluice.api.Problem.of(
                                                422,
                                                "config-refused",
                                                "Config Refused",
                                                "The route file was not put in force; the config"
                                                    + " in force stays.")
                                            .toJson(null))
                                    .mergeIn(r.toJson());
                            ctx.response()
                                .setStatusCode(422)
                                .putHeader(
                                    HttpHeaders.CONTENT_TYPE, io.sluice.api.Problem.CONTENT_TYPE)
                                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                                .end(body.encode());
                          } else {
                            json(ctx.response(), 200, r.toJson());
                          }
                        }));
    router
        .route("/admin/*")
        .handler(
            ctx ->
                problem(
                    ctx.response(),
                    404,
                    "not-found",
                    "Not Found",
                    "No such admin endpoint (routes, backends, config, reload, cache/purge)."));
    server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port));
    return server.requestHandler(router).listen();
  }

  /**
   * The admin API needs {@code Authorization: Bearer <gateway.admin.token>} (compared in constant
   * time); without a configured token it is off. The probes and /metrics stay open.
   */
  private void authorize(io.vertx.ext.web.RoutingContext ctx) {
    if (token == null) {
      problem(
          ctx.response(),
          403,
          "forbidden",
          "Forbidden",
          "The admin API is off: set gateway.admin.token.");
      return;
    }
    String auth = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    byte[] given =
        auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
            ? auth.substring(7).trim().getBytes(java.nio.charset.StandardCharsets.UTF_8)
            : new byte[0];
    if (!java.security.MessageDigest.isEqual(given, token)) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"sluice-admin\"");
      problem(
          ctx.response(),
          401,
          "unauthorized",
          "Unauthorized",
          "The admin API needs the admin bearer token.");
      return;
    }
    ctx.next();
  }

  private static void problem(
      io.vertx.core.http.HttpServerResponse res,
      int status,
      String name,
      String title,
      String detail) {
    res.setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, io.sluice.api.Problem.CONTENT_TYPE)
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(io.sluice.api.Problem.of(status, name, title, detail).toJson(null));
  }

  private static void json(io.vertx.core.http.HttpServerResponse res, int status, JsonObject body) {
    res.setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(body.encode());
  }
}
