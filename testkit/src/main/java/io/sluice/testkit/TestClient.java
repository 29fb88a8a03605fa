package io.sluice.testkit;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A blocking HTTP client for tests, on its own event loop (never the gateway's). Call it from the
 * test thread.
 */
public final class TestClient {

  private final HttpClient client;
  private final String host;
  private final int port;

  TestClient(Vertx vertx, String host, int port) {
    this.client =
        vertx.createHttpClient(
            new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(64));
    this.host = host;
    this.port = port;
  }

  public TestResponse get(String path) {
    return send(HttpMethod.GET, path, Map.of(), null);
  }

  public TestResponse send(HttpMethod method, String path, Map<String, String> headers, String body) {
    return Await.result(
        sendAsync(method, path, headers, body == null ? null : Buffer.buffer(body)), 30);
  }

  /** Sends without waiting; several may be in flight at once. */
  public Future<TestResponse> sendAsync(
      HttpMethod method, String path, Map<String, String> headers, Buffer body) {
    RequestOptions o = new RequestOptions().setHost(host).setPort(port).setMethod(method).setURI(path);
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    headers.forEach(h::add);
    o.setHeaders(h);
    return client
        .request(o)
        .compose(req -> body == null ? req.send() : req.send(body))
        .compose(
            res ->
                res.body()
                    .map(b -> new TestResponse(res.statusCode(), res.headers(), b.toString())));
  }

  /**
   * Writes raw bytes on a new connection and returns everything read until the server closes it or
   * {@code timeoutMs} passes without data: for framing and limit tests a well-behaved client cannot
   * send.
   */
  public String raw(String request, int timeoutMs) {
    try (Socket s = new Socket(host, port)) {
      s.setSoTimeout(timeoutMs);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      try {
        int n;
        while ((n = in.read(buf)) >= 0) {
          got.write(buf, 0, n);
        }
      } catch (SocketTimeoutException e) {
        // the server kept the connection open: return what came
      } catch (IOException e) {
        // reset by the server after answering: return what came
      }
      return got.toString(StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new IllegalStateException("raw request failed: " + e, e);
    }
  }

  void close() {
    client.close();
  }
}
