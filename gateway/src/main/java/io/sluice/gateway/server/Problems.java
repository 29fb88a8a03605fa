package io.sluice.gateway.server;

import io.sluice.api.Problem;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * Every error response the gateway makes, in one place: {@code application/problem+json} (RFC 9457)
 * carrying the request id, never a stack trace.
 */
public final class Problems {

  public static final String CONTENT_TYPE = Problem.CONTENT_TYPE;

  public static final Problem NOT_FOUND =
      Problem.of(404, "not-found", "Not Found", "No route matches this request.");
  public static final Problem BAD_PATH =
      Problem.of(400, "bad-request", "Bad Request", "The request path is not valid.");
  public static final Problem AMBIGUOUS_FRAMING =
      Problem.of(
          400,
          "bad-request",
          "Bad Request",
          "The request's length is ambiguous (Content-Length with Transfer-Encoding, or several"
              + " Content-Length values).");
  public static final Problem BODY_TOO_LARGE =
      Problem.of(413, "body-too-large", "Content Too Large", "The request body is too large.");
  public static final Problem BAD_GATEWAY =
      Problem.of(502, "bad-gateway", "Bad Gateway", "The backend could not be reached or failed.");
  public static final Problem GATEWAY_TIMEOUT =
      Problem.of(504, "gateway-timeout", "Gateway Timeout", "The backend did not answer in time.");
  public static final Problem EDGE_ASSERTION_REQUIRED =
      Problem.of(
          401,
          "edge-assertion-required",
          "Unauthorized",
          "This gateway takes requests from its edge gateways only.");
  public static final Problem INTERNAL =
      Problem.of(
          500, "internal", "Internal Server Error", "The gateway failed to handle this request.");

  private Problems() {}

  public static Problem methodNotAllowed(String method) {
    return Problem.of(
        405,
        "method-not-allowed",
        "Method Not Allowed",
        "This path does not accept " + method + ".");
  }

  /**
   * Answers the request with a problem; does nothing if the response has already started. The
   * policies that asked to see the response ({@code tap}, or null) see it first.
   */
  static void send(
      HttpServerRequest req, Problem problem, String requestId, String traceId, ResponseTap tap) {
    HttpServerResponse res = req.response();
    if (res.headWritten() || res.ended() || res.closed()) {
      return;
    }
    res.setStatusCode(problem.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, CONTENT_TYPE)
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
    if (requestId != null) {
      res.putHeader(RequestIds.HEADER, requestId);
    }
    String json = problem.toJson(requestId, traceId);
    boolean head = req.method() == HttpMethod.HEAD;
    if (tap != null) {
      if (!head) {
        tap.write(io.vertx.core.buffer.Buffer.buffer(json));
      }
      tap.finish(res, problem.status());
    }
    if (head) {
      res.putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(json.length())).end();
    } else {
      res.end(json);
    }
  }
}
