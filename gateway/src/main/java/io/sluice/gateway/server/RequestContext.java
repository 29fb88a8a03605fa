package io.sluice.gateway.server;

import io.sluice.gateway.routing.RouteMatch;
import io.vertx.core.http.HttpServerRequest;

/** One request on its way through the gateway: what the backends and the access log need. */
public final class RequestContext {

  final HttpServerRequest request;
  final String requestId;
  final long startNanos;
  final String peer;
  String path;
  RouteMatch<CompiledRoute> match;
  String clientAddress;
  boolean peerTrusted;
  long upstreamStartNanos;
  boolean coldStart;
  long upstreamNanos = -1;
  long maxBodySize;
  boolean queryOverridden;
  String query;
  String principal;
  io.vertx.core.buffer.Buffer bufferedBody;
  GatewayExchange exchange;
  int policiesRun;
  boolean preflight;
  java.util.Set<String> preflightAllowed;
  io.opentelemetry.api.trace.Span span = io.opentelemetry.api.trace.Span.getInvalid();
  private String traceId;
  io.sluice.gateway.resilience.GuardCall guardCall;
  com.netflix.concurrency.limits.Limiter.Listener permit;

  /** The copy of the response for policies that asked to see it, or null (most requests). */
  ResponseTap tap;

  /** Sends copies of requests through the gateway again (policies ask for them), or null. */
  BackgroundCopies copies;

  /** The config this request started on (it finishes on it, whatever a reload does). */
  GatewayVerticle.Generation generation;

  /** The response hooks have run, or are running: they run once. */
  boolean hooksRun;

  RequestContext(HttpServerRequest request, String requestId, String peer, long startNanos) {
    this.request = request;
    this.requestId = requestId;
    this.peer = peer;
    this.clientAddress = peer;
    this.startNanos = startNanos;
  }

  /** The matched route's id, or null before (or without) a match. */
  String routeId() {
    return match == null || !match.found() ? null : match.route().id();
  }

  public HttpServerRequest request() {
    return request;
  }

  public String requestId() {
    return requestId;
  }

  /** The query string to send on (a policy may have changed it), without '?', or null. */
  public String query() {
    return queryOverridden ? query : request.query();
  }

  /** Whether a policy replaced the query string. */
  public boolean queryChanged() {
    return queryOverridden;
  }

  /** The normalized path the route matched. */
  public String path() {
    return path;
  }

  /** The route match, or null before routing. */
  public RouteMatch<CompiledRoute> match() {
    return match;
  }

  public CompiledRoute route() {
    return match.route();
  }

  /** The client's address: the peer, or from X-Forwarded-For when the peer is a trusted proxy. */
  public String clientAddress() {
    return clientAddress;
  }

  public boolean peerTrusted() {
    return peerTrusted;
  }

  /** Marks the start of the backend call, for the access log's upstream time. */
  public void upstreamStarted() {
    upstreamStartNanos = System.nanoTime();
  }

  /**
   * The backend's answer came from a cold start (a Lambda Init Duration): its latency says nothing
   * about load, so the adaptive limit does not learn from it.
   */
  public void coldStart() {
    coldStart = true;
  }

  /** Marks the backend's response headers. */
  public void upstreamAnswered() {
    if (upstreamStartNanos != 0) {
      upstreamNanos = System.nanoTime() - upstreamStartNanos;
    }
  }

  /** The largest request body this request may have (the gateway's, or lower by a policy). */
  public long maxBodySize() {
    return maxBodySize;
  }

  /** The request body, when a policy on the route read it; null when it streams. */
  public io.vertx.core.buffer.Buffer bufferedBody() {
    return bufferedBody;
  }

  /** Whether policies must see the response before it is sent. */
  public boolean hasResponseHooks() {
    return exchange != null && match.route().chain().hasResponseHooks();
  }

  /**
   * Runs the response hooks of the policies that ran, in reverse order, once the status and headers
   * are set on the response and before the body goes out.
   */
  public io.vertx.core.Future<Void> beforeResponse() {
    if (!hasResponseHooks() || hooksRun) {
      return io.vertx.core.Future.succeededFuture();
    }
    hooksRun = true;
    return PolicyRunner.responseHooks(this);
  }

