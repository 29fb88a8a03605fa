package io.sluice.gateway.backend;

import io.sluice.api.Problem;
import io.sluice.api.StandardAttributes;
import io.sluice.gateway.config.SluiceConfig.LambdaBackend;
import io.sluice.gateway.resilience.Retries;
import io.sluice.gateway.server.Problems;
import io.sluice.gateway.server.RequestContext;
import io.sluice.gateway.telemetry.GatewayMetrics;
import io.sluice.gateway.telemetry.GatewayMetrics.Outcome;
import io.sluice.gateway.telemetry.HttpTracing;
import io.sluice.gateway.telemetry.LambdaMetrics;
import io.sluice.gateway.telemetry.Telemetry;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.services.lambda.LambdaAsyncClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeRequest;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogType;

/**
 * Calls an AWS Lambda function through the Invoke API with the AWS SDK (its client shared by the
 * event loops, sending over Vert.x): the request becomes an API Gateway proxy event, the function's
 * answer the response.
 *
 * <ul>
 *   <li>An event over Lambda's payload limit (6 MB sync, 1 MB async) is refused 413 without
 *       invoking.
 *   <li>A function error ({@code X-Amz-Function-Error}): 502; its text goes to the log only.
 *   <li>Throttled (429) or a Lambda service error (5xx): retried with jittered backoff within the
 *       retry budget, honouring Retry-After; still throttled: 503 {@code overloaded} with
 *       Retry-After.
 *   <li>No answer within {@code timeout}: 504. Function not found, access denied, anything else:
 *       502.
 *   <li>{@code invocation: async}: an Event invocation, answered 202 with the Lambda request id.
 * </ul>
 */
public final class LambdaBackendHandler implements BackendHandler {

  private static final Logger LOG = LoggerFactory.getLogger(LambdaBackendHandler.class);

  /** Lambda's payload limits: 6 MB for a synchronous call, 1 MB for an Event. */
  static final long SYNC_LIMIT = 6L * 1024 * 1024;

  static final long ASYNC_LIMIT = 1024L * 1024;

  /** The response header that carries the Lambda request id of an async invocation. */
  static final String REQUEST_ID_HEADER = "X-Amzn-RequestId";

  static final Problem FUNCTION_ERROR =
      Problem.of(502, "function-error", "Bad Gateway", "The function failed.");
  static final Problem MALFORMED =
      Problem.of(
          502,
          "bad-gateway",
          "Bad Gateway",
          "The function's answer is not a valid API Gateway proxy response.");
  static final Problem THROTTLED =
      Problem.of(
          503,
          "overloaded",
          "Service Unavailable",
          "The function is at its concurrency limit; try again shortly.");

  private final Vertx vertx;
  private final LambdaFunction fn;
  private final LambdaBackend config;
  private final LambdaAsyncClient client;
  private final Retries retries;
  private final long limit;
  private final HttpTracing tracing;
  private final GatewayMetrics.Backend metrics;
  private final String endpointHost;
  private final int endpointPort;

  public LambdaBackendHandler(Vertx vertx, LambdaFunction fn, Telemetry telemetry) {
    this.vertx = vertx;
    this.fn = fn;
    this.config = fn.config;
    this.client = fn.client;
    this.limit = config.async() ? ASYNC_LIMIT : SYNC_LIMIT;
    this.tracing = telemetry.http();
    this.metrics = telemetry.metrics().backend(config.name());
    this.retries = new Retries(config.retry(), fn.budget, metrics);
    if (config.endpoint() != null) {
      this.endpointHost = config.endpoint().getHost();
      int port = config.endpoint().getPort();
      this.endpointPort =
          port > 0 ? port : "https".equals(config.endpoint().getScheme()) ? 443 : 80;
    } else {
      this.endpointHost = "lambda." + config.region() + ".amazonaws.com";
      this.endpointPort = 443;
    }
  }

  @Override
  public void handle(RequestContext ctx) {
    // The body is read whole: at most what the event can hold (base64 makes it a third larger).
    WholeBody.read(ctx, Math.min(ctx.maxBodySize(), limit), body -> invoke(ctx, body));
  }

  private void invoke(RequestContext ctx, Buffer body) {
    JsonObject event =
        config.payloadV1()
            ? LambdaEvents.v1(request(ctx, body))
            : LambdaEvents.v2(request(ctx, body));
    Buffer payload = event.toBuffer();
    if (payload.length() > limit) {
      WholeBody.tooLarge(ctx);
      return;
    }
    retries.requested();
    attempt(ctx, payload, 0);
  }

