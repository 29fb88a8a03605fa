package io.sluice.gateway.backend;

import io.sluice.gateway.config.SluiceConfig.Header;
import io.sluice.gateway.config.SluiceConfig.MockBackend;
import io.sluice.gateway.server.RequestContext;
import io.sluice.gateway.server.RequestIds;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;

/** Answers with a fixed status, headers and body. The body is encoded once. */
public final class MockBackendHandler implements BackendHandler {

  private final int status;
  private final MultiMap headers;
  private final Buffer body;
  private final String contentLength;

  public MockBackendHandler(MockBackend config) {
    this.status = config.status();
    this.headers = HttpHeaders.headers();
    for (Header h : config.headers()) {
      headers.add(h.name(), h.value());
    }
    this.body = Buffer.buffer(config.body());
    this.contentLength = String.valueOf(body.length());
  }

  @Override
  public void handle(RequestContext ctx) {
    HttpServerResponse res = ctx.request().response();
    res.setStatusCode(status);
    res.headers().addAll(headers);
    res.putHeader(RequestIds.HEADER, ctx.requestId());
    if (ctx.hasResponseHooks()) {
      ctx.beforeResponse()
          .onComplete(
              ar -> {
                if (ar.failed()) {
                  res.headers().clear();
                  ctx.fail(io.sluice.gateway.server.Problems.INTERNAL);
                } else {
                  end(ctx, res);
                }
              });
    } else {
      end(ctx, res);
    }
  }

  private void end(RequestContext ctx, HttpServerResponse res) {
    boolean noBody = ctx.request().method() == HttpMethod.HEAD || status == 204 || status == 304;
    if (noBody) {
      if (status != 204 && status != 304) {
        res.putHeader(HttpHeaders.CONTENT_LENGTH, contentLength);
      }
      res.end();
    } else {
      res.end(body);
    }
  }
}
