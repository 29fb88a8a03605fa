package io.sluice.testkit;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server on a loopback port picked by the OS, standing in for a container backend. It
 * counts and records the requests it receives. Its URL goes into the route file as {@code
 * ${backend:NAME}}.
 */
public final class TestBackend {

  /** A request as the backend received it. */
  public record Received(String method, String uri, MultiMap headers, Buffer body) {
    public String header(String name) {
      return headers.get(name);
    }
  }

  private final Handler<HttpServerRequest> handler;
  private final AtomicInteger count = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final List<String> arrived = new CopyOnWriteArrayList<>();
  private volatile boolean recordBodies = true;
  private HttpServer server;

  private TestBackend(Handler<HttpServerRequest> handler) {
    this.handler = handler;
  }

  /** A backend with its own request handler (which must answer). */
  public static TestBackend of(Handler<HttpServerRequest> handler) {
    return new TestBackend(handler);
  }

  /** Reads the whole body, then answers 200 with JSON: method, uri, headers, body length. */
  public static TestBackend echo() {
    return new TestBackend(
        req ->
            req.body()
                .onSuccess(
                    body -> {
                      JsonObject headers = new JsonObject();
                      req.headers()
                          .forEach(h -> headers.put(h.getKey().toLowerCase(), h.getValue()));
                      req.response()
                          .putHeader("content-type", "application/json")
                          .end(
                              new JsonObject()
                                  .put("method", req.method().name())
                                  .put("uri", req.uri())
                                  .put("headers", headers)
                                  .put("bodyBytes", body.length())
                                  .encode());
                    }));
  }

  /** Answers every request with this status and body. */
  public static TestBackend fixed(int status, String body) {
    return new TestBackend(req -> req.response().setStatusCode(status).end(body));
  }

  /**
   * A loopback port nothing listens on (bound, then let go), for a dead target: connecting to it is
   * refused at once.
   */
  public static int closedPort() {
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether received bodies are kept (turn off for large uploads). */
  public TestBackend recordBodies(boolean record) {
    this.recordBodies = record;
    return this;
  }

  /**
   * Starts it on a free loopback port. {@link SluiceExtension} does this for its backends; a test
   * that runs gateways as processes starts its own.
   */
  public void start(Vertx vertx) {
    server =
        Await.result(
            vertx
                .createHttpServer()
                .connectionHandler(c -> connections.incrementAndGet())
                .requestHandler(
                    req -> {
                      count.incrementAndGet();
                      arrived.add(req.uri());
                      if (!recordBodies) {
                        received.add(
                            new Received(req.method().name(), req.uri(), req.headers(), null));
                        handler.handle(req);
                        return;
                      }
                      req.body()
                          .onSuccess(
                              body ->
                                  received.add(
                                      new Received(
                                          req.method().name(), req.uri(), req.headers(), body)));
                      handler.handle(req);
                    })
                .listen(0, "127.0.0.1"),
            10);
  }

  /** Stops it (its port closes). */
  public void stop() {
    if (server != null) {
      Await.result(server.close(), 10);
      server = null;
    }
  }

  public int port() {
    return server.actualPort();
  }

  /** {@code http://127.0.0.1:PORT}. */
  public String url() {
    return "http://127.0.0.1:" + port();
  }

  /** Requests received so far. */
  public int requestCount() {
    return count.get();
  }

  /**
   * Whether any request for this URI arrived (even one reset before its body ended). Prefer it to
   * {@link #requestCount()} in a class whose tests share the backend: a reset request of an earlier
   * test may arrive late.
   */
  public boolean reached(String uri) {
    return arrived.contains(uri);
  }

  /** Connections accepted so far (to see keep-alive reuse). */
  public int connectionCount() {
    return connections.get();
  }

  /** Every request received, in order. */
  public List<Received> received() {
    return List.copyOf(received);
  }

  /** The last request received, or null. */
  public Received last() {
    List<Received> r = received;
    return r.isEmpty() ? null : r.get(r.size() - 1);
  }

  /** Forgets what was received. */
  public void reset() {
    count.set(0);
    connections.set(0);
    received.clear();
    arrived.clear();
  }
}