  /** The event's view of the request: after the policies, with the forwarding and trace headers. */
  private LambdaEvents.Request request(RequestContext ctx, Buffer body) {
    HttpServerRequest req = ctx.request();
    MultiMap headers = HttpHeaders.headers();
    HopByHop.copy(req.headers(), headers, true);
    HttpBackendHandler.forwarded(ctx, req, headers);
    tracing.inject(ctx.span(), headers);
    String template = ctx.route().template();
    Map<String, Object> claims = ctx.attribute(StandardAttributes.CLAIMS);
    List<String> scopes = ctx.attribute(StandardAttributes.SCOPES);
    return new LambdaEvents.Request(
        req.method().name(),
        ctx.path(),
        ctx.query(),
        headers,
        req.method().name() + " " + template,
        template,
        ctx.match().params(),
        ctx.requestId(),
        ctx.clientAddress(),
        req.version() == io.vertx.core.http.HttpVersion.HTTP_1_0 ? "HTTP/1.0" : "HTTP/1.1",
        claims,
        scopes,
        body,
        System.currentTimeMillis());
  }

  private void attempt(RequestContext ctx, Buffer payload, int attempt) {
    boolean logTail = !config.async() && fn.sampleLogTail();
    InvokeRequest request =
        InvokeRequest.builder()
            .functionName(config.function())
            .invocationType(config.async() ? InvocationType.EVENT : InvocationType.REQUEST_RESPONSE)
            .logType(logTail ? LogType.TAIL : LogType.NONE)
            .payload(SdkBytes.fromByteArrayUnsafe(payload.getBytes()))
            .build();
    io.opentelemetry.api.trace.Span span =
        tracing.startClient(
            ctx.span(), "POST", config.name(), endpointScheme(), endpointHost, endpointPort);
    HttpTracing.faas(span, config.function(), "aws", config.region());
    HttpTracing.resent(span, attempt);
    Context context = vertx.getOrCreateContext();
    ctx.upstreamStarted();
    long start = System.nanoTime();
    client
        .invoke(request)
        .whenComplete(
            (resp, error) -> {
              Runnable done =
                  () -> completed(ctx, payload, attempt, logTail, span, start, resp, error);
              if (Vertx.currentContext() == context) {
                done.run();
              } else {
                context.runOnContext(v -> done.run());
              }
            });
  }

  private String endpointScheme() {
    return config.endpoint() == null ? "https" : config.endpoint().getScheme();
  }

  private void completed(
      RequestContext ctx,
      Buffer payload,
      int attempt,
      boolean logTail,
      io.opentelemetry.api.trace.Span span,
      long start,
      InvokeResponse resp,
      Throwable error) {
    long nanos = System.nanoTime() - start;
    ctx.upstreamAnswered();
    if (logTail && resp != null) {
      double init = LambdaFunction.initDurationMillis(resp.logResult());
      fn.metrics.logTail(LambdaMetrics.Trigger.REQUEST, init);
      if (init >= 0) {
        ctx.coldStart();
        HttpTracing.coldStart(span);
      }
    }
    boolean clientGone = ctx.request().response().closed();
    if (error != null) {
      Throwable cause = io.sluice.gateway.aws.SdkFutures.cause(error);
      failed(ctx, payload, attempt, span, nanos, cause, clientGone);
      return;
    }
    int status = resp.statusCode();
    if (resp.functionError() != null) {
      metrics.attempt(Outcome.S5XX, nanos);
      HttpTracing.endClient(span, "function_error");
      LOG.warn(
          "function {} failed [{}] ({}): {}",
          config.function(),
          ctx.requestId(),
          resp.functionError(),
          excerpt(resp.payload() == null ? "" : resp.payload().asUtf8String()));
      answerProblem(ctx, FUNCTION_ERROR, clientGone);
      return;
    }
    metrics.attempt(Outcome.of(status), nanos);
    HttpTracing.endClient(span, status);
    if (clientGone) {
      ctx.backendAnswered(0);
      return;
    }
    if (config.async()) {
      ctx.backendAnswered(202);
      MultiMap headers = HttpHeaders.headers();
      String lambdaRequestId = resp.responseMetadata().requestId();
      if (lambdaRequestId != null && !lambdaRequestId.equals("UNKNOWN")) {
        headers.set(REQUEST_ID_HEADER, lambdaRequestId);
      }
      ctx.answer(202, headers, Buffer.buffer());
      return;
    }
    LambdaEvents.Response r;
    try {
      r =
          LambdaEvents.response(
              Buffer.buffer(resp.payload().asByteArrayUnsafe()), config.payloadV1());
    } catch (LambdaEvents.MalformedResponse e) {
      LOG.warn(
          "function {} gave a malformed proxy response [{}]: {}",
          config.function(),
          ctx.requestId(),
          e.getMessage());
      answerProblem(ctx, MALFORMED, false);
      return;
    }
    // The gateway frames the body itself.
    r.headers().remove(HttpHeaders.CONTENT_LENGTH);
    r.headers().remove(HttpHeaders.TRANSFER_ENCODING);
    r.headers().remove(HttpHeaders.CONNECTION);
    ctx.backendAnswered(r.status());
    ctx.answer(r.status(), r.headers(), r.body());
  }

