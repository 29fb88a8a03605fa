package io.sluice.gateway.server;

import io.sluice.gateway.backend.BackendHandler;
import io.sluice.gateway.resilience.BackendGuard;
import io.sluice.gateway.resilience.LoadShedder;
import io.sluice.gateway.routing.PathNormalizer;
import io.sluice.gateway.routing.RouteMatch;
import io.sluice.gateway.telemetry.HttpTracing;
import io.sluice.gateway.tier.TierAssertions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client-facing listener on one event loop: framing and size checks, route matching, then the
 * route's backend. Several instances share the port; each has its own backend connection pools.
 */
final class GatewayVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);

  /**
   * One config as this event loop serves it: the runtime, its backend handlers, and how many
   * requests are still on it. Touched only on this event loop.
   */
  static final class Generation {
    final GatewayRuntime runtime;
    final BackendHandler[] backends;

    /**
     * What requests call, by backend index: the handlers, or on an edge each wrapped to sign the
     * request's assertion on its way to the core.
     */
    final BackendHandler[] entries;

    final Map<BackendUnit, BackendHandler> byUnit = new IdentityHashMap<>();
    int inFlight;

    /** Set when a reload replaced it: completes once its requests are done and it is closed. */
    Promise<Void> retired;

    Generation(GatewayRuntime runtime, BackendHandler[] backends) {
      this.runtime = runtime;
      this.backends = backends;
      this.entries = backends.clone();
      for (int i = 0; i < backends.length; i++) {
        byUnit.put(runtime.units[i], backends[i]);
        if (runtime.signer != null) {
          entries[i] = new EdgeForwarder(runtime.signer, backends[i]);
        }
      }
    }
  }

  /** The config requests start on. */
  private Generation current;

  /** Configs replaced by a reload whose requests are not all done. */
  private final List<Generation> draining = new ArrayList<>();

  private final GatewayRuntime first;
  private final int port;
  private final Promise<Integer> bound;
  private HttpServer server;
  private ConnectionGuard guard;
  private BackgroundCopies copies;

  GatewayVerticle(GatewayRuntime runtime, int port, Promise<Integer> bound) {
    this.first = runtime;
    this.port = port;
    this.bound = bound;
  }

  /**
   * Puts {@code next} in force on this event loop: new requests start on it, those in flight finish
   * on the config they started on. Backend handlers of unchanged backends (and their connection
   * pools) carry over. The future completes when the replaced config's requests are done (or the
   * drain timeout passed) and its handlers that nothing uses any more are closed.
   */
  Future<Void> swap(GatewayRuntime next) {
    Promise<Void> retired = Promise.promise();
    context.runOnContext(
        v -> {
          Generation old = current;
          current = new Generation(next, next.createBackends(vertx, old.byUnit));
          old.retired = retired;
          draining.add(old);
          if (old.inFlight == 0) {
            retire(old);
          } else {
            vertx.setTimer(old.runtime.drainTimeout.toMillis(), id -> retire(old));
          }
        });
    return retired.future();
  }

  /** Closes the handlers of a replaced config that neither the current config nor another uses. */
  private void retire(Generation old) {
    if (!draining.remove(old)) {
      return; // already retired (its last request ended before the drain timer)
    }
    List<Future<Void>> closes = new ArrayList<>();
    for (BackendHandler b : old.backends) {
      if (!inUse(b)) {
        closes.add(b.close());
      }
    }
    Future.join(closes).<Void>mapEmpty().onComplete(old.retired);
  }

  private boolean inUse(BackendHandler b) {
    if (current.byUnit.containsValue(b)) {
      return true;
    }
    for (Generation g : draining) {
      if (g.byUnit.containsValue(b)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public Future<?> start() {
    GatewayRuntime runtime = first;
    current = new Generation(runtime, runtime.createBackends(vertx, null));
    guard =
        new ConnectionGuard(
            runtime.openConnections,
            runtime.limits.maxConnections(),
            runtime.limits.headerTimeout().toNanos(),
            runtime.limits.idleTimeout().toNanos());
    guard.start(vertx);
    io.vertx.core.http.HttpServerOptions options = runtime.serverOptions(port);
    copies =
        new BackgroundCopies(vertx, options.getHost(), runtime.limits.requestTimeout().toMillis());
    server =
        vertx
            .createHttpServer(options)
            .connectionHandler(
                conn -> {
                  StrictRequestDecoder.install(conn, options);
                  guard.opened(conn);
                })
            .requestHandler(this::handle)
            .invalidRequestHandler(this::invalid);
    return server
        .listen()
        .onSuccess(
            s -> {
              copies.port(s.actualPort());
              bound.tryComplete(s.actualPort());
            })
        .onFailure(bound::tryFail);
  }

  /** Stops accepting, lets requests in flight finish up to the drain timeout, then closes. */
  @Override
  public Future<?> stop() {
    guard.stop(vertx);
    Future<Void> shut =
        server == null
            ? Future.succeededFuture()
            : server.shutdown(
                current.runtime.drainTimeout.toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS);
    return shut.transform(
        ar -> {
          java.util.Set<BackendHandler> all =
              java.util.Collections.newSetFromMap(new IdentityHashMap<>());
          all.addAll(List.of(current.backends));
          draining.forEach(g -> all.addAll(List.of(g.backends)));
          List<Future<Void>> closes = new ArrayList<>();
          for (BackendHandler b : all) {
            closes.add(b.close());
          }
          draining.forEach(g -> g.retired.tryComplete());
          closes.add(copies.close());
          return Future.join(closes).mapEmpty();
        });
  }

  /**
   * Requests Netty could not decode: too long a request line (414) or headers (431), bad framing.
   */
  private void invalid(HttpServerRequest req) {
    GatewayRuntime runtime = current.runtime;
    io.vertx.core.http.HttpServerResponse res = req.response();
    Throwable cause = req.decoderResult() == null ? null : req.decoderResult().cause();
    String msg = cause == null ? "" : String.valueOf(cause.getMessage());
    io.sluice.api.Problem p;
    if (cause instanceof io.netty.handler.codec.TooLongFrameException) {
      p =
          msg.contains("header")
              ? io.sluice.api.Problem.of(
                  431,
                  "headers-too-large",
                  "Request Header Fields Too Large",
                  "The request headers are too large.")
              : io.sluice.api.Problem.of(
                  414, "uri-too-long", "URI Too Long", "The request line is too long.");
    } else {
      p = io.sluice.api.Problem.of(400, "bad-request", "Bad Request", "The request is malformed.");
    }
    RequestContext ctx =
        new RequestContext(req, RequestIds.generate(), remote(req), System.nanoTime());
    res.putHeader(HttpHeaders.CONNECTION, "close");
    runtime.metrics.started();
    res.endHandler(
        v -> {
          long nanos = System.nanoTime() - ctx.startNanos;
          runtime.metrics.unmatched().ended(req.method().name(), p.status(), nanos);
          if (runtime.accessLog) {
            log(ctx, p.status(), nanos);
          }
          req.connection().close();
        });
    ctx.fail(p);
  }

  private void handle(HttpServerRequest req) {
    Generation gen = current;
    GatewayRuntime runtime = gen.runtime;
    HttpConnection conn = req.connection();
    if (runtime.verifier != null && CoreGate.isHealthCheck(req)) {
      CoreGate.answerHealthCheck(req, guard);
      return;
    }
    gen.inFlight++;
    guard.requestStarted(conn);
    RequestContext ctx =
        new RequestContext(
            req,
            RequestIds.accept(req.getHeader(RequestIds.HEADER)),
            remote(req),
            System.nanoTime());
    ctx.generation = gen;
    ctx.maxBodySize = runtime.limits.maxBodySize();
    ctx.span = runtime.tracing.startServer(req, ctx.peer);
    runtime.metrics.started();
    HttpServerResponse res = req.response();
    res.endHandler(v -> ended(ctx, conn));

    if (ambiguousFraming(req)) {
      res.putHeader(HttpHeaders.CONNECTION, "close");
      ctx.fail(Problems.AMBIGUOUS_FRAMING);
      return;
    }
    if (contentLength(req) > runtime.limits.maxBodySize()) {
      // The body will not be read: close the connection after answering.
      res.putHeader(HttpHeaders.CONNECTION, "close");
      ctx.fail(Problems.BODY_TOO_LARGE);
      return;
    }
    if (runtime.verifier == null) {
      route(gen, ctx, null);
    } else {
      // A core: nothing without an edge's assertion, not even a 404.
      CoreGate.check(runtime.verifier, req, ctx, asserted -> route(gen, ctx, asserted));
    }
  }

  /** Routing and the rest, once a core has the request's assertion ({@code asserted}, or null). */
  private void route(Generation gen, RequestContext ctx, TierAssertions.Asserted asserted) {
    GatewayRuntime runtime = gen.runtime;
    HttpServerRequest req = ctx.request;
    HttpServerResponse res = req.response();
    String path = PathNormalizer.normalize(req.path());
    if (path == null) {
      ctx.fail(Problems.BAD_PATH);
      return;
    }
    RouteMatch<CompiledRoute> match =
        runtime.table.match(req.getHeader(HttpHeaders.HOST), req.method().name(), path);
    if (!match.found() && isPreflight(req)) {
      // A CORS preflight is about the method it announces: route by that one, and let the
      // route's policies (cors) answer it.
      RouteMatch<CompiledRoute> actual =
          runtime.table.match(
              req.getHeader(HttpHeaders.HOST),
              req.getHeader("access-control-request-method"),
              path);
      if (actual.found() && !actual.route().chain().isEmpty()) {
        ctx.preflight = true;
        ctx.preflightAllowed = match.allowedMethods();
        match = actual;
      }
    }
    ctx.path = path;
    ctx.match = match;
    if (!match.found()) {
      if (match.allowedMethods().isEmpty()) {
        ctx.fail(Problems.NOT_FOUND);
      } else {
        res.putHeader(HttpHeaders.ALLOW, String.join(", ", match.allowedMethods()));
        ctx.fail(Problems.methodNotAllowed(req.method().name()));
      }
      return;
    }
    if (runtime.forwarded.isTrusted(ctx.peer)) {
      ctx.peerTrusted = true;
      ctx.clientAddress =
          runtime.forwarded.clientAddress(ctx.peer, true, req.getHeader("x-forwarded-for"));
      if (ctx.span.isRecording() && ctx.clientAddress != null) {
        ctx.span.setAttribute(
            io.opentelemetry.semconv.ClientAttributes.CLIENT_ADDRESS, ctx.clientAddress);
      }
    }
    CompiledRoute route = match.route();
    if (asserted != null && !CoreGate.admit(asserted, ctx, route)) {
      return;
    }
    HttpTracing.routed(ctx.span, req.method().name(), route.template(), route.id());
    if (runtime.shedder != null) {
      ctx.permit = runtime.shedder.admit();
      if (ctx.permit == null) {
        HttpTracing.shed(ctx.span, null, "gateway_limit");
        res.putHeader(HttpHeaders.RETRY_AFTER, "1");
        ctx.fail(LoadShedder.OVERLOADED);
        return;
      }
    }
    BackendHandler backend = gen.entries[route.backendIndex()];
    try {
      BackendGuard backendGuard = runtime.guards[route.backendIndex()];
      if (route.chain().isEmpty()) {
        BackendGuard.call(backendGuard, ctx, backend);
      } else {
        if (io.sluice.gateway.backend.HttpBackendHandler.hasBody(req)) {
          req.pause(); // policies may run asynchronously first: keep the body until it is read
        }
        ctx.copies = copies;
        PolicyRunner.run(ctx, backend, backendGuard);
      }
    } catch (RuntimeException e) {
      LOG.error("route {} failed [{}]", route.id(), ctx.requestId, e);
      ctx.fail(Problems.INTERNAL);
    }
  }

  private static boolean isPreflight(HttpServerRequest req) {
    return req.method() == io.vertx.core.http.HttpMethod.OPTIONS
        && req.headers().contains("origin")
        && req.headers().contains("access-control-request-method");
  }

  /**
   * The response ended, or the client went away before it did (then the status is 499, as nginx
   * logs it): metrics, the span, the access log line.
   */
  private void ended(RequestContext ctx, HttpConnection conn) {
    Generation gen = ctx.generation;
    GatewayRuntime runtime = gen.runtime;
    if (--gen.inFlight == 0 && gen.retired != null) {
      retire(gen);
    }
    guard.requestEnded(conn);
    if (ctx.guardCall != null) {
      ctx.guardCall.ended();
    }
    HttpServerResponse res = ctx.request.response();
    boolean clientClosed = !res.ended();
    int status = clientClosed ? 499 : res.getStatusCode();
    long nanos = System.nanoTime() - ctx.startNanos;
    if (ctx.permit != null) {
      LoadShedder.release(
          ctx.permit, ctx.upstreamStartNanos != 0 && !ctx.coldStart, status, clientClosed);
    }
    if (ctx.tap != null) {
      ctx.tap.ended(res, status, !clientClosed);
    }
    RouteMatch<CompiledRoute> match = ctx.match;
    (match != null && match.found() ? match.route().metrics() : runtime.metrics.unmatched())
        .ended(ctx.request.method().name(), status, nanos);
    HttpTracing.endServer(ctx.span, status, clientClosed);
    if (runtime.accessLog) {
      log(ctx, status, nanos);
    }
  }

  private static void log(RequestContext ctx, int status, long nanos) {
    HttpServerRequest req = ctx.request;
    AccessLog.log(
        ctx.requestId,
        ctx.traceId(),
        ctx.routeId(),
        req.method().name(),
        req.path(),
        status,
        nanos,
        ctx.upstreamNanos,
        req.bytesRead(),
        req.response().bytesWritten(),
        ctx.clientAddress);
  }

  private static String remote(HttpServerRequest req) {
    return req.remoteAddress() == null ? null : req.remoteAddress().hostAddress();
  }

  /** Content-Length with Transfer-Encoding, or several different Content-Length values. */
  static boolean ambiguousFraming(HttpServerRequest req) {
    if (!req.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
      return false;
    }
    List<String> lengths = req.headers().getAll(HttpHeaders.CONTENT_LENGTH);
    if (req.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
      return true;
    }
    String first = null;
    for (String l : lengths) {
      for (String v : l.split(",")) {
        String t = v.trim();
        if (first == null) {
          first = t;
        } else if (!first.equals(t)) {
          return true;
        }
      }
    }
    return false;
  }

  private static long contentLength(HttpServerRequest req) {
    String cl = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (cl == null) {
      return -1;
    }
    try {
      int comma = cl.indexOf(',');
      return Long.parseLong((comma < 0 ? cl : cl.substring(0, comma)).trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
