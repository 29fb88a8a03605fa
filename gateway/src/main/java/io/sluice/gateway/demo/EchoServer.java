package io.sluice.gateway.demo;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * The demo's HTTP backend: answers every request with what it received (method, URI, headers, body
 * size) as JSON, so a newcomer can see what Sluice sends on: X-Forwarded-*, X-Request-Id, the
 * missing hop-by-hop headers. Listens on loopback only.
 */
public final class EchoServer {

  private EchoServer() {}

  public static Future<HttpServer> start(Vertx vertx, int port) {
    return vertx.createHttpServer().requestHandler(EchoServer::echo).listen(port, "127.0.0.1");
  }

  private static void echo(HttpServerRequest req) {
    req.body()
        .onSuccess(
            body -> {
              JsonObject headers = new JsonObject();
              for (Map.Entry<String, String> h : req.headers()) {
                Object prev = headers.getValue(h.getKey().toLowerCase());
                if (prev == null) {
                  headers.put(h.getKey().toLowerCase(), h.getValue());
                } else {
                  JsonArray all = prev instanceof JsonArray a ? a : new JsonArray().add(prev);
                  headers.put(h.getKey().toLowerCase(), all.add(h.getValue()));
                }
              }
              JsonObject out =
                  new JsonObject()
                      .put("backend", "echo")
                      .put("method", req.method().name())
                      .put("uri", req.uri())
                      .put("headers", headers)
                      .put("bodyBytes", body.length());
              req.response()
                  .putHeader("content-type", "application/json")
                  .end(out.encodePrettily());
            })
        .onFailure(e -> req.response().setStatusCode(400).end());
  }
}
