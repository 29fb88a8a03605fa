package io.sluice.gateway.backend;

import io.netty.channel.ConnectTimeoutException;
import io.opentelemetry.api.metrics.Meter;
import io.sluice.gateway.config.SluiceConfig;
import io.sluice.gateway.config.SluiceConfig.HttpBackend;
import io.sluice.gateway.config.SluiceConfig.Target;
import io.sluice.gateway.resilience.Retries;
import io.sluice.gateway.resilience.RetryBudget;
import io.sluice.gateway.server.Problems;
import io.sluice.gateway.server.RequestContext;
import io.sluice.gateway.server.RequestIds;
import io.sluice.gateway.telemetry.GatewayMetrics;
import io.sluice.gateway.telemetry.GatewayMetrics.Outcome;
import io.sluice.gateway.telemetry.HttpTracing;
import io.sluice.gateway.telemetry.Telemetry;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.ReadStream;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proxies to HTTP targets over pooled keep-alive connections, streaming bodies both ways.
 *
 * <p>Connect failure: 502. No response headers within {@code timeout} (or a pause that long while
 * the response streams): 504, or the connection is cut if the response had started. Hop-by-hop
 * headers are dropped; X-Forwarded-For/-Proto/-Host and X-Request-Id are set by the gateway.
 *
 * <p>With {@code retry}, any request is tried again when nothing reached the backend (no
 * connection); an idempotent one (or one with an Idempotency-Key) also when the connection broke
 * before an answer or the backend answered 502, 503 or 504, if the request has no body still
 * streaming; never once the response is on its way to the client. The next attempt goes to a target
 * not tried yet when there is one, after a jittered exponential backoff (or the 503's Retry-After,
 * when that is short), and only within the retry budget.
 */
public final class HttpBackendHandler implements BackendHandler {

  private static final Logger LOG = LoggerFactory.getLogger(HttpBackendHandler.class);

  private final HttpBackend config;
  private final HttpClientAgent client;
  private final SocketAddress[] servers;
  private final Target[] targets;
  private final Balancer balancer;
  private final int timeoutMs;
  private final int connectTimeoutMs;
  private final DeadlineQueue timeouts;
  private final boolean preserveHost;
  private final HostAndPort fixedAuthority;
  private final HostAndPort[] targetAuthorities;
  private final TargetPool[] pools;
  private final HttpTracing tracing;
  private final GatewayMetrics.Backend metrics;
  private final Vertx vertx;
  private final TargetHealth health;
  private final Retries retries;
  private final boolean failover;

  /**
   * What the event loops' handlers of one backend share: which targets are in service, and the
   * retry budget.
   */
  public record Shared(TargetHealth health, RetryBudget budget) {
    public static Shared of(HttpBackend config, Meter meter) {
      return new Shared(
          new TargetHealth(
              config.name(),
              config.targets().toArray(new Target[0]),
              config.outlier(),
              config.healthCheck(),
              meter),
          config.retry() == null ? null : RetryBudget.of(config.retry()));
    }
  }

