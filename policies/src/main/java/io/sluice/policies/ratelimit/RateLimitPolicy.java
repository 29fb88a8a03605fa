package io.sluice.policies.ratelimit;

import io.sluice.api.AttributeKey;
import io.sluice.api.Exchange;
import io.sluice.api.Policy;
import io.sluice.api.Problem;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;

/**
 * Takes a token for each request; over the limit, a 429 problem with {@code Retry-After}. Every
 * response of the route (the 429s too) carries the limit headers: {@code RateLimit-Policy}, {@code
 * RateLimit} (IETF draft), and {@code X-RateLimit-Limit/Remaining/Reset}, told by the limit closest
 * to running out.
 */
final class RateLimitPolicy implements Policy {

  static final AttributeKey<Decision> DECISION = AttributeKey.of("rate-limit.decision");

  static final Problem TOO_MANY =
      Problem.of(429, "rate-limited", "Too Many Requests", "The rate limit is exceeded.");
  static final Problem UNAVAILABLE =
      Problem.of(
          503,
          "rate-limit-unavailable",
          "Service Unavailable",
          "The rate limit cannot be checked at the moment; try again later.");

  private final RateLimiter limiter;
  private final Vertx vertx;
  private final RateLimitMetrics metrics;

  RateLimitPolicy(RateLimiter limiter, Vertx vertx, RateLimitMetrics metrics) {
    this.limiter = limiter;
    this.vertx = vertx;
    this.metrics = metrics;
  }

  @Override
  public Future<Void> onRequest(Exchange ex) {
    if (limiter.isLocal()) {
      decide(ex, limiter.consumeLocal(ex));
      return Future.succeededFuture();
    }
    return limiter
        .consumeRemote(ex, vertx.getOrCreateContext())
        .transform(
            ar -> {
              if (ar.succeeded()) {
                decide(ex, ar.result());
              } else if (limiter.denyOnStoreFailure) {
                metrics.count(RateLimitMetrics.Outcome.STORE_FAILURE_DENIED);
                ex.respond(UNAVAILABLE, MultiMap.caseInsensitiveMultiMap().add("Retry-After", "1"));
              } else {
                metrics.count(RateLimitMetrics.Outcome.STORE_FAILURE_ALLOWED);
              }
              return Future.succeededFuture();
            });
  }

  private void decide(Exchange ex, Decision d) {
    ex.attribute(DECISION, d);
    metrics.count(
        d.allowed() ? RateLimitMetrics.Outcome.ALLOWED : RateLimitMetrics.Outcome.LIMITED);
    if (!d.allowed()) {
      ex.respond(
          TOO_MANY,
          MultiMap.caseInsensitiveMultiMap()
              .add("Retry-After", String.valueOf(d.retryAfterSeconds())));
    }
  }

  @Override
  public Future<Void> onResponse(Exchange ex) {
    Decision d = ex.attribute(DECISION);
    if (d != null) {
      Limits l = limiter.limits;
      MultiMap h = ex.responseHeaders();
      String reset = String.valueOf(d.resetSeconds());
      String remaining = String.valueOf(d.remaining());
      h.set("RateLimit-Policy", l.policyHeader);
      h.set("RateLimit", "\"" + l.names[d.limit()] + "\";r=" + remaining + ";t=" + reset);
      h.set("X-RateLimit-Limit", String.valueOf(l.requests[d.limit()]));
      h.set("X-RateLimit-Remaining", remaining);
      h.set("X-RateLimit-Reset", reset);
    }
    return Future.succeededFuture();
  }

  @Override
  public String toString() {
    return "rate-limit{"
        + limiter.limits.policyHeader
        + (limiter.isLocal() ? ", local" : ", redis")
        + "}";
  }
}
