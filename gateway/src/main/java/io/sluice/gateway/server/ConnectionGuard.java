package io.sluice.gateway.server;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per event loop: caps open client connections (process-wide) and closes connections that take too
 * long to send a request's headers (slowloris). A new connection has {@code headerTimeout} to send
 * its first request's headers; between requests on a keep-alive connection the limit is {@code
 * idleTimeout}. One sweep per second, so the per-request cost is two field writes.
 */
final class ConnectionGuard {

  private static final class State {
    long waitingSinceNanos;
    int active;
    boolean served;

    State(long now) {
      this.waitingSinceNanos = now;
    }
  }

  private final Map<HttpConnection, State> connections = new IdentityHashMap<>();
  private final AtomicInteger open;
  private final int maxConnections;
  private final long headerTimeoutNanos;
  private final long idleTimeoutNanos;
  private long timerId = -1;

  ConnectionGuard(
      AtomicInteger open, int maxConnections, long headerTimeoutNanos, long idleTimeoutNanos) {
    this.open = open;
    this.maxConnections = maxConnections;
    this.headerTimeoutNanos = headerTimeoutNanos;
    this.idleTimeoutNanos = idleTimeoutNanos;
  }

  void start(Vertx vertx) {
    long period = Math.max(100, Math.min(1000, headerTimeoutNanos / 2_000_000));
    timerId = vertx.setPeriodic(period, id -> sweep());
  }

  void stop(Vertx vertx) {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
  }

  /** A new connection: refused (closed) when the process is at its limit. */
  void opened(HttpConnection conn) {
    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      conn.close();
      return;
    }
    connections.put(conn, new State(System.nanoTime()));
    conn.closeHandler(
        v -> {
          if (connections.remove(conn) != null) {
            open.decrementAndGet();
          }
        });
  }

  void requestStarted(HttpConnection conn) {
    State s = connections.get(conn);
    if (s != null) {
      s.active++;
    }
  }

  void requestEnded(HttpConnection conn) {
    State s = connections.get(conn);
    if (s != null) {
      s.active--;
      s.served = true;
      s.waitingSinceNanos = System.nanoTime();
    }
  }

  private void sweep() {
    long now = System.nanoTime();
    List<HttpConnection> expired = new ArrayList<>();
    connections.forEach(
        (conn, s) -> {
          long limit = s.served ? idleTimeoutNanos : headerTimeoutNanos;
          if (s.active == 0 && now - s.waitingSinceNanos > limit) {
            expired.add(conn);
          }
        });
    expired.forEach(HttpConnection::close);
  }
}
