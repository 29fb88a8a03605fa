package io.sluice.gateway.aws;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.http.SdkHttpFullResponse;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.async.AsyncExecuteRequest;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.async.SdkAsyncHttpResponseHandler;

/**
 * The AWS SDK's async HTTP client SPI on Vert.x's HTTP client: the SDK's calls go over the
 * gateway's own event loops and Netty (Vert.x 5's Netty 4.2), instead of the SDK's default Netty
 * 4.1 client, which would put a second Netty on the class path.
 *
 * <p>Bodies are whole in memory both ways: a Lambda payload is at most 6 MB and the gateway builds
 * it in memory anyway; the response is handed to the SDK as one buffer, honouring the subscriber's
 * demand.
 */
public final class VertxSdkHttpClient implements SdkAsyncHttpClient {

  private final HttpClientAgent client;
  private final Context own;
  private final long timeoutMs;

  /**
   * @param timeoutMs the longest wait for a connection, and for the response once the request is
   *     sent (the SDK's own call timeout stays the outer bound)
   */
  public VertxSdkHttpClient(Vertx vertx, String name, long timeoutMs, int maxConnections) {
    this.timeoutMs = timeoutMs;
    this.own = vertx.getOrCreateContext();
    this.client =
        vertx
            .httpClientBuilder()
            .with(io.sluice.gateway.backend.BackendClients.options(name))
            .with(new PoolOptions().setHttp1MaxSize(maxConnections))
            .build();
  }

  @Override
  public CompletableFuture<Void> execute(AsyncExecuteRequest request) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    SdkAsyncHttpResponseHandler handler = request.responseHandler();
    SdkHttpRequest r = request.request();
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.valueOf(r.method().name()))
            .setHost(r.host())
            .setPort(r.port())
            .setSsl("https".equals(r.protocol()))
            .setURI(r.encodedPath().isEmpty() ? "/" : r.encodedPath() + query(r))
            .setConnectTimeout(timeoutMs)
            .setIdleTimeout(timeoutMs);
    for (Map.Entry<String, List<String>> h : r.headers().entrySet()) {
      // Host comes from the request's authority (the same host[:port] the SDK signed).
      if (!h.getKey().equalsIgnoreCase("host")) {
        for (String v : h.getValue()) {
          options.addHeader(h.getKey(), v);
        }
      }
    }
    collect(request.requestContentPublisher())
        .thenCompose(body -> onContext(() -> exchange(options, body)))
        .whenComplete(
            (parts, error) -> {
              if (error != null) {
                Throwable cause = SdkFutures.cause(error);
                handler.onError(cause);
                done.completeExceptionally(cause);
                return;
              }
              handler.onHeaders((SdkHttpFullResponse) parts[0]);
              handler.onStream(
                  new OneBuffer(ByteBuffer.wrap(((Buffer) parts[1]).getBytes()), done));
            });
    return done;
  }

  /**
   * The exchange on a Vert.x context: the caller's when the SDK calls from an event loop (the usual
   * case: the gateway invokes from the request's loop), else this client's own. Started from a
   * plain thread, Vert.x would make a new context per request, and a response could then end before
   * its body handler was set, losing the body and the pooled connection with it.
   */
  private CompletableFuture<Object[]> onContext(Supplier<Future<Object[]>> work) {
    Context current = Vertx.currentContext();
    if (current != null) {
      return work.get().toCompletionStage().toCompletableFuture();
    }
    CompletableFuture<Object[]> out = new CompletableFuture<>();
    own.runOnContext(
        v ->
            work.get()
                .onComplete(
                    (parts, error) -> {
                      if (error != null) {
                        out.completeExceptionally(error);
                      } else {
                        out.complete(parts);
                      }
                    }));
    return out;
  }

  /** Sends the request and reads the whole response: {head, body}. */
  private Future<Object[]> exchange(RequestOptions options, Buffer body) {
    return client
        .request(options)
        .compose(req -> body.length() == 0 ? req.send() : req.send(body))
        .compose(
            resp -> {
              SdkHttpFullResponse.Builder head =
                  SdkHttpFullResponse.builder()
                      .statusCode(resp.statusCode())
                      .statusText(resp.statusMessage());
              resp.headers().forEach(e -> head.appendHeader(e.getKey(), e.getValue()));
              return resp.body().map(b -> new Object[] {head.build(), b});
            });
  }

  private static String query(SdkHttpRequest r) {
    return r.encodedQueryParameters().map(q -> "?" + q).orElse("");
  }

  /** The whole request body (the SDK's publisher, or none). */
  private static CompletableFuture<Buffer> collect(Publisher<ByteBuffer> content) {
    CompletableFuture<Buffer> out = new CompletableFuture<>();
    if (content == null) {
      out.complete(Buffer.buffer());
      return out;
    }
    Buffer body = Buffer.buffer();
    content.subscribe(
        new Subscriber<ByteBuffer>() {
          @Override
          public void onSubscribe(Subscription s) {
            s.request(Long.MAX_VALUE);
          }

          @Override
          public void onNext(ByteBuffer b) {
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            body.appendBytes(bytes);
          }

          @Override
          public void onError(Throwable t) {
            out.completeExceptionally(t);
          }

          @Override
          public void onComplete() {
            out.complete(body);
          }
        });
    return out;
  }

  /** A publisher of one buffer, delivered on the first request for it; completes {@code done}. */
  private static final class OneBuffer implements Publisher<ByteBuffer> {
    private final ByteBuffer buffer;
    private final CompletableFuture<Void> done;

    OneBuffer(ByteBuffer buffer, CompletableFuture<Void> done) {
      this.buffer = buffer;
      this.done = done;
    }

    @Override
    public void subscribe(Subscriber<? super ByteBuffer> s) {
      s.onSubscribe(
          new Subscription() {
            private boolean over;

            @Override
            public void request(long n) {
              if (over) {
                return;
              }
              over = true;
              if (n <= 0) {
                IllegalArgumentException e =
                    new IllegalArgumentException("rule 3.9: request a positive number");
                s.onError(e);
                done.completeExceptionally(e);
                return;
              }
              if (buffer.hasRemaining()) {
                s.onNext(buffer);
              }
              s.onComplete();
              done.complete(null);
            }

            @Override
            public void cancel() {
              if (!over) {
                over = true;
                done.complete(null);
              }
            }
          });
    }
  }

  @Override
  public String clientName() {
    return "Vertx";
  }

  @Override
  public void close() {
    client.close();
  }
}
