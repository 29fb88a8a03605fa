package io.sluice.gateway.server;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpMessage;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vert.x's HTTP/1.x request decoder, made to refuse a request that has both Content-Length and
 * Transfer-Encoding (request smuggling, RFC 9112 6.3) instead of quietly dropping Content-Length as
 * Netty does. The refused request reaches the invalid-request handler, which answers 400 and closes
 * the connection.
 *
 * <p>This reaches into Vert.x internals (the pipeline's {@code httpDecoder}); if a Vert.x upgrade
 * moves them, a warning is logged once and LimitsTest fails.
 */
final class StrictRequestDecoder extends VertxHttpRequestDecoder {

  private static final Logger LOG = LoggerFactory.getLogger(StrictRequestDecoder.class);
  private static final String NAME = "httpDecoder";
  private static volatile boolean warned;

  StrictRequestDecoder(HttpServerOptions options) {
    super(options);
  }

  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
    throw new IllegalArgumentException("Content-Length with Transfer-Encoding");
  }

  /** Swaps the connection's decoder for this one; called before the connection reads a byte. */
  static void install(HttpConnection conn, HttpServerOptions options) {
    if (conn instanceof ConnectionBase base) {
      ChannelPipeline p = base.channelHandlerContext().pipeline();
      if (p.get(NAME) instanceof VertxHttpRequestDecoder current
          && !(current instanceof StrictRequestDecoder)) {
        p.replace(NAME, NAME, new StrictRequestDecoder(options));
        return;
      }
    }
    if (!warned) {
      warned = true;
      LOG.warn("cannot install the strict HTTP/1.x decoder on {}", conn.getClass().getName());
    }
  }
}
