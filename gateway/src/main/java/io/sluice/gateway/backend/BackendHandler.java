package io.sluice.gateway.backend;

import io.sluice.gateway.server.RequestContext;
import io.vertx.core.Future;

/**
 * A backend as one event loop sees it: it answers a matched request, by itself or by calling out.
 * One instance per event loop, so it may keep per-loop state (connection pools, counters) without
 * locks.
 */
public interface BackendHandler {

  /** Answers the request (always: with the backend's response or a problem). */
  void handle(RequestContext ctx);

  /** Releases connections and timers. */
  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
