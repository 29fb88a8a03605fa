package io.sluice.gateway.server;

import io.sluice.api.SentResponse;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies a response's body as it goes to the client, for the policies that asked to see it ({@code
 * Exchange.onResponseSent}), and hands it over when the request is over. On the request's event
 * loop only.
 */
public final class ResponseTap {

  private record Listener(long max, Handler<SentResponse> done) {}

  private final List<Listener> listeners = new ArrayList<>(1);
  private long max;
  private Buffer body = Buffer.buffer();

  void listen(long maxBytes, Handler<SentResponse> done) {
    max = Math.max(max, maxBytes);
    listeners.add(new Listener(maxBytes, done));
  }

  /** A piece of the body on its way to the client. */
  public void write(Buffer chunk) {
    if (body == null || chunk == null) {
      return;
    }
    if ((long) body.length() + chunk.length() > max) {
      body = null; // larger than anyone wants
      return;
    }
    body.appendBuffer(chunk);
  }

  /** The request is over: every listener gets what was sent, once. */
  void ended(HttpServerResponse res, int status, boolean complete) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(res.headers());
    for (Listener l : listeners) {
      Buffer b = complete && body != null && body.length() <= l.max() ? body.copy() : null;
      l.done().handle(new SentResponse(status, headers, b, complete));
    }
    listeners.clear();
  }
}
