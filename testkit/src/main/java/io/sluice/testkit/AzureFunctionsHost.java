package io.sluice.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback emulator of an Azure Functions host's HTTP triggers, for tests: a {@link TestBackend}
 * (so the route file knows it as {@code ${backend:NAME}} and its requests are recorded) that checks
 * the function key as Azure does ({@code x-functions-key} header or {@code code} query parameter;
 * missing or wrong: 401 with an empty body).
 *
 * <p>Functions, under {@code /api/}:
 *
 * <ul>
 *   <li>{@code echo/...}: 200 JSON of what arrived: method, path, query, headers (lower-cased),
 *       body (text);
 *   <li>{@code throttled}: 429 (the host's HTTP throttle) while {@link #throttle(int)} has some
 *       left, then like {@code echo};
 *   <li>{@code unavailable}: 503 "Function host is not running." while {@link #unavailable(int)}
 *       has some left, then like {@code echo};
 *   <li>{@code slow}: like {@code echo} after {@link #slowMs(long)};
 *   <li>{@code stream}: a chunked text answer in three writes;
 *   <li>{@code public/...}: like {@code echo}, anonymous (no key needed);
 *   <li>anything else: 404.
 * </ul>
 */
public final class AzureFunctionsHost {

  /** The function key the host accepts. */
  public static final String KEY = "sluice-test-function-key-do-not-use";

  private final AtomicInteger throttles = new AtomicInteger();
  private final AtomicInteger unavailable = new AtomicInteger();
  private final AtomicInteger refusedKeys = new AtomicInteger();
  private volatile long slowMs = 1_000;
  private volatile String retryAfter;
  private final TestBackend backend = TestBackend.of(this::handle);

  /** The server: register it with {@code .backend(name, host.backend())}. */
  public TestBackend backend() {
    return backend;
  }

  /** The next {@code n} calls of {@code throttled} get 429. */
  public void throttle(int n) {
    throttles.set(n);
  }

  /** The next {@code n} calls of {@code unavailable} get 503. */
  public void unavailable(int n) {
    unavailable.set(n);
  }

  /** The Retry-After the 429s and 503s carry (null: none, as Azure's own host sends). */
  public void retryAfter(String value) {
    retryAfter = value;
  }

  public void slowMs(long ms) {
    slowMs = ms;
  }

  /** Calls refused 401 for a missing or wrong key. */
  public int refusedKeys() {
    return refusedKeys.get();
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    if (!path.startsWith("/api/public/")) {
      String key = req.getHeader("x-functions-key");
      if (key == null) {
        key = req.getParam("code");
      }
      if (!KEY.equals(key)) {
        refusedKeys.incrementAndGet();
        req.response().setStatusCode(401).end();
        return;
      }
    }
    HttpServerResponse res = req.response();
    if (path.startsWith("/api/echo/") || path.startsWith("/api/public/")) {
      echo(req);
    } else if (path.equals("/api/throttled")) {
      if (throttles.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        refuse(res, 429, "");
      } else {
        echo(req);
      }
    } else if (path.equals("/api/unavailable")) {
      if (unavailable.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        refuse(res, 503, "Function host is not running.");
      } else {
        echo(req);
      }
    } else if (path.equals("/api/slow")) {
      Vertx.currentContext().owner().setTimer(slowMs, id -> echo(req));
    } else if (path.equals("/api/stream")) {
      res.setChunked(true).putHeader("content-type", "text/plain");
      res.write("one ");
      Vertx.currentContext()
          .owner()
          .setTimer(
              20,
              id -> {
                res.write("two ");
                res.end("three");
              });
    } else {
      res.setStatusCode(404).end();
    }
  }

  private void refuse(HttpServerResponse res, int status, String body) {
    if (retryAfter != null) {
      res.putHeader("Retry-After", retryAfter);
    }
    res.setStatusCode(status).end(body);
  }

  private static void echo(HttpServerRequest req) {
    req.body()
        .onSuccess(
            body -> {
              if (req.response().closed()) {
                return;
              }
              JsonObject headers = new JsonObject();
              req.headers().forEach(h -> headers.put(h.getKey().toLowerCase(), h.getValue()));
              req.response()
                  .putHeader("content-type", "application/json")
                  .putHeader("x-function", "echo")
                  .end(
                      new JsonObject()
                          .put("method", req.method().name())
                          .put("path", req.path())
                          .put("query", req.query())
                          .put("headers", headers)
                          .put("body", body.toString())
                          .encode());
            });
  }
}
