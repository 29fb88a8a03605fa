package io.sluice.api;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.util.Map;

/**
 * One request and, later, its response, as a policy sees them. Request headers are mutable: changes
 * reach the backend. Response headers are mutable in {@link Policy#onResponse}.
 */
public interface Exchange {

  /** The request id (sent to the backend and the client as X-Request-Id). */
  String requestId();

  /** The matched route's id. */
  String routeId();

  /** The HTTP method, upper case. */
  String method();

  /** The normalized path. */
  String path();

  /** The query string the backend will receive, without '?', or null. */
  String rawQuery();

  /** Replaces the query string the backend receives (null or empty: none). */
  void rawQuery(String query);

  /** The query parameters, decoded. */
  MultiMap queryParams();

  /** A path variable from the route's template ({@code /orders/{id}}), decoded, or null. */
  String pathParam(String name);

  /** Every path variable, in the template's order. */
  Map<String, String> pathParams();

  /** The request headers the backend will receive. */
  MultiMap requestHeaders();

  /** The client's address (the peer, or from X-Forwarded-For behind a trusted proxy). */
  String clientAddress();

  /** Who is calling, once an AUTHENTICATE policy has said so, or null. */
  String principal();

  /** Sets who is calling (authentication policies). */
  void principal(String principal);

  /** A typed value another policy put on this exchange, or null. */
  <T> T attribute(AttributeKey<T> key);

  /** Puts a typed value on this exchange for later policies. */
  <T> void attribute(AttributeKey<T> key, T value);

  /**
   * The request body, for a policy whose {@link Policy#needsRequestBody()} is true; empty when
   * there is none. Throws {@link IllegalStateException} for other policies.
   */
  Buffer body();

  /** Lowers the largest request body this request may have (never raises the gateway's). */
  void limitBodySize(long bytes);

  /** Answers the request at the gateway: the backend and the rest of the chain are skipped. */
  void respond(int status, MultiMap headers, Buffer body);

  /** Answers with a problem (application/problem+json, with the request id, not cacheable). */
  default void respond(Problem problem) {
    respond(problem, null);
  }

  /**
   * Answers with a problem, and headers of its own such as {@code WWW-Authenticate} or {@code
   * Retry-After}.
   */
  default void respond(Problem problem, MultiMap headers) {
    MultiMap h =
        MultiMap.caseInsensitiveMultiMap()
            .add("Content-Type", Problem.CONTENT_TYPE)
            .add("Cache-Control", "no-store");
    if (headers != null) {
      h.addAll(headers);
    }
    respond(problem.status(), h, Buffer.buffer(problem.toJson(requestId(), traceId())));
  }

  /**
   * The W3C trace id of this request (32 hex digits), as the access log and problem bodies carry
   * it, or null when the request is not traced.
   */
  default String traceId() {
    return null;
  }

  /**
   * Asks to see the response, whichever way it was made (the backend, a policy, the gateway's own
   * error answer): {@code done} is called once, on the request's event loop, with the status, the
   * headers and, when it was at most {@code maxBodyBytes} and sent whole, the body. It is called as
   * the last byte goes out, before the client can see the end and send its next request (so a
   * response kept there is found by that request), or, when the response was cut short, when the
   * request is over. For policies that keep responses (idempotency, caching); the body is copied
   * only for them, as it streams. Call it from {@link Policy#onRequest}.
   */
  default void onResponseSent(long maxBodyBytes, Handler<SentResponse> done) {
    throw new UnsupportedOperationException("this gateway cannot show sent responses");
  }

  /**
   * Sends a copy of this GET request through the route again, in the background, after this one is
   * answered: the copy passes the route's policies (with the client's headers) and reaches the
   * backend, and its response goes nowhere but to the policies that look at it. For a cache that
   * answers from a stale entry and refreshes it meanwhile ({@code staleWhileRevalidate}). The
   * future completes when the copy's response has ended, or fails when it could not be sent.
   */
  default Future<Void> sendCopyInBackground() {
    return Future.failedFuture(
        new UnsupportedOperationException("this gateway cannot send copies of requests"));
  }

  /** Whether this request is such a copy ({@link #sendCopyInBackground}), made by the gateway. */
  default boolean isBackgroundCopy() {
    return false;
  }

  /** Whether a policy has answered the request. */
  boolean responded();

  /** In {@link Policy#onResponse}: the response status (it may be changed). */
  int responseStatus();

  /** In {@link Policy#onResponse}: changes the response status. */
  void responseStatus(int status);

  /**
   * In {@link Policy#onResponse}: answers with this response instead of the one on its way (the
   * backend's, or the gateway's own 5xx when the backend failed, timed out or was not called), such
   * as a cache's stale copy. The response hooks of the policies before this one still run and see
   * it.
   */
  default void replaceResponse(int status, MultiMap headers, Buffer body) {
    throw new UnsupportedOperationException("this gateway cannot replace responses");
  }

  /** In {@link Policy#onResponse}: the response headers the client will receive. */
  MultiMap responseHeaders();
}
