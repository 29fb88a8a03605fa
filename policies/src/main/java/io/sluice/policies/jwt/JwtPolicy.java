package io.sluice.policies.jwt;

import io.sluice.api.Exchange;
import io.sluice.api.Policy;
import io.sluice.api.Problem;
import io.sluice.api.StandardAttributes;
import io.sluice.policies.AuthRefusals;
import io.sluice.policies.jwt.JwtVerifier.Invalid;
import io.sluice.policies.jwt.JwtVerifier.Outcome;
import io.sluice.policies.jwt.JwtVerifier.Unavailable;
import io.sluice.policies.jwt.JwtVerifier.Verified;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import java.nio.ByteBuffer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code jwt} policy of one route: finds the bearer token, has the {@link JwtVerifier} check
 * it, and then answers 401 (no or bad token), 403 (good token, scopes missing) or 503 (no keys to
 * check with), or lets the request on with the principal set and the chosen claims as headers.
 * Headers named in {@code forward} are always removed from the client's request first, so that a
 * client can never send its own.
 */
final class JwtPolicy implements Policy {

  private static final Logger LOG = LoggerFactory.getLogger(JwtPolicy.class);

  static final Problem UNAUTHORIZED =
      Problem.of(401, "unauthorized", "Unauthorized", "A valid bearer token is required.");
  static final Problem INSUFFICIENT_SCOPE =
      Problem.of(
          403,
          "insufficient-scope",
          "Forbidden",
          "The token does not carry the scopes this route requires.");
  static final Problem UNAVAILABLE =
      Problem.of(
          503,
          "auth-unavailable",
          "Service Unavailable",
          "Tokens cannot be verified at the moment; try again later.");

  /** Where the token is: a header (the Bearer scheme for Authorization) or a cookie. */
  record TokenSource(String header, String cookie) {}

  private final JwtVerifier verifier;
  private final TokenSource source;
  private final Vertx vertx;
  private final String[] forwardHeaders;
  private final String challengeMissing;
  private final String challengeInvalid;
  private final String challengeScope;
  private final int maxTokenSize;
  private final AuthRefusals refusals;

  JwtPolicy(
      JwtVerifier verifier, TokenSource source, String realm, Vertx vertx, AuthRefusals refusals) {
    this.refusals = refusals;
    this.verifier = verifier;
    this.source = source;
    this.vertx = vertx;
    JwtVerifier.Settings s = verifier.settings();
    this.forwardHeaders = s.forwardHeaders().toArray(String[]::new);
    this.maxTokenSize = s.maxTokenSize();
    this.challengeMissing = "Bearer realm=\"" + realm + "\"";
    this.challengeInvalid = challengeMissing + ", error=\"invalid_token\"";
    this.challengeScope =
        challengeMissing
            + ", error=\"insufficient_scope\""
            + (s.scopes().isEmpty() ? "" : ", scope=\"" + String.join(" ", s.scopes()) + "\"");
  }

  @Override
  public Future<Void> onRequest(Exchange ex) {
    MultiMap headers = ex.requestHeaders();
    for (String h : forwardHeaders) {
      headers.remove(h);
    }
    String token = token(headers);
    if (token == null) {
      refusals.count(AuthRefusals.Reason.MISSING);
      return refuse(ex, "no token", challengeMissing);
    }
    if (token.isEmpty() || token.length() > maxTokenSize) {
      refusals.count(AuthRefusals.Reason.INVALID);
      return refuse(ex, token.isEmpty() ? "empty token" : "token too large", challengeInvalid);
    }
    ByteBuffer key = verifier.cacheKey(token);
    Verified hit = verifier.cached(key);
    if (hit != null) {
      return admit(ex, hit);
    }
    Future<Outcome> checked = verifier.verify(token, key);
    if (checked.isComplete()) {
      // The keys were there: checked on this thread, no hop.
      return decide(ex, checked.succeeded() ? checked.result() : new Invalid("failed"));
    }
    // Completed by a JWKS fetch on another thread: decide on this request's event loop.
    return Future.fromCompletionStage(checked.toCompletionStage(), vertx.getOrCreateContext())
        .compose(o -> decide(ex, o), e -> decide(ex, new Invalid(e.toString())));
  }

