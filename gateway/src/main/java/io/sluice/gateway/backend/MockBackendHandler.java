package io.sluice.gateway.backend;

import io.sluice.gateway.config.SluiceConfig.Header;
import io.sluice.gateway.config.SluiceConfig.MockBackend;
import io.sluice.gateway.server.RequestContext;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;

/** Answers with a fixed status, headers and body. The body is encoded once. */
public final class MockBackendHandler implements BackendHandler {

  private final int status;
  private final MultiMap headers;
  private final Buffer body;

  public MockBackendHandler(MockBackend config) {
    this.status = config.status();
    this.headers = HttpHeaders.headers();
    for (Header h : config.headers()) {
      headers.add(h.name(), h.value());
    }
    this.body = Buffer.buffer(config.body());
  }

  @Override
  public void handle(RequestContext ctx) {
    ctx.answer(status, headers, body);
  }
}
