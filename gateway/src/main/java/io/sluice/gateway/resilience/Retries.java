package io.sluice.gateway.resilience;

import io.sluice.gateway.config.SluiceConfig.Retry;
import io.sluice.gateway.server.RequestContext;
import io.sluice.gateway.telemetry.GatewayMetrics;
import io.vertx.core.Vertx;

/**
 * One backend's retry rules as its handlers apply them: attempts, the longest wait a retry accepts,
 * the budget, the backoff, and the metrics of each decision. The budget is shared by the event
 * loops; this object holds no other state.
 */
public final class Retries {

  private final Retry retry;
  private final RetryBudget budget;
  private final GatewayMetrics.Backend metrics;

  public Retries(Retry retry, RetryBudget budget, GatewayMetrics.Backend metrics) {
    this.retry = retry;
    this.budget = budget;
    this.metrics = metrics;
    metrics.retriesConfigured();
  }

  /** A request that may be retried starts: the budget counts it. */
  public void requested() {
    budget.requested();
  }

  /**
   * Whether attempt {@code attempt} (0 for the first) may be followed by another, after this {@code
   * status} (0: no connection): attempts left, a Retry-After ({@code retryAfterMillis}, -1 for
   * none) no longer than {@code maxBackoff}, and the budget. A retry or a refusal by the budget is
   * counted.
   */
  public boolean mayRetry(int attempt, long retryAfterMillis, int status) {
    if (attempt + 1 >= retry.attempts() || retryAfterMillis > retry.maxBackoff().toMillis()) {
      return false;
    }
    if (!budget.tryRetry()) {
      metrics.budgetExhausted();
      return false;
    }
    metrics.retried(status);
    return true;
  }

  /**
   * The wait before the retry after attempt {@code attempt}: jittered, at least the Retry-After.
   */
  public long delayMillis(int attempt, long retryAfterMillis) {
    return Backoff.delayMillis(retry, attempt + 1, Math.max(0, retryAfterMillis));
  }

  /**
   * Runs {@code next} after the backoff for the retry after attempt {@code attempt}, unless the
   * client has left by then (which tells the backend's breaker nothing against it).
   */
  public void after(
      Vertx vertx, RequestContext ctx, int attempt, long retryAfterMillis, Runnable next) {
    vertx.setTimer(
        Math.max(1, delayMillis(attempt, retryAfterMillis)),
        id -> {
          if (ctx.request().response().closed()) {
            ctx.backendAnswered(0);
          } else {
            next.run();
          }
        });
  }

  /** A Retry-After to pass on to the client, in whole seconds, at least 1. */
  public static String retryAfterSeconds(long retryAfterMillis) {
    return String.valueOf(Math.max(1, (retryAfterMillis + 999) / 1000));
  }
}