  private void failed(
      RequestContext ctx,
      Buffer payload,
      int attempt,
      io.opentelemetry.api.trace.Span span,
      long nanos,
      Throwable cause,
      boolean clientGone) {
    if (isTimeout(cause)) {
      metrics.attempt(Outcome.TIMEOUT, nanos);
      HttpTracing.endClient(span, "timeout");
      if (clientGone) {
        ctx.backendAnswered(0);
        return;
      }
      LOG.debug("function {} timed out [{}]", config.function(), ctx.requestId());
      ctx.backendFailed(cause);
      ctx.fail(Problems.GATEWAY_TIMEOUT);
      return;
    }
    if (!(cause instanceof AwsServiceException aws)) {
      metrics.attempt(Outcome.CONNECT_ERROR, nanos);
      HttpTracing.endClient(span, "error");
      if (clientGone) {
        ctx.backendAnswered(0);
        return;
      }
      LOG.warn(
          "function {} not called [{}]: {}", config.function(), ctx.requestId(), cause.toString());
      ctx.backendFailed(cause);
      ctx.fail(Problems.BAD_GATEWAY);
      return;
    }
    int status = aws.statusCode();
    metrics.attempt(Outcome.of(status), nanos);
    HttpTracing.endClient(span, status);
    if (clientGone) {
      ctx.backendAnswered(0);
      return;
    }
    boolean throttled = status == 429;
    if (throttled) {
      fn.metrics.throttled();
    }
    long retryAfter =
        HttpBackendHandler.retryAfterMillis(
            aws.awsErrorDetails() == null || aws.awsErrorDetails().sdkHttpResponse() == null
                ? null
                : aws.awsErrorDetails()
                    .sdkHttpResponse()
                    .firstMatchingHeader("Retry-After")
                    .orElse(null));
    if ((throttled || status >= 500) && retries.mayRetry(attempt, retryAfter, status)) {
      retries.after(vertx, ctx, attempt, retryAfter, () -> attempt(ctx, payload, attempt + 1));
      return;
    }
    if (throttled) {
      ctx.request()
          .response()
          .putHeader(HttpHeaders.RETRY_AFTER, Retries.retryAfterSeconds(retryAfter));
      ctx.backendAnswered(503);
      ctx.fail(THROTTLED);
      return;
    }
    if (status == 413) {
      WholeBody.tooLarge(ctx);
      return;
    }
    LOG.warn(
        "function {} could not be invoked [{}]: {} {}",
        config.function(),
        ctx.requestId(),
        status,
        aws.awsErrorDetails() == null ? aws.getMessage() : aws.awsErrorDetails().errorCode());
    ctx.backendAnswered(502);
    ctx.fail(Problems.BAD_GATEWAY);
  }

  private void answerProblem(RequestContext ctx, Problem problem, boolean clientGone) {
    if (clientGone) {
      ctx.backendAnswered(0);
      return;
    }
    ctx.backendAnswered(problem.status());
    ctx.fail(problem);
  }

  private static boolean isTimeout(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ApiCallTimeoutException
          || c instanceof ApiCallAttemptTimeoutException
          || c instanceof java.util.concurrent.TimeoutException) {
        return true;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return false;
  }

  /** At most 2,000 characters of a function's error, for the log. */
  private static String excerpt(String s) {
    return s.length() <= 2000 ? s : s.substring(0, 2000) + "...";
  }
}
