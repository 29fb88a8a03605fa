package io.sluice.gateway.backend;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A request body that fails with {@link TooLarge} once more than {@code limit} bytes have come, for
 * bodies whose length is not announced (chunked). Passes everything else through.
 */
final class LimitedBody implements ReadStream<Buffer> {

  /** The body passed the limit. */
  static final class TooLarge extends RuntimeException {
    TooLarge() {
      super("request body too large", null, false, false);
    }
  }

  private final ReadStream<Buffer> source;
  private final long limit;
  private long seen;
  private boolean failed;
  private Runnable onExceeded = () -> {};
  private Handler<Throwable> exceptionHandler;

  LimitedBody(ReadStream<Buffer> source, long limit) {
    this.source = source;
    this.limit = limit;
  }

  /**
   * Runs once when the limit is passed, before the stream reports the failure: the place to reset
   * the backend request, so that a pipe that ends its destination on failure cannot hand the
   * backend a truncated body as if it were complete.
   */
  void onExceeded(Runnable action) {
    this.onExceeded = action;
  }

  boolean exceeded() {
    return failed;
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    source.exceptionHandler(handler);
    return this;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> handler) {
    if (handler == null) {
      source.handler(null);
      return this;
    }
    source.handler(
        chunk -> {
          if (failed) {
            return;
          }
          seen += chunk.length();
          if (seen > limit) {
            failed = true;
            source.pause();
            onExceeded.run();
            if (exceptionHandler != null) {
              exceptionHandler.handle(new TooLarge());
            }
            return;
          }
          handler.handle(chunk);
        });
    return this;
  }

  @Override
  public ReadStream<Buffer> pause() {
    source.pause();
    return this;
  }

  @Override
  public ReadStream<Buffer> resume() {
    if (!failed) {
      source.resume();
    }
    return this;
  }

  @Override
  public ReadStream<Buffer> fetch(long amount) {
    if (!failed) {
      source.fetch(amount);
    }
    return this;
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
    source.endHandler(
        endHandler == null
            ? null
            : v -> {
              if (!failed) {
                endHandler.handle(v);
              }
            });
    return this;
  }
}
