package io.sluice.gateway.backend;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Keep-alive HTTP/1.1 connections to one target, owned by one event loop (no locks): idle ones on a
 * stack (the most recently used first, so the rest can idle out), at most {@code max} open, and a
 * queue of waiters when all are busy. Vert.x's shared client pool builds a new context for every
 * request; owning the pool per event loop, as Envoy does per worker, avoids that.
 */
final class TargetPool {

  private final io.vertx.core.Vertx vertx;
  private final HttpClientAgent client;
  private final HttpConnectOptions connectOptions;
  private final long connectTimeoutMs;
  private final int max;
  private final ArrayDeque<HttpClientConnection> idle = new ArrayDeque<>();
  private final ArrayDeque<Promise<HttpClientConnection>> waiters = new ArrayDeque<>();
  private int open;

  TargetPool(
      io.vertx.core.Vertx vertx,
      HttpClientAgent client,
      SocketAddress server,
      long connectTimeoutMs,
      int max) {
    this.vertx = vertx;
    this.client = client;
    this.connectTimeoutMs = connectTimeoutMs;
    this.connectOptions =
        new HttpConnectOptions().setServer(server).setConnectTimeout(connectTimeoutMs);
    this.max = max;
  }

  /** An idle connection, or null: the hot path, without a future. */
  HttpClientConnection pollIdle() {
    return idle.pollLast();
  }

  /** An idle connection, a new one, or the next one released when {@code max} are busy. */
  Future<HttpClientConnection> acquire() {
    HttpClientConnection c = idle.pollLast();
    if (c != null) {
      return Future.succeededFuture(c);
    }
    if (open < max) {
      open++;
      return connect();
    }
    // All busy: wait for a release, but no longer than it may take to get a connection.
    Promise<HttpClientConnection> p = Promise.promise();
    waiters.addLast(p);
    long timer =
        vertx.setTimer(
            connectTimeoutMs,
            id -> {
              if (waiters.remove(p)) {
                p.tryFail(
                    new io.netty.channel.ConnectTimeoutException(
                        "no free connection within "
                            + connectTimeoutMs
                            + "ms (all "
                            + max
                            + " busy)"));
              }
            });
    return p.future().andThen(ar -> vertx.cancelTimer(timer));
  }

  /** Gives a connection back after a complete exchange; {@code reusable} false closes it. */
  void release(HttpClientConnection conn, boolean reusable) {
    if (!reusable) {
      conn.close();
      // Its slot frees when the close handler runs; a waiter gets a new connection now rather
      // than wait for a release that may not come. (Open may exceed max by one until then.)
      Promise<HttpClientConnection> w = waiters.pollFirst();
      if (w != null) {
        open++;
        connect().onComplete(w);
      }
      return;
    }
    Promise<HttpClientConnection> w = waiters.pollFirst();
    if (w != null) {
      w.complete(conn);
    } else {
      idle.addLast(conn);
    }
  }

  private Future<HttpClientConnection> connect() {
    return client
        .connect(connectOptions)
        .andThen(
            ar -> {
              if (ar.failed()) {
                open--;
                return;
              }
              HttpClientConnection conn = ar.result();
              conn.closeHandler(
                  v -> {
                    open--;
                    idle.remove(conn);
                  });
            });
  }

  /** Closes idle connections and fails waiters. */
  Future<Void> close() {
    List<Future<Void>> closes = new ArrayList<>();
    HttpClientConnection c;
    while ((c = idle.pollLast()) != null) {
      closes.add(c.close());
    }
    Promise<HttpClientConnection> w;
    while ((w = waiters.pollFirst()) != null) {
      w.tryFail("backend closed");
    }
    return Future.join(closes).mapEmpty();
  }
}
