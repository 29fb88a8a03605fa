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
  private long written;
  private long expected = -1;
  private HttpServerResponse res;

  void listen(long maxBytes, Handler<SentResponse> done) {
    max = Math.max(max, maxBytes);
    listeners.add(new Listener(maxBytes, done));
  }

  /**
   * The response's head is set: a body of a known {@code Content-Length} is complete for the client
   * with its last byte, before the gateway sees the end of what it relays, so the listeners are
   * served when that byte is written.
   */
  public void head(HttpServerResponse res) {
    this.res = res;
    String cl = res.headers().get("content-length");
    if (cl != null) {
      try {
        expected = Long.parseLong(cl.trim());
      } catch (NumberFormatException e) {
        expected = -1;
      }
    }
  }

  /** A piece of the body on its way to the client: call it before writing the piece. */
  public void write(Buffer chunk) {
    if (chunk == null) {
      return;
    }
    written += chunk.length();
    if (body != null) {
      if ((long) body.length() + chunk.length() > max) {
        body = null; // larger than anyone wants
      } else {
        body.appendBuffer(chunk);
      }
    }
    if (res != null && expected >= 0 && written >= expected) {
      finish(res, res.getStatusCode());
    }
  }

  /**
   * The gateway is about to end the response, whole: every listener gets it now, before the client
   * can see the end and send its next request.
   */
  public void finish(HttpServerResponse res, int status) {
    deliver(res, status, true);
  }

  /** The request is over: listeners not served yet (the response was cut short) get that. */
  void ended(HttpServerResponse res, int status, boolean complete) {
    deliver(res, status, false);
  }

  private void deliver(HttpServerResponse res, int status, boolean complete) {
    if (listeners.isEmpty()) {
      return;
    }
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(res.headers());
    for (Listener l : listeners) {
      Buffer b = complete && body != null && body.length() <= l.max() ? body.copy() : null;
      l.done().handle(new SentResponse(status, headers, b, complete));
    }
    listeners.clear();
  }
}
