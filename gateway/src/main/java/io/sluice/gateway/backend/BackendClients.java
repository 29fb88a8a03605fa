package io.sluice.gateway.backend;

import io.vertx.core.http.HttpClientOptions;

/** How Sluice's clients talk to backends, whatever their kind. */
public final class BackendClients {

  private BackendClients() {}

  /**
   * The options every backend client starts from: keep-alive connections (idle ones closed after 60
   * s), no Nagle delay, and bodies passed through as the backend encoded them (no decompression).
   * Each kind adds its own timeouts, TLS and pool.
   */
  public static HttpClientOptions options(String name) {
    return new HttpClientOptions()
        .setKeepAlive(true)
        .setKeepAliveTimeout(60)
        .setTcpNoDelay(true)
        .setDecompressionSupported(false)
        .setName(name);
  }
}
