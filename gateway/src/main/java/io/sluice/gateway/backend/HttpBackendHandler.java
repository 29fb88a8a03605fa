package io.sluice.gateway.backend;

import io.netty.channel.ConnectTimeoutException;
import io.sluice.gateway.config.SluiceConfig.HttpBackend;
import io.sluice.gateway.config.SluiceConfig.Target;
import io.sluice.gateway.server.Problems;
import io.sluice.gateway.server.RequestContext;
import io.sluice.gateway.server.RequestIds;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.ReadStream;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proxies to HTTP targets over pooled keep-alive connections, streaming bodies both ways.
 *
 * <p>Connect failure: 502. No response headers within {@code timeout} (or a pause that long while
 * the response streams): 504, or the connection is cut if the response had started. Hop-by-hop
 * headers are dropped; X-Forwarded-For/-Proto/-Host and X-Request-Id are set by the gateway.
 */
public final class HttpBackendHandler implements BackendHandler {

  private static final Logger LOG = LoggerFactory.getLogger(HttpBackendHandler.class);

  private final HttpBackend config;
  private final HttpClientAgent client;
  private final SocketAddress[] servers;
  private final Target[] targets;
  private final Balancer balancer;
  private final long maxBodySize;
  private final int timeoutMs;
  private final int connectTimeoutMs;

  public HttpBackendHandler(Vertx vertx, HttpBackend config, long maxBodySize) {
    this.config = config;
    this.targets = config.targets().toArray(new Target[0]);
    this.servers = new SocketAddress[targets.length];
    for (int i = 0; i < targets.length; i++) {
      servers[i] = SocketAddress.inetSocketAddress(targets[i].port(), targets[i].host());
    }
    this.balancer = new Balancer(config.balance(), targets.length);
    this.maxBodySize = maxBodySize;
    this.timeoutMs = (int) Math.min(Integer.MAX_VALUE, config.timeout().toMillis());
    this.connectTimeoutMs = (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis());
    HttpClientOptions options =
        new HttpClientOptions()
            .setKeepAlive(true)
            .setKeepAliveTimeout(60)
            .setPipelining(false)
            .setDecompressionSupported(false)
            .setTcpNoDelay(true)
            .setConnectTimeout(connectTimeoutMs)
            .setName("sluice-backend-" + config.name());
    PoolOptions pool =
        new PoolOptions().setHttp1MaxSize(config.maxConnections()).setMaxWaitQueueSize(-1);
    this.client = vertx.httpClientBuilder().with(options).with(pool).build();
  }

  @Override
  public void handle(RequestContext ctx) {
    HttpServerRequest req = ctx.request();
    int t = balancer.pick();
    Target target = targets[t];

    String query = req.query();
    String uri = target.basePath() + ctx.path() + (query == null ? "" : "?" + query);
    RequestOptions opts =
        new RequestOptions()
            .setServer(servers[t])
            .setMethod(req.method())
            .setURI(uri)
            .setConnectTimeout(connectTimeoutMs)
            .setIdleTimeout(timeoutMs);
    setAuthority(opts, req, target);
    MultiMap headers = HttpHeaders.headers();
    HopByHop.copy(req.headers(), headers, true);
    headers.remove(HttpHeaders.HOST);
    forwarded(ctx, req, headers);
    opts.setHeaders(headers);

    boolean hasBody = hasBody(req);
    ReadStream<Buffer> body = null;
    LimitedBody limited = null;
    if (hasBody) {
      req.pause();
      if (req.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
        body = req;
      } else {
        limited = new LimitedBody(req, maxBodySize);
        body = limited;
      }
    }
    final ReadStream<Buffer> requestBody = body;
    final LimitedBody limit = limited;

    balancer.started(t);
    ctx.upstreamStarted();
    client
        .request(opts)
        .compose(
            creq -> {
              req.response().closeHandler(v -> creq.reset());
              if (limit != null) {
                limit.onExceeded(
                    () -> {
                      creq.reset(0, new LimitedBody.TooLarge());
                      // A backend that answered early has had its say; the unread rest of the
                      // body makes the client connection unusable.
                      if (req.response().headWritten()) {
                        req.connection().close();
                      }
                    });
              }
              Future<HttpClientResponse> sent =
                  requestBody == null ? creq.send() : creq.send(requestBody);
              return sent;
            })
        .onComplete(
            ar -> {
              if (ar.failed()) {
                balancer.finished(t);
                failed(ctx, ar.cause(), limit);
              } else {
                respond(ctx, ar.result(), t);
              }
            });
  }

  private void respond(RequestContext ctx, HttpClientResponse resp, int t) {
    ctx.upstreamAnswered();
    HttpServerResponse res = ctx.request().response();
    res.setStatusCode(resp.statusCode());
    String message = resp.statusMessage();
    if (message != null && !message.isEmpty()) {
      res.setStatusMessage(message);
    }
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
    res.send(resp)
        .onComplete(
            ar -> {
              balancer.finished(t);
              if (ar.failed() && !res.closed()) {
                // The backend broke off mid-response: the client must not take it as complete.
                ctx.request().connection().close();
              }
            });
  }

  private void failed(RequestContext ctx, Throwable cause, LimitedBody limit) {
    if (limit != null && limit.exceeded() || cause instanceof LimitedBody.TooLarge) {
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

  private void setAuthority(RequestOptions opts, HttpServerRequest req, Target target) {
    String rewrite = config.hostHeader();
    if (rewrite == null) {
      HostAndPort authority = req.authority();
      if (authority != null) {
        opts.setHost(authority.host()).setPort(authority.port() > 0 ? authority.port() : 80);
        return;
      }
      opts.setHost(target.host()).setPort(target.port());
    } else if (rewrite.isEmpty()) {
      opts.setHost(target.host()).setPort(target.port());
    } else {
      int colon = rewrite.indexOf(':');
      if (colon < 0) {
        opts.setHost(rewrite).setPort(80);
      } else {
        opts.setHost(rewrite.substring(0, colon))
            .setPort(Integer.parseInt(rewrite.substring(colon + 1)));
      }
    }
  }

  private static void forwarded(RequestContext ctx, HttpServerRequest req, MultiMap headers) {
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

  static boolean hasBody(HttpServerRequest req) {
    String cl = req.headers().get(HttpHeaders.CONTENT_LENGTH);
    if (cl != null) {
      return !cl.equals("0");
    }
    return req.headers().contains(HttpHeaders.TRANSFER_ENCODING);
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
