package io.sluice.gateway.server;

import io.sluice.api.StandardAttributes;
import io.sluice.gateway.backend.HttpBackendHandler;
import io.sluice.gateway.config.ConfigLoader;
import io.sluice.gateway.tier.TierAssertions;
import io.sluice.gateway.tier.TierAssertions.Asserted;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A core gateway's door: every request must carry a valid assertion from an edge, made for the
 * route, method and path the core matched; the caller it names becomes the request's principal,
 * claims, scopes and client address, for the core's own policies and the Lambda event. The one
 * exception is the edges' health check of the core.
 */
final class CoreGate {

  private static final Logger LOG = LoggerFactory.getLogger(CoreGate.class);
  private static final String CHALLENGE = "SluiceAssertion realm=\"core\"";

  private CoreGate() {}

  static boolean isHealthCheck(HttpServerRequest req) {
    return req.method() == HttpMethod.GET && ConfigLoader.HEALTH_PATH.equals(req.path());
  }

  /** 200 while this core takes requests (a draining one stops accepting connections). */
  static void answerHealthCheck(HttpServerRequest req, ConnectionGuard guard) {
    guard.requestStarted(req.connection());
    req.response()
        .endHandler(v -> guard.requestEnded(req.connection()))
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end("ok");
  }

  /**
   * Checks the request's assertion and calls {@code then} with its claims, or answers 401. HS256 is
   * checked at once, on the event loop; ES256 (about a millisecond of CPU) on a worker thread, the
   * request's body kept meanwhile, {@code then} called back on the event loop.
   */
  static void check(
      TierAssertions.Verifier verifier,
      HttpServerRequest req,
      RequestContext ctx,
      Handler<Asserted> then) {
    String token = req.getHeader(TierAssertions.HEADER);
    if (!verifier.slow()) {
      Asserted a;
      try {
        a = verifier.verify(token);
      } catch (TierAssertions.Refused e) {
        refuse(ctx, e.getMessage());
        return;
      }
      then.handle(a);
      return;
    }
    if (HttpBackendHandler.hasBody(req)) {
      req.pause();
    }
    Vertx.currentContext()
        .executeBlocking(() -> verifier.verify(token), false)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                then.handle(ar.result());
              } else {
                refuse(ctx, ar.cause().getMessage());
              }
            });
  }

  /**
   * Whether the assertion was made for this route, method and path; if so the request takes on the
   * asserted caller, and the tiers' headers are dropped before anything reads them.
   */
  static boolean admit(Asserted a, RequestContext ctx, CompiledRoute route) {
    HttpServerRequest req = ctx.request;
    if (!route.id().equals(a.routeId())
        || !req.method().name().equals(a.method())
        || !ctx.path.equals(a.path())) {
      refuse(ctx, "the assertion was made for another request");
      return false;
    }
    strip(req.headers());
    ctx.principal = a.principal();
    if (a.clientAddress() != null) {
      ctx.clientAddress = a.clientAddress();
    }
    // The edge vouched for the request: its X-Forwarded-* are believed, as a trusted proxy's.
    ctx.peerTrusted = true;
    GatewayExchange ex = new GatewayExchange(ctx);
    if (!a.claims().isEmpty()) {
      ex.attribute(StandardAttributes.CLAIMS, a.claims());
    }
    if (!a.scopes().isEmpty()) {
      ex.attribute(StandardAttributes.SCOPES, a.scopes());
    }
    ctx.exchange = ex;
    return true;
  }

  private static void refuse(RequestContext ctx, String why) {
    LOG.debug("refused without a valid edge assertion [{}]: {}", ctx.requestId, why);
    ctx.request.response().putHeader("WWW-Authenticate", CHALLENGE);
    ctx.fail(Problems.EDGE_ASSERTION_REQUIRED);
  }

  /** Removes every {@code X-Sluice-*} header (the tiers' own: never for a backend or policy). */
  static void strip(MultiMap headers) {
    List<String> names = null;
    for (java.util.Map.Entry<String, String> h : headers) {
      String n = h.getKey();
      int prefix = TierAssertions.HEADER_PREFIX.length();
      if (n.length() > prefix
          && n.regionMatches(true, 0, TierAssertions.HEADER_PREFIX, 0, prefix)) {
        if (names == null) {
          names = new ArrayList<>(2);
        }
        names.add(n);
      }
    }
    if (names != null) {
      names.forEach(headers::remove);
    }
  }
}