  /** Whether a policy's response hook put another response in place of the one on its way. */
  public boolean replaced() {
    return exchange != null && exchange.replacedBody != null;
  }

  /**
   * Ends the response, whose status and headers are set, with this body, or with the body a policy
   * replaced it by.
   */
  public void endResponse(io.vertx.core.buffer.Buffer body) {
    io.vertx.core.http.HttpServerResponse res = request.response();
    end(res, res.getStatusCode(), replaced() ? exchange.replacedBody : body);
  }

  /** The request's server span (a non-recording one when it is not sampled). */
  public io.opentelemetry.api.trace.Span span() {
    return span;
  }

  /** The request's W3C trace id, or null when it is not traced. */
  public String traceId() {
    if (traceId == null) {
      traceId = io.sluice.gateway.telemetry.HttpTracing.traceId(span);
    }
    return traceId;
  }

  /** Puts the request under a backend guard (the guard calls this). */
  public void guard(io.sluice.gateway.resilience.GuardCall call) {
    this.guardCall = call;
  }

  /** The backend answered with this status: tells its circuit breaker, if it has one. */
  public void backendAnswered(int status) {
    if (guardCall != null) {
      guardCall.answered(status);
    }
  }

  /** The backend call failed (no connection, timeout, broken response): tells its breaker. */
  public void backendFailed(Throwable cause) {
    if (guardCall != null) {
      guardCall.failed(cause);
    }
  }

  /** A value a policy left for later steps (such as the jwt policy's claims), or null. */
  public <T> T attribute(io.sluice.api.AttributeKey<T> key) {
    return exchange == null ? null : exchange.attribute(key);
  }

  /**
   * Answers with a whole response: status, headers, body (none for HEAD, 204 and 304), after the
   * response hooks of the policies that ran.
   */
  public void answer(int status, io.vertx.core.MultiMap headers, io.vertx.core.buffer.Buffer body) {
    io.vertx.core.http.HttpServerResponse res = request.response();
    res.setStatusCode(status);
    res.headers().addAll(headers);
    res.putHeader(RequestIds.HEADER, requestId);
    if (!hasResponseHooks()) {
      end(res, status, body);
      return;
    }
    beforeResponse()
        .onComplete(
            ar -> {
              if (ar.failed()) {
                res.headers().clear();
                fail(Problems.INTERNAL);
              } else {
                endResponse(body);
              }
            });
  }

  private void end(
      io.vertx.core.http.HttpServerResponse res, int status, io.vertx.core.buffer.Buffer body) {
    if (tap != null) {
      if (status != 204 && status != 304) {
        tap.write(body);
      }
      tap.finish(res, status);
    }
    if (status == 204 || status == 304) {
      res.end();
    } else if (request.method() == io.vertx.core.http.HttpMethod.HEAD) {
      res.putHeader(io.vertx.core.http.HttpHeaders.CONTENT_LENGTH, String.valueOf(body.length()));
      res.end();
    } else {
      res.end(body);
    }
  }

  /** Answers with a problem (if nothing was sent yet). */
  public void fail(io.sluice.api.Problem problem) {
    io.vertx.core.http.HttpServerResponse res = request.response();
    if (problem.status() >= 500
        && !hooksRun
        && hasResponseHooks()
        && !res.headWritten()
        && !res.ended()) {
      // The backend failed (or was not called): the response hooks see the error first, and may
      // put something else in its place (a cache's stale copy).
      res.setStatusCode(problem.status());
      beforeResponse()
          .onComplete(
              ar -> {
                if (ar.succeeded() && replaced()) {
                  endResponse(null);
                } else {
                  Problems.send(request, problem, requestId, traceId(), tap);
                }
              });
      return;
    }
    Problems.send(request, problem, requestId, traceId(), tap);
  }

  /** Where the body of the response is copied for policies that asked to see it, or null. */
  public ResponseTap tap() {
    return tap;
  }
}
