package io.sluice.gateway.server;

import io.sluice.gateway.backend.HopByHop;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

/**
 * Copies of GET requests the gateway sends to its own listener over loopback, for policies that
 * refresh something in the background (a cache's {@code staleWhileRevalidate}): the copy goes
 * through the route like any request and its response is read and dropped. A copy carries a random
 * token of this process, which only this process knows and which is never sent on to a backend, so
 * a client cannot pass for one.
 */
final class BackgroundCopies {

  private static final byte[] TOKEN = token();
  private static final String TOKEN_TEXT = new String(TOKEN, StandardCharsets.US_ASCII);

  private final HttpClientAgent client;
  private final String host;
  private volatile int port;

  /** For a listener on {@code listenHost} (a wildcard address: reached on 127.0.0.1). */
  BackgroundCopies(Vertx vertx, String listenHost, long timeoutMillis) {
    this.host =
        listenHost.equals("0.0.0.0") || listenHost.equals("::") || listenHost.equals("[::]")
            ? "127.0.0.1"
            : listenHost;
    this.client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setIdleTimeout((int) Math.max(1, timeoutMillis / 1000))
                .setName("sluice-background-copies"));
  }

  /** The listener's port, once bound. */
  void port(int port) {
    this.port = port;
  }

  /** Whether this request is a copy this gateway sent. */
  boolean isCopy(HttpServerRequest req) {
    String v = req.getHeader(HopByHop.COPY_HEADER);
    return v != null && MessageDigest.isEqual(v.getBytes(StandardCharsets.US_ASCII), TOKEN);
  }

  /**
   * Sends a copy of {@code original} (method, URI, Host, end-to-end headers); its end, or why not.
   */
  Future<Void> send(HttpServerRequest original) {
    HostAndPort authority = original.authority();
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    for (Map.Entry<String, String> e : original.headers()) {
      String name = e.getKey();
      if (HopByHop.isHopByHop(name)
          || name.equalsIgnoreCase("host")
          || name.equalsIgnoreCase("content-length")
          || name.equalsIgnoreCase(RequestIds.HEADER)
          || name.equalsIgnoreCase(HopByHop.COPY_HEADER)) {
        continue;
      }
      headers.add(name, e.getValue());
    }
    headers.set(HopByHop.COPY_HEADER, TOKEN_TEXT);
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setServer(SocketAddress.inetSocketAddress(port, host))
            .setURI(original.uri())
            .setHeaders(headers);
    if (authority != null) {
      options.setHost(authority.host()).setPort(authority.port() > 0 ? authority.port() : 80);
    }
    return client
        .request(options)
        .compose(req -> req.putHeader(HttpHeaders.CONTENT_LENGTH, "0").send())
        .compose(res -> res.end())
        .mapEmpty();
  }

  Future<Void> close() {
    return client.close();
  }

  private static byte[] token() {
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    return HexFormat.of().formatHex(random).getBytes(StandardCharsets.US_ASCII);
  }
}