  public HttpBackendHandler(
      Vertx vertx, HttpBackend config, long maxBodySize, Telemetry telemetry, Shared shared) {
    this.vertx = vertx;
    this.config = config;
    this.health = shared.health();
    this.tracing = telemetry.http();
    this.metrics = telemetry.metrics().backend(config.name());
    this.retries =
        config.retry() == null ? null : new Retries(config.retry(), shared.budget(), metrics);
    this.failover = config.balance() == SluiceConfig.Balance.FAILOVER;
    this.targets = config.targets().toArray(new Target[0]);
    this.servers = new SocketAddress[targets.length];
    for (int i = 0; i < targets.length; i++) {
      servers[i] = SocketAddress.inetSocketAddress(targets[i].port(), targets[i].host());
    }
    this.balancer = new Balancer(config.balance(), targets.length, health);
    this.timeoutMs = (int) Math.min(Integer.MAX_VALUE, config.timeout().toMillis());
    this.connectTimeoutMs = (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis());
    this.timeouts = new DeadlineQueue(vertx, config.timeout().toNanos());
    // Host header choices, worked out once (hostHeader: null = preserve, "" = target, else
    // literal).
    String rewrite = config.hostHeader();
    this.preserveHost = rewrite == null;
    this.targetAuthorities = new HostAndPort[targets.length];
    for (int i = 0; i < targets.length; i++) {
      targetAuthorities[i] = hostAndPort(targets[i].host(), targets[i].port());
    }
    if (rewrite == null || rewrite.isEmpty()) {
      this.fixedAuthority = null;
    } else {
      int colon = rewrite.indexOf(':');
      this.fixedAuthority =
          colon < 0
              ? hostAndPort(rewrite, 80)
              : hostAndPort(
                  rewrite.substring(0, colon), Integer.parseInt(rewrite.substring(colon + 1)));
    }
    HttpClientOptions options =
        BackendClients.options("sluice-backend-" + config.name())
            .setPipelining(false)
            .setConnectTimeout(connectTimeoutMs)
            // A response that pauses longer than the timeout while streaming: the connection
            // goes (one idle-state handler per connection, no timer per request).
            .setIdleTimeout(timeoutMs)
            .setIdleTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS);
    // Connections come from connect(), pooled per event loop by TargetPool, not Vert.x's pool.
    this.client = vertx.httpClientBuilder().with(options).build();
    this.pools = new TargetPool[targets.length];
    for (int i = 0; i < targets.length; i++) {
      pools[i] =
          new TargetPool(vertx, client, servers[i], connectTimeoutMs, config.maxConnections());
    }
  }

  /**
   * One attempt at the backend, from getting a connection to the response: its timeout entry, and
   * plain callbacks from step to step (no chain of composed futures on the hot path). A retry is a
   * new attempt with the same request.
   */
  private final class Call extends DeadlineQueue.Entry {
    final RequestContext ctx;
    final int target;
    final int attempt;
    final long tried;
    final boolean retryable;
    final RequestOptions options;
    final ReadStream<Buffer> body;
    final LimitedBody limit;
    HttpClientConnection connection;
    HttpClientRequest request;
    boolean timedOut;
    long startNanos;
    io.opentelemetry.api.trace.Span span;

    Call(
        RequestContext ctx,
        int target,
        int attempt,
        long tried,
        boolean retryable,
        RequestOptions options,
        ReadStream<Buffer> body,
        LimitedBody limit) {
      this.ctx = ctx;
      this.target = target;
      this.attempt = attempt;
      this.tried = tried;
      this.retryable = retryable;
      this.options = options;
      this.body = body;
      this.limit = limit;
    }

    @Override
    void expired() {
      timedOut = true;
      if (request != null) {
        request.reset(0, new TimeoutException("no response within " + timeoutMs + "ms"));
      }
    }

    void start() {
      balancer.started(target);
      ctx.upstreamStarted();
      startNanos = System.nanoTime();
      span =
          tracing.startClient(
              ctx.span(),
              options.getMethod().name(),
              config.name(),
              "http",
              targets[target].host(),
              targets[target].port());
      HttpTracing.resent(span, attempt);
      HttpClientConnection idle = pools[target].pollIdle();
      if (idle != null) {
        onConnection(idle);
      } else {
        pools[target]
            .acquire()
            .onComplete(
                ar -> {
                  if (ar.failed()) {
                    finish(ar.cause());
                  } else {
                    onConnection(ar.result());
                  }
                });
      }
    }

    private void onConnection(HttpClientConnection conn) {
      connection = conn;
      conn.request(options)
          .onComplete(
              ar -> {
                if (ar.failed()) {
                  finish(ar.cause());
                } else {
                  send(ar.result());
                }
              });
    }

    private void send(HttpClientRequest creq) {
      request = creq;
      HttpServerRequest req = ctx.request();
      creq.authority(authority(ctx.request(), target));
      timeouts.add(this);
      // Headers go straight onto the request: one copy, no intermediate map.
      MultiMap headers = creq.headers();
      HopByHop.copy(req.headers(), headers, true);
      headers.remove(HttpHeaders.HOST);
      forwarded(ctx, req, headers);
      tracing.inject(span, headers);
      HttpTracing.url(
          span, "http", targets[target].host(), targets[target].port(), options.getURI());
      req.response().closeHandler(v -> creq.reset());
      if (limit != null) {
        limit.onExceeded(
            () -> {
              creq.reset(0, new LimitedBody.TooLarge());
              // A backend that answered early has had its say; the unread rest of the body
              // makes the client connection unusable.
              if (req.response().headWritten()) {
                req.connection().close();
              }
            });
      }
      Buffer buffered = ctx.bufferedBody();
      (buffered != null ? creq.send(buffered) : body == null ? creq.send() : creq.send(body))
          .onComplete(
              ar -> {
                timeouts.remove(this);
                if (ar.failed()) {
                  finish(ar.cause());
                } else if (!retried(ar.result())) {
                  respond(ctx, ar.result(), this, body == null);
                }
              });
    }

    /**
     * A 502, 503 or 504 that may be retried: the response is read off and dropped (its connection
     * stays reusable), and the next attempt is on its way. False: the response goes to the client.
     */
    private boolean retried(HttpClientResponse resp) {
      int status = resp.statusCode();
      if (status < 502 || status > 504 || body != null || !retryable) {
        return false;
      }
      // An edge's failover goes to another region: one region's Retry-After is not the next's.
      long wait = failover ? -1 : retryAfterMillis(resp.getHeader(HttpHeaders.RETRY_AFTER));
      if (!mayRetry(wait, status)) {
        return false; // out of attempts or budget, or it asks for more patience than a retry has
      }
      metrics.attempt(Outcome.of(status), System.nanoTime() - startNanos);
      HttpTracing.endClient(span, status);
      health.failed(target);
      balancer.finished(target);
      HttpClientConnection conn = connection;
      resp.handler(chunk -> {});
      resp.end().onComplete(ar -> pools[target].release(conn, ar.succeeded()));
      retryAfter(Math.max(wait, 0), status);
      return true;
    }

    /** The call failed before a response: give the connection up and answer with a problem. */
    private void finish(Throwable cause) {
      timeouts.remove(this);
      balancer.finished(target);
      if (connection != null) {
        pools[target].release(connection, false);
      }
      // Past the deadline it is a timeout, whichever closed the connection first (our deadline
      // or the connection's idle timeout, which share the duration).
      boolean timeout = timedOut || pastDeadline();
      Outcome outcome =
          timeout
              ? Outcome.TIMEOUT
              : cause instanceof ConnectException || cause instanceof ConnectTimeoutException
                  ? Outcome.CONNECT_ERROR
                  : Outcome.ERROR;
      metrics.attempt(outcome, System.nanoTime() - startNanos);
      HttpTracing.endClient(span, outcome.label());
      boolean clientGone = !timeout && ctx.request().response().closed();
      if (!clientGone && !tooLarge(cause, limit)) {
        health.failed(target);
        // Nothing reached the backend (no connection, or none that took the request): another
        // attempt is safe for any request, whatever its method and body. An idempotent one whose
        // connection broke before any answer (the target died, a stale keep-alive connection)
        // may go again too, when its body can be sent again.
        boolean unsent = request == null;
        boolean brokeOff = !timeout && retryable && body == null;
        if (retries != null && (unsent || brokeOff) && mayRetry(-1, 0)) {
          LOG.debug(
              "backend {} attempt {} failed [{}], retrying: {}",
              config.name(),
              attempt + 1,
              ctx.requestId(),
              cause.toString());
          retryAfter(0, 0);
          return;
        }
      }
      if (tooLarge(cause, limit)) {
        ctx.backendAnswered(413); // the client's doing, not the backend's
      } else if (clientGone) {
        ctx.backendAnswered(0); // the client left and the call was cut: nothing against the backend
      } else {
        ctx.backendFailed(cause);
      }
      failed(ctx, timeout ? new TimeoutException() : cause, limit);
    }

    /** Whether another attempt may follow this one, for a client still there. */
    private boolean mayRetry(long retryAfterMillis, int status) {
      return !ctx.request().response().closed()
          && retries.mayRetry(attempt, retryAfterMillis, status);
    }

    /** The next attempt, on another target when there is one, after a jittered backoff. */
    private void retryAfter(long atLeastMillis, int status) {
      int n = attempt + 1;
      long delay = retries.delayMillis(attempt, atLeastMillis);
      long triedNow = target < 64 ? tried | (1L << target) : tried;
      Runnable next =
          () -> {
            if (ctx.request().response().closed()) {
              ctx.backendAnswered(0); // the client left while we waited
              return;
            }
            new Call(ctx, balancer.pick(triedNow), n, triedNow, retryable, options, body, limit)
                .start();
          };
      if (delay <= 0) {
        next.run();
      } else {
        vertx.setTimer(delay, id -> next.run());
      }
    }
  }

  @Override
  public void handle(RequestContext ctx) {
    HttpServerRequest req = ctx.request();
    int t = balancer.pick();
    Target target = targets[t];

    // The connection comes from the target's pool: the options carry method and URI only.
    RequestOptions opts =
        new RequestOptions().setMethod(req.method()).setURI(uri(ctx, req, target));

    ReadStream<Buffer> body = null;
    LimitedBody limited = null;
    if (ctx.bufferedBody() == null && hasBody(req)) {
      req.pause();
      if (req.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
        body = req;
      } else {
        limited = new LimitedBody(req, ctx.maxBodySize());
        body = limited;
      }
    }
    boolean retryable = retries != null && retryable(req);
    if (retries != null) {
      retries.requested(); // every request: any may be retried after a connect failure
    }
    new Call(ctx, t, 0, 0L, retryable, opts, body, limited).start();
  }

  /** Idempotent methods, and requests the client marked with an Idempotency-Key. */
  private static boolean retryable(HttpServerRequest req) {
    return switch (req.method().name()) {
      case "GET", "HEAD", "OPTIONS", "PUT", "DELETE" -> true;
      default -> req.headers().contains("idempotency-key");
    };
  }

  /**
   * Retry-After in milliseconds: delta-seconds or an HTTP date; -1 when absent or unreadable (then
   * the backoff alone decides).
   */
  static long retryAfterMillis(String value) {
    if (value == null) {
      return -1;
    }
    String v = value.trim();
    try {
      return Math.multiplyExact(Long.parseLong(v), 1000L);
    } catch (NumberFormatException | ArithmeticException e) {
      try {
        long at =
            java.time.ZonedDateTime.parse(v, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME)
                .toInstant()
                .toEpochMilli();
        return Math.max(0, at - System.currentTimeMillis());
      } catch (java.time.DateTimeException e2) {
        return -1;
      }
    }
  }

  /** The backend URI: the target's base path, the normalized path, the query as received. */
  private static String uri(RequestContext ctx, HttpServerRequest req, Target target) {
    String path = ctx.path();
    if (target.basePath().isEmpty() && path.equals(req.path()) && !ctx.queryChanged()) {
      return req.uri(); // unchanged: no new string
    }
    String query = ctx.query();
    return target.basePath() + path + (query == null ? "" : "?" + query);
  }

  private void respond(
      RequestContext ctx, HttpClientResponse resp, Call call, boolean requestWithoutBody) {
    int t = call.target;
    ctx.upstreamAnswered();
    metrics.attempt(Outcome.of(resp.statusCode()), System.nanoTime() - call.startNanos);
    if (resp.statusCode() >= 500) {
      health.failed(t);
    } else {
      health.succeeded(t);
    }
    ctx.backendAnswered(resp.statusCode());
    forward(ctx, resp)
        .onComplete(
            ar -> {
              balancer.finished(t);
              if (ar.succeeded()) {
                HttpTracing.endClient(call.span, resp.statusCode());
              } else {
                HttpTracing.endClient(call.span, "response_incomplete");
              }
              // Reusable only after a complete exchange: the response fully relayed and the
              // request body fully sent (a backend may answer before reading it all).
              boolean complete = ar.succeeded() && (requestWithoutBody || ctx.request().isEnded());
              pools[t].release(call.connection, complete);
            });
  }

  /**
   * Sends a backend's response on to the client, after the policies' response hooks: the status,
   * the headers but hop-by-hop ones, the request id, and the body streamed with back-pressure.
   * Completes when all of it is relayed; a backend that broke off mid-response costs the client its
   * connection, so that it cannot take the response as complete.
   */
  static Future<Void> forward(RequestContext ctx, HttpClientResponse resp) {
    HttpServerResponse res = ctx.request().response();
    // The status code only: the reason phrase is informational (RFC 9112 4) and HTTP/2 has none.
    res.setStatusCode(resp.statusCode());
    HopByHop.copy(resp.headers(), res.headers(), false);
    res.headers().set(RequestIds.HEADER, ctx.requestId());
    int status = resp.statusCode();
    boolean bodyless =
        status == 204
            || status == 304
            || ctx.request().method() == io.vertx.core.http.HttpMethod.HEAD;
    if (!bodyless
        && !res.headers().contains(HttpHeaders.CONTENT_LENGTH)
        && ctx.request().version() != HttpVersion.HTTP_1_0) {
      res.setChunked(true);
    }
    if (ctx.tap() != null) {
      ctx.tap().head(res);
    }
    Future<Void> relayed;
    if (ctx.hasResponseHooks()) {
      resp.pause();
      relayed =
          ctx.beforeResponse()
              .compose(
                  v -> {
                    if (ctx.replaced()) {
                      // A policy answers instead: the backend's body is read off and dropped.
                      Future<Void> drained = discard(resp);
                      ctx.endResponse(null);
                      return drained;
                    }
                    Future<Void> r = relay(resp, res, ctx.tap());
                    resp.resume();
                    return r;
                  },
                  e -> {
                    res.headers().clear();
                    ctx.fail(io.sluice.gateway.server.Problems.INTERNAL);
                    return Future.failedFuture(e);
                  });
    } else {
      relayed = relay(resp, res, ctx.tap());
    }
    return relayed.onComplete(
        ar -> {
          if (ar.failed() && !res.closed()) {
            ctx.request().connection().close();
          }
        });
  }

  /** Reads a backend's response off and drops it (its connection stays reusable). */
  static Future<Void> discard(HttpClientResponse resp) {
    Promise<Void> done = Promise.promise();
    resp.exceptionHandler(done::tryFail);
    resp.handler(chunk -> {});
    resp.endHandler(v -> done.tryComplete());
    resp.resume();
    return done.future();
  }

  /**
   * Streams the backend's body to the client with back-pressure: the backend is paused while the
   * client's write queue is full. A lighter relay than the general-purpose pipe.
   */
  private static Future<Void> relay(
      HttpClientResponse resp, HttpServerResponse res, io.sluice.gateway.server.ResponseTap tap) {
    Promise<Void> done = Promise.promise();
    resp.exceptionHandler(done::tryFail);
    res.exceptionHandler(
        e -> {
          done.tryFail(e);
          resp.request().reset();
        });
    res.closeHandler(
        v -> {
          // The client went away: stop the backend too.
          done.tryFail("client connection closed");
          resp.request().reset();
        });
    resp.handler(
        chunk -> {
          if (tap != null) {
            tap.write(chunk);
          }
          res.write(chunk);
          if (res.writeQueueFull()) {
            resp.pause();
            res.drainHandler(v -> resp.resume());
          }
        });
    resp.endHandler(
        v -> {
          if (tap != null) {
            tap.finish(res, res.getStatusCode());
          }
          res.end()
              .onComplete(
                  ar -> {
                    if (ar.succeeded()) {
                      done.tryComplete();
                    } else {
                      done.tryFail(ar.cause());
                    }
                  });
        });
    return done.future();
  }

  private void failed(RequestContext ctx, Throwable cause, LimitedBody limit) {
    if (tooLarge(cause, limit)) {
      ctx.fail(Problems.BODY_TOO_LARGE);
      ctx.request().connection().close();
      return;
    }
    if (cause instanceof TimeoutException) {
      LOG.debug("backend {} timed out [{}]", config.name(), ctx.requestId());
      ctx.fail(Problems.GATEWAY_TIMEOUT);
      return;
    }
    if (cause instanceof ConnectException || cause instanceof ConnectTimeoutException) {
      LOG.debug(
          "backend {} unreachable [{}]: {}", config.name(), ctx.requestId(), cause.toString());
    } else {
      LOG.debug("backend {} failed [{}]: {}", config.name(), ctx.requestId(), cause.toString());
    }
    ctx.fail(Problems.BAD_GATEWAY);
  }

  /** Whether the call failed because the client's unannounced body went over the limit. */
  private static boolean tooLarge(Throwable cause, LimitedBody limit) {
    return limit != null && limit.exceeded() || cause instanceof LimitedBody.TooLarge;
  }

  /** The Host the backend receives: the client's, the target's, or a literal, per config. */
  private HostAndPort authority(HttpServerRequest req, int target) {
    if (fixedAuthority != null) {
      return fixedAuthority;
    }
    if (!preserveHost) {
      return targetAuthorities[target];
    }
    HostAndPort client = req.authority();
    return client != null ? client : targetAuthorities[target];
  }

  /** host:port, without the port when it is HTTP's default (as a client writes Host). */
  private static HostAndPort hostAndPort(String host, int port) {
    return HostAndPort.create(host, port == 80 ? -1 : port);
  }

  static void forwarded(RequestContext ctx, HttpServerRequest req, MultiMap headers) {
    MultiMap in = req.headers();
    String peer = req.remoteAddress() == null ? null : req.remoteAddress().hostAddress();
    boolean trusted = ctx.peerTrusted();
    String xff = trusted ? in.get("x-forwarded-for") : null;
    if (peer != null) {
      headers.set("X-Forwarded-For", xff == null || xff.isBlank() ? peer : xff + ", " + peer);
    }
    String proto = trusted ? in.get("x-forwarded-proto") : null;
    headers.set("X-Forwarded-Proto", proto != null ? proto : req.isSSL() ? "https" : "http");
    String host = trusted ? in.get("x-forwarded-host") : null;
    if (host == null) {
      host = in.get(HttpHeaders.HOST);
    }
    if (host != null) {
      headers.set("X-Forwarded-Host", host);
    }
    if (trusted) {
      String fwd = in.get("forwarded");
      if (fwd != null) {
        headers.set("Forwarded", fwd);
      }
    }
    headers.set(RequestIds.HEADER, ctx.requestId());
  }

  /** Whether the request carries a body (announced by Content-Length or Transfer-Encoding). */
  public static boolean hasBody(HttpServerRequest req) {
    String cl = req.headers().get(HttpHeaders.CONTENT_LENGTH);
    if (cl != null) {
      return !cl.equals("0");
    }
    return req.headers().contains(HttpHeaders.TRANSFER_ENCODING);
  }

  @Override
  public Future<Void> close() {
    List<Future<Void>> closes = new ArrayList<>();
    for (TargetPool p : pools) {
      closes.add(p.close());
    }
    return Future.join(closes).transform(ar -> client.close());
  }
}
