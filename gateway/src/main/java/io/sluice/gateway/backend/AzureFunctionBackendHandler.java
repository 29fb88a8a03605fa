package io.sluice.gateway.backend;

import io.sluice.api.Problem;
import io.sluice.gateway.config.SluiceConfig.AzureFunctionBackend;
import io.sluice.gateway.resilience.Retries;
import io.sluice.gateway.resilience.RetryBudget;
import io.sluice.gateway.server.Problems;
import io.sluice.gateway.server.RequestContext;
import io.sluice.gateway.telemetry.GatewayMetrics;
import io.sluice.gateway.telemetry.GatewayMetrics.Outcome;
import io.sluice.gateway.telemetry.HttpTracing;
import io.sluice.gateway.telemetry.Telemetry;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import java.net.ConnectException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls an Azure Functions HTTP trigger: the client's method, query, headers and body go to the
 * function's URL (path variables of the route substituted), with the function key in {@code
 * x-functions-key}; the answer comes back as it is, streamed.
 *
 * <ul>
 *   <li>401 or 403 from Azure: the key was refused, the operator's fault: 502, and an error in the
 *       log (without the key).
 *   <li>429 (the host's HTTP throttle) or 503 (the host is not running, or scaling): the function
 *       did not run, so any request is retried with backoff within the retry budget, honouring
 *       Retry-After; still refused: 503 {@code overloaded} with Retry-After.
 *   <li>No answer within {@code timeout}: 504; no connection: 502.
 * </ul>
 *
 * <p>The body is read whole before the call (at most {@code maxBodySize}), so that a refused call
 * can be made again.
 */
public final class AzureFunctionBackendHandler implements BackendHandler {

  private static final Logger LOG = LoggerFactory.getLogger(AzureFunctionBackendHandler.class);

  /** The header Azure Functions reads the function key from. */
  static final String KEY_HEADER = "x-functions-key";

  static final Problem UNAVAILABLE =
      Problem.of(
          503,
          "overloaded",
          "Service Unavailable",
          "The function app is busy or not running; try again shortly.");

  /** What the event loops share about one backend: the HTTP client and the retry budget. */
  public record Shared(HttpClientAgent client, RetryBudget budget) {
    public static Shared create(Vertx vertx, AzureFunctionBackend config) {
      HttpClientAgent client =
          vertx
              .httpClientBuilder()
              .with(
                  BackendClients.options("sluice-backend-" + config.name())
                      .setSsl(config.https())
                      .setVerifyHost(true)
                      .setForceSni(true)
                      .setConnectTimeout((int) config.connectTimeout().toMillis()))
              .with(new PoolOptions().setHttp1MaxSize(config.maxConnections()))
              .build();
      return new Shared(client, RetryBudget.of(config.retry()));
    }

    public Future<Void> close() {
      return client.close();
    }
  }

  private final Vertx vertx;
  private final AzureFunctionBackend config;
  private final HttpClientAgent client;
  private final Retries retries;
  private final HttpTracing tracing;
  private final GatewayMetrics.Backend metrics;
  private final String scheme;
  private final HostAndPort authority;
  private final String functionName;

  /** The URL's path: literal pieces and, between them, the route's variables by name. */
  private final List<String> literals = new ArrayList<>();

  private final List<String> variables = new ArrayList<>();

  public AzureFunctionBackendHandler(
      Vertx vertx, AzureFunctionBackend config, Shared shared, Telemetry telemetry) {
    this.vertx = vertx;
    this.config = config;
    this.client = shared.client();
    this.tracing = telemetry.http();
    this.metrics = telemetry.metrics().backend(config.name());
    this.retries = new Retries(config.retry(), shared.budget(), metrics);
    this.scheme = config.https() ? "https" : "http";
    int defaultPort = config.https() ? 443 : 80;
    this.authority =
        HostAndPort.create(config.host(), config.port() == defaultPort ? -1 : config.port());
    String path = config.path();
    this.functionName = path.substring(path.lastIndexOf('/') + 1);
    StringBuilder literal = new StringBuilder();
    for (String segment : path.substring(1).split("/", -1)) {
      literal.append('/');
      if (segment.length() > 2 && segment.startsWith("{") && segment.endsWith("}")) {
        literals.add(literal.toString());
        literal.setLength(0);
        variables.add(segment.substring(1, segment.length() - 1));
      } else {
        literal.append(segment);
      }
    }
    literals.add(literal.toString());
  }

  @Override
  public void handle(RequestContext ctx) {
    WholeBody.read(
        ctx,
        ctx.maxBodySize(),
        body -> {
          retries.requested();
          attempt(ctx, uri(ctx), body, 0);
        });
  }

  /** The function's path, variables substituted (each value percent-encoded), and the query. */
  private String uri(RequestContext ctx) {
    StringBuilder sb = new StringBuilder(literals.get(0));
    for (int i = 0; i < variables.size(); i++) {
      String value = ctx.match().param(variables.get(i));
      sb.append(
              URLEncoder.encode(value == null ? "" : value, StandardCharsets.UTF_8)
                  .replace("+", "%20"))
          .append(literals.get(i + 1));
    }
    String own = config.query();
    String query = ctx.query();
    if (own != null && !own.isEmpty()) {
      sb.append('?').append(own);
      if (query != null && !query.isEmpty()) {
        sb.append('&').append(query);
      }
    } else if (query != null && !query.isEmpty()) {
      sb.append('?').append(query);
    }
    return sb.toString();
  }

  private void attempt(RequestContext ctx, String uri, Buffer body, int attempt) {
    HttpServerRequest req = ctx.request();
    io.opentelemetry.api.trace.Span span =
        tracing.startClient(
            ctx.span(), req.method().name(), config.name(), scheme, config.host(), config.port());
    HttpTracing.faas(span, functionName, "azure", null);
    HttpTracing.resent(span, attempt);
    HttpTracing.url(span, scheme, config.host(), config.port(), uri);
    RequestOptions options =
        new RequestOptions()
            .setMethod(req.method())
            .setHost(config.host())
            .setPort(config.port())
            .setSsl(config.https())
            .setURI(uri)
            .setIdleTimeout(config.timeout().toMillis());
    MultiMap headers = HttpHeaders.headers();
    HopByHop.copy(req.headers(), headers, true);
    headers.remove(HttpHeaders.HOST);
    headers.remove(KEY_HEADER); // a client's own key never reaches the function
    HttpBackendHandler.forwarded(ctx, req, headers);
    tracing.inject(span, headers);
    if (config.key() != null) {
      headers.set(KEY_HEADER, config.key());
    }
    options.setHeaders(headers);
    ctx.upstreamStarted();
    long start = System.nanoTime();
    client
        .request(options)
        .compose(
            creq -> {
              creq.authority(authority);
              return body.length() == 0 ? creq.send() : creq.send(body);
            })
        .onComplete(
            ar -> {
              long nanos = System.nanoTime() - start;
              if (ar.failed()) {
                failed(ctx, span, nanos, ar.cause());
              } else {
                answered(ctx, uri, body, attempt, span, nanos, ar.result());
              }
            });
  }

  private void answered(
      RequestContext ctx,
      String uri,
      Buffer body,
      int attempt,
      io.opentelemetry.api.trace.Span span,
      long nanos,
      HttpClientResponse resp) {
    ctx.upstreamAnswered();
    int status = resp.statusCode();
    metrics.attempt(Outcome.of(status), nanos);
    if (ctx.request().response().closed()) {
      HttpTracing.endClient(span, status);
      resp.request().reset();
      ctx.backendAnswered(0);
      return;
    }
    if (status == 401 || status == 403) {
      HttpTracing.endClient(span, status);
      HttpBackendHandler.discard(resp);
      LOG.error(
          "backend {}: the function app refused the function key ({}) [{}]; check the"
              + " backend's key",
          config.name(),
          status,
          ctx.requestId());
      ctx.backendAnswered(502);
      ctx.fail(Problems.BAD_GATEWAY);
      return;
    }
    if (status == 429 || status == 503) {
      HttpTracing.endClient(span, status);
      HttpBackendHandler.discard(resp);
      long retryAfter =
          HttpBackendHandler.retryAfterMillis(resp.getHeader(HttpHeaders.RETRY_AFTER));
      if (retries.mayRetry(attempt, retryAfter, status)) {
        retries.after(vertx, ctx, attempt, retryAfter, () -> attempt(ctx, uri, body, attempt + 1));
        return;
      }
      ctx.request()
          .response()
          .putHeader(HttpHeaders.RETRY_AFTER, Retries.retryAfterSeconds(retryAfter));
      ctx.backendAnswered(503);
      ctx.fail(UNAVAILABLE);
      return;
    }
    ctx.backendAnswered(status);
    HttpBackendHandler.forward(ctx, resp)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                HttpTracing.endClient(span, status);
              } else {
                HttpTracing.endClient(span, "response_incomplete");
              }
            });
  }

  private void failed(
      RequestContext ctx, io.opentelemetry.api.trace.Span span, long nanos, Throwable cause) {
    boolean timeout = isTimeout(cause);
    Outcome outcome =
        timeout
            ? Outcome.TIMEOUT
            : cause instanceof ConnectException
                    || cause instanceof io.netty.channel.ConnectTimeoutException
                ? Outcome.CONNECT_ERROR
                : Outcome.ERROR;
    metrics.attempt(outcome, nanos);
    HttpTracing.endClient(span, outcome.label());
    if (ctx.request().response().closed()) {
      ctx.backendAnswered(0);
      return;
    }
    ctx.backendFailed(cause);
    if (timeout) {
      LOG.debug("backend {} timed out [{}]", config.name(), ctx.requestId());
      ctx.fail(Problems.GATEWAY_TIMEOUT);
    } else {
      LOG.debug("backend {} failed [{}]: {}", config.name(), ctx.requestId(), cause.toString());
      ctx.fail(Problems.BAD_GATEWAY);
    }
  }

  /** Vert.x reports a request's idle timeout as a {@link TimeoutException}. */
  private static boolean isTimeout(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof TimeoutException) {
        return true;
      }
    }
    return false;
  }
}
