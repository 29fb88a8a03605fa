package io.sluice.policies.cache;

import io.vertx.core.Vertx;

/** Purges the response cache of a gateway: for the admin API. */
public final class CachePurge {

  private CachePurge() {}

  /**
   * Removes the cached responses of a route (null: every route) whose path starts with {@code
   * prefix} (null: any); returns how many entries went (variants count one each).
   */
  public static long purge(Vertx vertx, String route, String prefix) {
    return ResponseCache.purge(vertx, route, prefix);
  }
}
