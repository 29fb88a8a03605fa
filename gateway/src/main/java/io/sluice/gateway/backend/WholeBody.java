package io.sluice.gateway.backend;

import io.sluice.gateway.server.Problems;
import io.sluice.gateway.server.RequestContext;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.util.function.Consumer;

/**
 * Reads a request body whole, for backends that need all of it before the call (a Lambda event, a
 * retryable function call). Over {@code max} bytes the client gets 413 at once and the rest of the
 * body is not read: the connection closes.
 */
final class WholeBody {

  private WholeBody() {}

  /** Calls {@code then} with the body (empty when there is none), or answers 413. */
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
    Buffer body = Buffer.buffer();
    boolean[] over = {false};
    req.handler(
        chunk -> {
          if (over[0]) {
            return;
          }
          body.appendBuffer(chunk);
          if (body.length() > max) {
            over[0] = true;
            tooLarge(ctx);
            req.connection().close(); // the rest of the body will not be read
          }
        });
    req.exceptionHandler(e -> over[0] = true);
    req.endHandler(
        v -> {
          if (!over[0]) {
            then.accept(body);
          }
        });
    req.resume();
  }

  /** The client's body is over a limit: 413, the client's doing and not the backend's. */
  static void tooLarge(RequestContext ctx) {
    ctx.backendAnswered(413);
    ctx.fail(Problems.BODY_TOO_LARGE);
  }
}
