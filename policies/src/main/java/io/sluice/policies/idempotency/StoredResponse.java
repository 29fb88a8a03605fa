package io.sluice.policies.idempotency;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/** The first response to an idempotency key, as it is replayed: status, headers, body. */
record StoredResponse(int status, MultiMap headers, Buffer body) {

  /** What it weighs in the store, roughly: the body and the headers. */
  int weight() {
    int w = 64 + body.length();
    for (var h : headers) {
      w += h.getKey().length() + h.getValue().length() + 8;
    }
    return w;
  }
}
