package io.sluice.api;

import io.vertx.core.Future;

/**
 * A policy as created for one route. Its hooks are called for every request of that route, from
 * several event loops at once: keep per-request state on the {@link Exchange}, never in fields.
 * Hooks must not block; do slow work with {@code vertx.executeBlocking} and return its future.
 *
 * <pre>{@code
 * final class DenyTuesdays implements Policy {
 *   public Future<Void> onRequest(Exchange ex) {
 *     if (LocalDate.now(clock).getDayOfWeek() == DayOfWeek.TUESDAY) {
 *       ex.respond(Problem.of(403, "closed", "Closed", "Not on Tuesdays."));
 *     }
 *     return Future.succeededFuture();
 *   }
 * }
 * }</pre>
 *
 * <p>A hook that throws or returns a failed future ends the request with a 500 problem (no stack
 * trace reaches the client); the failure is logged once with the route and policy name.
 */
public interface Policy {

  /**
   * Called before the backend. Complete the future to go on; call {@link Exchange#respond} first to
   * answer the request here (the backend and later policies are skipped).
   */
  default Future<Void> onRequest(Exchange exchange) {
    return Future.succeededFuture();
  }

  /**
   * Called with the response status and headers before they are sent (the body streams after). Runs
   * for policies whose {@link #onRequest} ran, in reverse order, also when a policy answered the
   * request itself.
   */
  default Future<Void> onResponse(Exchange exchange) {
    return Future.succeededFuture();
  }

  /**
   * Whether this policy reads the request body. Only then is the body buffered (up to the route's
   * limit) and available from {@link Exchange#body()}; otherwise it streams to the backend.
   */
  default boolean needsRequestBody() {
    return false;
  }
}