  private Future<Void> decide(Exchange ex, Outcome o) {
    if (o instanceof Verified v) {
      return admit(ex, v);
    }
    if (o instanceof Unavailable u) {
      refusals.count(AuthRefusals.Reason.UNAVAILABLE);
      // The key source logs the outage once; this is per request.
      LOG.debug(
          "jwt: 503, no keys to verify with [{}] route {}; retry after {}s",
          ex.requestId(),
          ex.routeId(),
          u.retryAfterSeconds());
      ex.respond(
          UNAVAILABLE,
          MultiMap.caseInsensitiveMultiMap()
              .add("Retry-After", String.valueOf(u.retryAfterSeconds())));
      return Future.succeededFuture();
    }
    refusals.count(AuthRefusals.Reason.INVALID);
    return refuse(ex, ((Invalid) o).reason(), challengeInvalid);
  }

  private Future<Void> admit(Exchange ex, Verified v) {
    if (!v.hasRequiredScopes()) {
      LOG.debug(
          "jwt: 403, scopes {} lack some of {} [{}] route {}",
          v.scopes(),
          verifier.settings().scopes(),
          ex.requestId(),
          ex.routeId());
      refusals.count(AuthRefusals.Reason.INSUFFICIENT_SCOPE);
      respond(ex, INSUFFICIENT_SCOPE, challengeScope);
      return Future.succeededFuture();
    }
    if (v.principal() != null) {
      ex.principal(v.principal());
    }
    String[] values = v.forwardValues();
    MultiMap headers = ex.requestHeaders();
    for (int i = 0; i < values.length; i++) {
      if (values[i] != null) {
        headers.set(forwardHeaders[i], values[i]);
      }
    }
    ex.attribute(StandardAttributes.CLAIMS, v.claims());
    ex.attribute(StandardAttributes.SCOPES, v.scopes());
    return Future.succeededFuture();
  }

  private Future<Void> refuse(Exchange ex, String reason, String challenge) {
    // The reason goes to the debug log only: the client learns nothing about which check failed.
    LOG.debug("jwt: 401, {} [{}] route {}", reason, ex.requestId(), ex.routeId());
    respond(ex, UNAUTHORIZED, challenge);
    return Future.succeededFuture();
  }

  private static void respond(Exchange ex, Problem problem, String challenge) {
    ex.respond(problem, MultiMap.caseInsensitiveMultiMap().add("WWW-Authenticate", challenge));
  }

  /**
   * The token, or null when there is none. Authorization: exactly one header, Bearer scheme (any
   * case). Another header: its value (a "Bearer " prefix is taken off). A cookie: its value.
   */
  String token(MultiMap headers) {
    if (source.cookie() != null) {
      return cookie(headers.getAll("Cookie"), source.cookie());
    }
    List<String> values = headers.getAll(source.header());
    if (values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      return ""; // ambiguous: refused as invalid
    }
    String v = values.get(0).strip();
    boolean bearer = v.regionMatches(true, 0, "Bearer ", 0, 7);
    if (source.header().equalsIgnoreCase("Authorization") && !bearer) {
      return null; // another scheme (Basic...): no bearer token
    }
    return bearer ? v.substring(7).strip() : v;
  }

  static String cookie(List<String> cookieHeaders, String name) {
    for (String header : cookieHeaders) {
      for (String part : header.split(";")) {
        String p = part.strip();
        int eq = p.indexOf('=');
        if (eq == name.length() && p.startsWith(name)) {
          String v = p.substring(eq + 1).strip();
          if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            v = v.substring(1, v.length() - 1);
          }
          return v;
        }
      }
    }
    return null;
  }

  @Override
  public String toString() {
    JwtVerifier.Settings s = verifier.settings();
    return "jwt{issuers="
        + s.issuers()
        + ", audiences="
        + s.audiences()
        + ", algorithms="
        + s.algorithms()
        + ", scopes="
        + s.scopes()
        + "}";
  }
}
