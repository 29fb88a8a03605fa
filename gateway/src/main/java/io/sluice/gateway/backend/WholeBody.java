package io.sluice.gateway.backend;

import io.sluice.gateway.server.Problems;
import io.sluice.gateway.server.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.util.function.Consumer;

/**
 * Reads a request body whole, up to a limit: for policies that look at it, and for backends that
 * need all of it before the call (a Lambda event, a retryable function call).
 */
public final class WholeBody {

  private WholeBody() {}

  /**
   * The body, at most {@code limit} bytes (empty when the request has ended). Fails with {@link
   * LimitedBody.TooLarge} past the limit (the request paused, the rest unread), or with the
   * request's own error.
   */
  public static Future<Buffer> upTo(HttpServerRequest req, long limit) {
    if (req.isEnded()) {
      return Future.succeededFuture(Buffer.buffer());
    }
    Promise<Buffer> p = Promise.promise();
    Buffer acc = Buffer.buffer();
    req.handler(
        chunk -> {
          if (acc.length() + (long) chunk.length() > limit) {
            req.pause();
            p.tryFail(new LimitedBody.TooLarge());
            return;
          }
          acc.appendBuffer(chunk);
        });
    req.exceptionHandler(p::tryFail);
    req.endHandler(v -> p.tryComplete(acc));
    req.resume();
    return p.future();
  }

  /**
   * Calls {@code then} with the body (empty when there is none). Over {@code max} bytes the client
   * gets 413 at once and the rest of the body is not read: the connection closes.
   */
  static void read(RequestContext ctx, long max, Consumer<Buffer> then) {
    HttpServerRequest req = ctx.request();
    if (ctx.bufferedBody() != null) {
      then.accept(ctx.bufferedBody());
      return;
    }
    if (!HttpBackendHandler.hasBody(req)) {
      then.accept(Buffer.buffer());
      return;
    }
    upTo(req, max)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                then.accept(ar.result());
              } else if (ar.cause() instanceof LimitedBody.TooLarge) {
                tooLarge(ctx);
                req.connection().close(); // the rest of the body will not be read
              } // else the request broke off: there is no one to answer
            });
  }

  /** The client's body is over a limit: 413, the client's doing and not the backend's. */
  static void tooLarge(RequestContext ctx) {
    ctx.backendAnswered(413);
    ctx.fail(Problems.BODY_TOO_LARGE);
  }
}
