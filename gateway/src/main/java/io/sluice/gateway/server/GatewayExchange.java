package io.sluice.gateway.server;

import io.sluice.api.AttributeKey;
import io.sluice.api.Exchange;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.util.IdentityHashMap;
import java.util.Map;

/** The {@link Exchange} policies see, over the gateway's request context. */
final class GatewayExchange implements Exchange {

  private final RequestContext ctx;
  private Map<AttributeKey<?>, Object> attributes;
  private boolean responded;
  int localStatus;
  MultiMap localHeaders;
  Buffer localBody;
  String problemType;

  GatewayExchange(RequestContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public String requestId() {
    return ctx.requestId;
  }

  @Override
  public String traceId() {
    return ctx.traceId();
  }

  @Override
  public void respond(io.sluice.api.Problem problem, MultiMap headers) {
    Exchange.super.respond(problem, headers);
    problemType = problem.type();
  }

  @Override
  public String routeId() {
    return ctx.routeId();
  }

  @Override
  public String method() {
    return ctx.request.method().name();
  }

  @Override
  public String path() {
    return ctx.path;
  }

  @Override
  public String rawQuery() {
    return ctx.queryOverridden ? ctx.query : ctx.request.query();
  }

  @Override
  public void rawQuery(String query) {
    ctx.queryOverridden = true;
    ctx.query = query == null || query.isEmpty() ? null : query;
  }

  @Override
  public MultiMap queryParams() {
    return ctx.request.params();
  }

  @Override
  public String pathParam(String name) {
    return ctx.match.param(name);
  }

  @Override
  public Map<String, String> pathParams() {
    return ctx.match.params();
  }

  @Override
  public MultiMap requestHeaders() {
    return ctx.request.headers();
  }

  @Override
  public String clientAddress() {
    return ctx.clientAddress;
  }

  @Override
  public String principal() {
    return ctx.principal;
  }

  @Override
  public void principal(String principal) {
    ctx.principal = principal;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> T attribute(AttributeKey<T> key) {
    return attributes == null ? null : (T) attributes.get(key);
  }

  @Override
  public <T> void attribute(AttributeKey<T> key, T value) {
    if (attributes == null) {
      attributes = new IdentityHashMap<>(4);
    }
    attributes.put(key, value);
  }

  @Override
  public Buffer body() {
    if (!ctx.match.route().chain().needsBody()) {
      throw new IllegalStateException(
          "the request body is only read for policies whose needsRequestBody() is true");
    }
    return ctx.bufferedBody == null ? Buffer.buffer() : ctx.bufferedBody;
  }

  @Override
  public void limitBodySize(long bytes) {
    ctx.maxBodySize = Math.min(ctx.maxBodySize, bytes);
  }

  @Override
  public void respond(int status, MultiMap headers, Buffer body) {
    if (responded) {
      throw new IllegalStateException("the request has been answered already");
    }
    responded = true;
    localStatus = status;
    localHeaders = headers == null ? MultiMap.caseInsensitiveMultiMap() : headers;
    localBody = body == null ? Buffer.buffer() : body;
  }

  @Override
  public io.vertx.core.Future<Void> sendCopyInBackground() {
    if (ctx.copies == null || !ctx.request.method().equals(io.vertx.core.http.HttpMethod.GET)) {
      return io.vertx.core.Future.failedFuture(
          new IllegalStateException("only a GET request can be copied"));
    }
    return ctx.copies.send(ctx.request);
  }

  @Override
  public boolean isBackgroundCopy() {
    return ctx.copies != null && ctx.copies.isCopy(ctx.request);
  }

  @Override
  public void onResponseSent(
      long maxBodyBytes, io.vertx.core.Handler<io.sluice.api.SentResponse> done) {
    if (ctx.tap == null) {
      ctx.tap = new ResponseTap();
    }
    ctx.tap.listen(maxBodyBytes, done);
  }

  /** The body of a response a policy put in place of the one on its way, or null. */
  Buffer replacedBody;

  @Override
  public void replaceResponse(int status, MultiMap headers, Buffer body) {
    io.vertx.core.http.HttpServerResponse res = ctx.request.response();
    if (res.headWritten()) {
      throw new IllegalStateException("the response has started");
    }
    res.setStatusCode(status);
    res.setChunked(false);
    res.headers().clear();
    if (headers != null) {
      res.headers().addAll(headers);
    }
    res.headers().set(RequestIds.HEADER, ctx.requestId);
    replacedBody = body == null ? Buffer.buffer() : body;
  }

  @Override
  public boolean responded() {
    return responded;
  }

  @Override
  public int responseStatus() {
    return ctx.request.response().getStatusCode();
  }

  @Override
  public void responseStatus(int status) {
    ctx.request.response().setStatusCode(status);
  }

  @Override
  public MultiMap responseHeaders() {
    return ctx.request.response().headers();
  }
}
