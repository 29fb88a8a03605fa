package io.sluice.gateway.backend;

import io.sluice.gateway.config.SluiceConfig.Warm;
import io.sluice.gateway.telemetry.LambdaMetrics;
import io.sluice.gateway.telemetry.LambdaMetrics.Ping;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeRequest;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogType;

/**
 * Keep-warm pings for one lambda backend: a first round within a second of start, then one every
 * {@code every} (jittered by up to 10% either way, so that many gateways do not ping in step), each
 * round {@code instances} synchronous invocations at once with the marker event
 *
 * <pre>{"source": "sluice-warmer", "backend": "orders", "instance": 1, "instances": 2, "time": ...}
 * </pre>
 *
 * <p>so a handler can return early. Pings are not client traffic (no request metrics, spans or
 * access log), are never retried, ask for the log tail (so the cold starts they absorb are counted,
 * trigger {@code warmer}), and are skipped while the backend's circuit is not closed and when its
 * concurrency limit has no free slot (a function that busy is warm).
 */
public final class LambdaWarmer {

  private static final Logger LOG = LoggerFactory.getLogger(LambdaWarmer.class);

  /** The marker every ping carries in {@code source}. */
  public static final String SOURCE = "sluice-warmer";

  private final Vertx vertx;
  private final LambdaFunction fn;
  private final long everyMillis;
  private final int instances;
  private volatile boolean closed;
  private volatile long timer = -1;

  public LambdaWarmer(Vertx vertx, LambdaFunction fn, Warm warm) {
    this.vertx = vertx;
    this.fn = fn;
    this.everyMillis = warm.every().toMillis();
    this.instances = warm.instances();
  }

  public void start() {
    schedule(ThreadLocalRandom.current().nextLong(1, Math.min(1_000, everyMillis) + 1));
  }

  public void close() {
    closed = true;
    vertx.cancelTimer(timer);
  }

  private void schedule(long delayMillis) {
    if (!closed) {
      timer = vertx.setTimer(Math.max(1, delayMillis), id -> round());
    }
  }

  private void round() {
    if (closed) {
      return;
    }
    long jitter = everyMillis / 10;
    schedule(everyMillis + ThreadLocalRandom.current().nextLong(-jitter, jitter + 1));
    if (fn.guard != null && fn.guard.circuitState() != CircuitBreakerState.CLOSED) {
      for (int i = 0; i < instances; i++) {
        fn.metrics.ping(Ping.SKIPPED_CIRCUIT);
      }
      return;
    }
    String time = Instant.now().toString();
    for (int i = 1; i <= instances; i++) {
      if (fn.guard != null && !fn.guard.tryReserve()) {
        fn.metrics.ping(Ping.SKIPPED_BUSY);
        continue;
      }
      ping(i, time);
    }
  }

  /** The marker event of the {@code instance}-th ping of a round. */
  static JsonObject event(String backend, int instance, int instances, String time) {
    return new JsonObject()
        .put("source", SOURCE)
        .put("backend", backend)
        .put("instance", instance)
        .put("instances", instances)
        .put("time", time);
  }

  private void ping(int instance, String time) {
    InvokeRequest request =
        InvokeRequest.builder()
            .functionName(fn.config.function())
            .invocationType(InvocationType.REQUEST_RESPONSE)
            .logType(LogType.TAIL)
            .payload(
                SdkBytes.fromByteArrayUnsafe(
                    event(fn.config.name(), instance, instances, time).toBuffer().getBytes()))
            .build();
    fn.client
        .invoke(request)
        .whenComplete(
            (resp, error) -> {
              if (fn.guard != null) {
                fn.guard.releaseReserved();
              }
              fn.metrics.ping(outcome(resp, error));
              if (resp != null) {
                fn.metrics.logTail(
                    LambdaMetrics.Trigger.WARMER,
                    LambdaFunction.initDurationMillis(resp.logResult()));
              }
            });
  }

  private Ping outcome(InvokeResponse resp, Throwable error) {
    if (error == null) {
      if (resp.functionError() == null) {
        return Ping.OK;
      }
      LOG.debug("keep-warm ping of {}: function error", fn.config.function());
      return Ping.FUNCTION_ERROR;
    }
    Throwable cause = io.sluice.gateway.aws.SdkFutures.cause(error);
    if (cause instanceof AwsServiceException aws && aws.statusCode() == 429) {
      fn.metrics.throttled();
      return Ping.THROTTLED;
    }
    LOG.debug("keep-warm ping of {} failed: {}", fn.config.function(), cause.toString());
    return Ping.ERROR;
  }
}
