package io.sluice.testkit;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * A blocking HTTP/1.1 client for tests, independent of Vert.x (the JDK's {@link HttpClient}), so a
 * test never shares an event loop or a context with the gateway. Host, Connection and
 * Content-Length may be set (the kit allows these restricted headers).
 */
public final class TestClient implements AutoCloseable {

  static {
    // Must be set before the JDK's HttpClient is first initialised.
    System.setProperty(
        "jdk.httpclient.allowRestrictedHeaders", "host,connection,content-length,upgrade,expect");
  }

  private final HttpClient client;
  private final String host;
  private final int port;

  /** A client of any HTTP server on {@code host:port} (a gateway run as a process, say). */
  public TestClient(String host, int port) {
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    this.host = host;
    this.port = port;
  }

  public TestResponse get(String path) {
    return send(HttpMethod.GET, path, Map.of(), null);
  }

  public TestResponse send(
      HttpMethod method, String path, Map<String, String> headers, String body) {
    return Await.result(
        sendAsync(method, path, headers, body == null ? null : Buffer.buffer(body)), 30);
  }

  /** Sends without waiting; several may be in flight at once. */
  public Future<TestResponse> sendAsync(
      HttpMethod method, String path, Map<String, String> headers, Buffer body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + path))
            .timeout(Duration.ofSeconds(20))
            .method(
                method.name(),
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body.getBytes()));
    headers.forEach(b::header);
    return Future.fromCompletionStage(
        client
            .sendAsync(b.build(), HttpResponse.BodyHandlers.ofString())
            .thenApply(
                r -> {
                  MultiMap h = MultiMap.caseInsensitiveMultiMap();
                  r.headers().map().forEach((k, vs) -> vs.forEach(v -> h.add(k, v)));
                  return new TestResponse(r.statusCode(), h, r.body());
                }));
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

  @Override
  public void close() {
    // The JDK client has no close() before Java 21; its connections idle out.
  }
}
